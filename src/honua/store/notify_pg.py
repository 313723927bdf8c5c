"""Job change notifications through PostgreSQL ``LISTEN``/``NOTIFY``: they reach every
front process on every machine that shares the job store."""

from __future__ import annotations

import logging
import threading

import psycopg
import sqlalchemy as sa

from honua.core.changes import LocalChanges

__all__ = ["PostgresChanges"]

log = logging.getLogger(__name__)
CHANNEL = "honua_job_changes"


def _dsn(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresChanges(LocalChanges):
    """``core.changes.Notifier`` over the job store's PostgreSQL database."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._dsn = _dsn(url)
        self._send = psycopg.connect(self._dsn, autocommit=True)
        self._send_lock = threading.Lock()
        self._closed = False
        self._listening = threading.Event()
        threading.Thread(target=self._listen, name="honua-changes", daemon=True).start()
        self._listening.wait(10)

    def _listen(self) -> None:
        while not self._closed:
            try:
                with psycopg.connect(self._dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    while not self._closed:
                        for note in conn.notifies(timeout=1.0):
                            self.changed(note.payload)
            except psycopg.Error:
                if not self._closed:
                    log.warning("job change notifications: lost the connection; reconnecting")
                    self._listening.wait(1.0)

    def notify(self, job_id: str) -> None:
        self.changed(job_id)
        try:
            with self._send_lock:
                self._send.execute("SELECT pg_notify(%s, %s)", (CHANNEL, job_id))
        except psycopg.Error:  # waiters fall back to reading the store
            with self._send_lock:
                self._send = psycopg.connect(self._dsn, autocommit=True)

    def close(self) -> None:
        self._closed = True
        self._send.close()
