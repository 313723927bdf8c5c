"""Job change notifications between the front processes of one machine (SQLite store).

Each process binds a Unix datagram socket in the abstract namespace (no path length
limit, gone with the process) and announces its address as an empty file in
``<data_dir>/run/changes/``. ``notify`` sends the job id to every announced address;
an address that refuses is a dead process, and its file is removed. A datagram is
fire-and-forget: a full queue drops it, and waiters fall back to re-reading the store
after ``core.changes.FALLBACK_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from honua.core.changes import LocalChanges

__all__ = ["SocketChanges"]

log = logging.getLogger(__name__)
_REFRESH_SECONDS = 1.0


class SocketChanges(LocalChanges):
    """``core.changes.Notifier`` across the processes that share ``folder``."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(self._address(self.name))
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)
        (folder / self.name).touch()
        self._peers: list[str] = []
        self._listed = 0.0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._listen, name="honua-changes", daemon=True).start()

    def _address(self, name: str) -> bytes:
        return b"\0honua-changes-" + name.encode()

    def _listen(self) -> None:
        while not self._closed:
            try:
                data = self._socket.recv(512)
            except OSError:
                return
            if data:
                self.changed(data.decode("utf-8", "replace"))

    def _others(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            if now - self._listed > _REFRESH_SECONDS:
                with contextlib.suppress(OSError):
                    self._peers = [p.name for p in self.folder.iterdir() if p.name != self.name]
                self._listed = now
            return list(self._peers)

    def notify(self, job_id: str) -> None:
        self.changed(job_id)
        data = job_id.encode()
        for peer in self._others():
            try:
                self._sender.sendto(data, self._address(peer))
            except (ConnectionRefusedError, FileNotFoundError):  # that process has ended
                with contextlib.suppress(OSError):
                    (self.folder / peer).unlink()
                with self._lock:
                    self._peers = [p for p in self._peers if p != peer]
            except OSError:  # a full queue: the waiter falls back to reading the store
                pass

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            (self.folder / self.name).unlink()
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._sender.close()
