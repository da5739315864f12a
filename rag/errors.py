"""The exception hierarchy. Messages say what went wrong and what to do next.

Only the CLI and the UI turn these into user-facing text.
"""


class RagError(Exception):
    """Base class for every error this package raises on purpose."""


class SettingsError(RagError):
    """A setting has a value that cannot work."""


class InputError(RagError):
    """A question, file or argument given by the user is not acceptable."""


class CorpusError(RagError):
    """The corpus folder or one of its documents cannot be used."""


class IndexMissingError(RagError):
    """No index has been built yet."""


class IndexCorruptedError(RagError):
    """An index file cannot be read; the message names the file."""


class IndexStaleError(RagError):
    """The index no longer matches the corpus or the settings."""


class LLMError(RagError):
    """The configured LLM server is unreachable, too slow or answered with an error."""
