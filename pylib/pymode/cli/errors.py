"""The one exception the CLI turns into `pymode: error: ...` and exit status 1."""


class CliError(Exception):
    """A user-facing failure: the message says what went wrong and what to do."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status
