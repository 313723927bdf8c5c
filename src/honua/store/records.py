"""Job records as every job store keeps them, so that all stores behave alike.

A job that comes back from a store must equal the one that went in, whatever
the store: times are aware and in UTC (SQLite has no time zones, PostgreSQL
answers in the session's zone), and the execution options are what survives a
JSON round trip (a tuple comes back a list, and the caller's dictionaries are
never shared with the store). The in-memory store applies the same rules as
the SQL one, so a unit test against it tells the truth about production.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from honua.core.context import MessageLevel
from honua.core.jobs import Job, JobStatus, Message
from honua.core.requests import ExecutionOptions

_TIME_FIELDS = ("created", "updated", "started", "finished", "expires")


def as_utc(value: dt.datetime, *, name: str = "time") -> dt.datetime:
    """``value`` in UTC; a naive time is refused because its zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} has no time zone; "
                         "pass an aware datetime (e.g. datetime.now(datetime.UTC))")
    return value.astimezone(dt.UTC)


def options_to_text(options: ExecutionOptions) -> str:
    return json.dumps(options.to_json(), ensure_ascii=False, separators=(",", ":"))


def options_from_text(text: str | None) -> ExecutionOptions:
    return ExecutionOptions.from_json(json.loads(text) if text else None)


def normalise_job(job: Job) -> Job:
    """``job`` as a store returns it: UTC times, options through JSON, a real status."""
    times = {name: as_utc(value, name=name) for name in _TIME_FIELDS
             if (value := getattr(job, name)) is not None}
    return job.evolve(status=JobStatus(job.status), progress=int(job.progress),
                      attempts=int(job.attempts), has_outputs=bool(job.has_outputs),
                      options=options_from_text(options_to_text(job.options)), **times)


def normalise_message(message: Message) -> Message:
    return Message(as_utc(message.time, name="message time"), MessageLevel(message.level),
                   str(message.text))


def normalise_statuses(statuses: Iterable[JobStatus | str] | None) -> list[JobStatus] | None:
    return None if statuses is None else [JobStatus(status) for status in statuses]


def clamp_percent(percent: int) -> int:
    return max(0, min(100, int(percent)))


def check_page(limit: int, offset: int) -> None:
    """Negative paging has no sensible meaning, and SQL and slicing disagree on it."""
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must not be negative (got limit={limit}, "
                         f"offset={offset})")

