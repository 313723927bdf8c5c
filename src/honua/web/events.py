"""A job followed live: Server-Sent Events of its status, progress, messages and end.

One stream per follower. It sends the job as it is at once (``status``),
then, each time the job manager says the job changed, what is new: a
``status`` event when status, progress or the status message moved, one
``message`` event per new message; when the job has ended, one ``end``
event (with the links the adapter gives, e.g. to the results) and the
stream closes. A job dismissed or expired meanwhile ends the stream with
``end`` and status ``dismissed``.

Visibility is the job manager's: the caller's viewer (set by the identity
middleware) holds for the whole stream, so a job of another tenant is
refused before the first byte, exactly like an unknown id. The adapter
checks it (``manager.get``) before calling ``stream``.

Waiting is ``manager.changed`` (in-process wake-up with a timeout, see
``core/changes.py``); after every wake-up or timeout the store is read again,
so writes from other processes arrive too, later by at most ``REREAD``
seconds. A comment line goes out while nothing happens, so proxies and
browsers keep the connection.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from honua.core.jobs import Job, Message
from honua.errors import NoSuchJob
from honua.types import JobService

__all__ = ["MEDIA_TYPE", "event_stream", "frame", "sse_response"]

MEDIA_TYPE = "text/event-stream"
REREAD = 2.0
"""Seconds between two reads of the store when no in-process notice came."""
KEEPALIVE = 15.0
"""Seconds of silence after which a comment line is sent."""

Describe = Callable[[Job], dict[str, Any]]
"""The adapter's view of a job: its status document (its words for the states)."""
Links = Callable[[Job], list[dict[str, Any]]]
"""The adapter's links for a job that has ended (results, the job page)."""


def frame(event: str, data: Any, event_id: str | None = None) -> bytes:
    """One SSE frame; the JSON is on one line, so it needs no ``data:`` continuation."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


def _message(message: Message) -> dict[str, Any]:
    return {"time": message.time.isoformat().replace("+00:00", "Z"),
            "level": message.level.value, "text": message.text}


async def event_stream(manager: JobService, job_id: str, describe: Describe, links: Links, *,
                       after: int = 0, reread: float = REREAD,
                       keepalive: float = KEEPALIVE) -> AsyncIterator[bytes]:
    """The frames of one follower (see the module docstring); ``after`` messages already
    seen (the ``Last-Event-ID`` of a reconnecting browser) are not sent again."""
    last: dict[str, Any] | None = None
    seen = after
    quiet_since = time.monotonic()
    while True:
        try:
            job = await run_in_threadpool(manager.get, job_id)
            messages = await run_in_threadpool(manager.messages, job_id)
        except NoSuchJob:
            yield frame("end", {"jobID": job_id, "status": "dismissed", "links": []})
            return
        sent = False
        status = describe(job)
        if status != last:
            yield frame("status", status)
            last, sent = status, True
        for index in range(seen, len(messages)):
            yield frame("message", _message(messages[index]), str(index + 1))
            sent = True
        seen = max(seen, len(messages))
        if job.status.finished:
            yield frame("end", {**status, "links": links(job)})
            return
        if sent:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= keepalive:
            yield b": still running\n\n"
            quiet_since = time.monotonic()
        await manager.changed(job_id, min(reread, keepalive))


def sse_response(stream: AsyncIterator[bytes]) -> StreamingResponse:
    """The HTTP answer carrying ``stream``: never cached, never buffered by a proxy."""
    return StreamingResponse(stream, media_type=MEDIA_TYPE, headers={
        "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def last_event_id(value: str | None) -> int:
    """How many messages a reconnecting browser has seen (its ``Last-Event-ID``)."""
    try:
        return max(0, min(int((value or "0").strip()), 10**9))
    except ValueError:
        return 0
