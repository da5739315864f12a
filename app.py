"""Entry point kept at the top of the repository: `python app.py` is `rag serve` (the app lives in rag/ui/app.py)."""

import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
