"""Domain exceptions: one line each, mapped to CLI messages and HTTP codes at the edges."""


class QAError(Exception):
    """Base class for every error the assistant reports to a user."""


class IndexMissingError(QAError):
    """There is no index at the given folder yet."""


class IndexCorruptError(QAError):
    """The index files exist but cannot be read."""


class IndexMismatchError(QAError):
    """The index was built with another model, format or settings."""


class DocumentNotFoundError(QAError):
    """No document of that name is in the index."""


class BadQuestionError(QAError):
    """The question is empty, too long or not text."""


class ModelLoadError(QAError):
    """The embedding model could not be loaded."""


class ConfigError(QAError):
    """A setting from the environment or the command line cannot be used."""


class BuildLockedError(QAError):
    """Another build of the same index is running."""
