"""Changing the corpus while the assistant serves it: adding and removing documents.

- `checks`: what an added file must be (size, type by content, a safe name) and its metadata;
- `changes`: the corpus folder and metadata.json written under one lock, each change undoable;
- `indexing`: an index build in a child process, reporting its progress line by line;
- `live`: the assistant the app answers with, swapped for one over the new index once it is built;
- `jobs`: the queue of changes that a web app's users submit, applied and indexed one batch at a time;
- `manage`: the same for the command line (`rag add`, `rag remove`), in this process.
"""
