"""What a running process can do: report progress and messages, notice cancellation."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class MessageLevel(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    DEBUG = "debug"


@dataclass
class Context:
    """Handed to a process function as its first argument.

    ``progress`` and ``message`` are forwarded to the job (and to clients
    polling it); ``cancelled`` turns true when the job is being cancelled, so
    a long loop can stop early and cleanly. A process that ignores it is
    stopped all the same, by force, a moment later.
    """

    job_id: str = ""
    workdir: Path | None = None
    on_progress: Callable[[float, str | None], None] = lambda percent, message: None
    on_message: Callable[[str, MessageLevel], None] = lambda text, level: None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def progress(self, percent: float, message: str | None = None) -> None:
        self.on_progress(max(0.0, min(100.0, float(percent))), message)

    def message(self, text: str, level: str | MessageLevel = MessageLevel.INFO) -> None:
        self.on_message(str(text), MessageLevel(level))

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()
