"""Honua's errors, by neutral *kind*.

The core raises these; each adapter owns one table from ``kind`` to its
protocol's status code and error format. Every error subclasses the nearest
built-in so that callers who do not know Honua can still catch it sensibly.
A message is written for the person who sent the request: it says what was
wrong and, where possible, what would be right.
"""

from __future__ import annotations

INPUT_KINDS = frozenset({"invalid-parameter", "missing-parameter", "unknown-input",
                         "unknown-output", "too-many-values", "too-large", "not-supported",
                         "mode-not-allowed"})
"""Kinds that blame the request: a job that failed with one of them failed on its input,
which every protocol reports as the client's error (4xx), not the server's."""


class HonuaError(Exception):
    """Base of every error the core reports to a client."""

    kind = "internal"

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter


class NotFound(HonuaError, LookupError):
    kind = "not-found"


class NoSuchProcess(NotFound):
    kind = "no-such-process"


class NoSuchJob(NotFound):
    kind = "no-such-job"


class InvalidParameter(HonuaError, ValueError):
    """A request input is missing, unknown, of the wrong type or out of range."""

    kind = "invalid-parameter"


class MissingParameter(InvalidParameter):
    """A required input was not given."""

    kind = "missing-parameter"


class UnknownInput(InvalidParameter):
    """The request names an input the process does not have."""

    kind = "unknown-input"


class UnknownOutput(InvalidParameter):
    """The request asks for an output the process does not have."""

    kind = "unknown-output"


class TooManyValues(InvalidParameter):
    """An input was given more values than it takes (``max_occurs``)."""

    kind = "too-many-values"


class PayloadTooLarge(InvalidParameter):
    kind = "too-large"


class NotSupported(HonuaError):
    """The request is well formed but asks for something this process or server does not do."""

    kind = "not-supported"


class ModeNotAllowed(NotSupported):
    """The request asks for a way of running (``sync``/``async``, results kept) that the
    process does not allow; ``mode`` says which."""

    kind = "mode-not-allowed"

    def __init__(self, message: str, *, mode: str) -> None:
        super().__init__(message)
        self.mode = mode


class Conflict(HonuaError):
    """The request does not fit the current state (e.g. results of a job still running)."""

    kind = "conflict"


class ResultNotReady(Conflict):
    kind = "result-not-ready"


class Forbidden(HonuaError, PermissionError):
    kind = "forbidden"


class Unauthenticated(HonuaError, PermissionError):
    """The request carries no credentials and this server does not serve anonymous callers
    (OGC API/WPS: 401 with ``WWW-Authenticate``; GPServer: 499 "Token Required")."""

    kind = "unauthenticated"


class InvalidToken(Unauthenticated):
    """The credentials sent are not valid: unknown, revoked, expired or forged (OGC API/WPS:
    401 with ``WWW-Authenticate``; GPServer: 498 "Invalid Token")."""

    kind = "invalid-token"


class Busy(HonuaError):
    """No capacity now; the client should retry after ``retry_after`` seconds."""

    kind = "busy"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(HonuaError):
    kind = "unavailable"


class JobFailed(HonuaError):
    """Results were asked of a job that did not succeed; ``status`` says how it ended."""

    kind = "job-failed"

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


class InvalidTransition(Conflict):
    """A job event that its current state does not allow."""

    kind = "conflict"
