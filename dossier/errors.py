"""The one error hierarchy of Dossier: each message is one line a user can act on."""

INTERRUPTED = "interrupted by the user (Ctrl-C)"  # what a command, and the error of a run, Ctrl-C stopped says
EXIT_INTERRUPTED = 130  # 128 + SIGINT: the exit code shells give a command Ctrl-C ended


class DossierError(Exception):
    """Base of every error Dossier reports to a user (exit code 2 at the command line)."""

    exit_code = 2


class ConfigError(DossierError):
    """The configuration file or an option is wrong: the message names the field and the fix."""


class StorageError(DossierError):
    """The dossier database cannot be reached, created, migrated or written."""


class CrawlError(DossierError):
    """A crawl cannot start (no browser, bad source) or its child process failed."""


class AlertError(DossierError):
    """A digest cannot be rendered, written or sent."""


class RunLockedError(DossierError):
    """Another run holds the database's run lock."""

    exit_code = 1
