"""An execution listener that records what a pool tells it, for tests to wait on."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from honua.core.context import MessageLevel
from honua.core.execution import Outcome

WAIT = 15.0
"""Upper bound of every wait: a test fails rather than hangs."""


class Recorder:
    """Collects every callback; one ``threading.Event`` per job for its start and its end."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []
        self.finishes: dict[str, list[Outcome]] = defaultdict(list)
        self.finished_at: dict[str, float] = {}
        self._lock = threading.Condition()
        self._started: dict[str, threading.Event] = defaultdict(threading.Event)
        self._finished: dict[str, threading.Event] = defaultdict(threading.Event)

    def on_start(self, job_id: str) -> None:
        self._record("start", job_id, None)
        self._event(self._started, job_id).set()

    def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
        self._record("progress", job_id, (percent, message))

    def on_message(self, job_id: str, level: MessageLevel, text: str) -> None:
        self._record("message", job_id, (level, text))

    def on_finish(self, job_id: str, outcome: Outcome) -> None:
        with self._lock:
            self.finishes[job_id].append(outcome)
            self.finished_at.setdefault(job_id, time.monotonic())
        self._record("finish", job_id, outcome)
        self._event(self._finished, job_id).set()

    def outcome(self, job_id: str, timeout: float = WAIT) -> Outcome:
        """The outcome of ``job_id``, waiting for it at most ``timeout`` seconds."""
        if not self._event(self._finished, job_id).wait(timeout):
            raise AssertionError(f"job {job_id} did not finish within {timeout} s: "
                                 f"{self.of(job_id)}")
        return self.finishes[job_id][0]

    def wait_started(self, job_id: str, timeout: float = WAIT) -> None:
        if not self._event(self._started, job_id).wait(timeout):
            raise AssertionError(f"job {job_id} did not start within {timeout} s")

    def of(self, job_id: str, kind: str | None = None) -> list[Any]:
        """Payloads of the events of ``job_id`` (of one ``kind``, or all as pairs)."""
        with self._lock:
            events = [e for e in self.events if e[1] == job_id]
        if kind is None:
            return [(e[0], e[2]) for e in events]
        return [e[2] for e in events if e[0] == kind]

    def start_order(self) -> list[str]:
        with self._lock:
            return [job_id for kind, job_id, _ in self.events if kind == "start"]

    def wait_for(self, job_id: str, kind: str, timeout: float = WAIT) -> Any:
        """The first payload of an event ``kind`` of ``job_id``, waiting for it."""
        with self._lock:
            found = self._lock.wait_for(
                lambda: [e for e in self.events if e[:2] == (kind, job_id)], timeout)
        if not found:
            raise AssertionError(f"no {kind} event of job {job_id} within {timeout} s")
        return found[0][2]

    def _record(self, kind: str, job_id: str, payload: Any) -> None:
        with self._lock:
            self.events.append((kind, job_id, payload))
            self._lock.notify_all()

    def _event(self, table: dict[str, threading.Event], job_id: str) -> threading.Event:
        with self._lock:
            return table[job_id]
