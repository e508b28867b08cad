"""Errors that describe a problem with the input or the setup, shown to people without a traceback."""


class LakeError(Exception):
    """Base for problems a user can fix; the CLI prints the message and exits non-zero."""


class FeedRejected(LakeError):
    """A whole landing file cannot be processed (empty, unknown header, missing columns, encoding)."""

    def __init__(self, file: str, reason: str, rule: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
        self.rule = rule


class LakeBusy(LakeError):
    """Another run holds the lake's lock."""


class LakeLockLost(LakeError):
    """This run's lock was taken over by another run (it had expired, or its holder looked dead)."""
