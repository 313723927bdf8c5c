"""Callbacks: a job's start and end POSTed, signed, to its subscriber and the configured
webhooks, retried with backoff, through the SSRF guard; every delivery noted on the job.

Targets: a job's OGC ``subscriber`` (``inProgressUri`` when it starts, ``successUri`` or
``failedUri`` when it ends) and every URL of the ``webhooks`` setting (at the end).
Each POST carries ``X-Honua-Timestamp`` (Unix seconds) and ``X-Honua-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``, so a receiver can check both origin
and freshness. Deliveries to a job's subscriber are keyed with that subscription's own
secret (``subscription_secret``: derived from the server secret and the job id, handed to
the subscriber once, in the answer that created the job), so one subscriber's secret
cannot forge deliveries to another; configured webhooks, which the operator set up, are
keyed with the server secret itself: ``webhook_secret`` (or, when it is empty, a secret
made once and kept in the identity store, as the token secret is). A 2xx answer is a
delivery; anything else (or no answer) is retried after ``webhook_backoff_seconds``,
doubled each time, up to ``webhook_attempts``. URLs are checked by ``web.ssrf`` against
``webhook_allow_hosts`` before every attempt, so a receiver on a private address needs
an explicit entry. Deliveries run on a small thread pool, never on a job's thread.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

from honua.core.context import MessageLevel
from honua.core.jobs import Job, JobStatus
from honua.settings import Settings
from honua.web.ssrf import AllowList, Refused, Resolver, checked_target, system_resolver

__all__ = ["SECRET_HEADER", "Callbacks", "sign", "subscription_secret"]

log = logging.getLogger(__name__)
SIGNATURE = "X-Honua-Signature"
TIMESTAMP = "X-Honua-Timestamp"
SECRET_HEADER = "Honua-Subscription-Secret"
"""The header of the answer creating a job with a subscriber: that subscription's secret."""


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The value of ``X-Honua-Signature`` for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def subscription_secret(secret: bytes, job_id: str) -> bytes:
    """The key signing deliveries to ``job_id``'s subscriber (hex text, used as its bytes).

    Derived rather than stored, so every front can sign any job's deliveries with nothing
    more kept; the server secret cannot be recovered from it.
    """
    return hmac.new(secret, b"honua-subscription\0" + job_id.encode(),
                    hashlib.sha256).hexdigest().encode()


class Callbacks:
    """The recorder's listener that delivers callbacks (see the module docstring)."""

    def __init__(self, settings: Settings, secret: bytes,
                 note: Callable[[str, MessageLevel, str], None], *,
                 resolver: Resolver = system_resolver,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.secret = secret
        self.note = note
        self.allow = AllowList(settings.webhook_allow_hosts)
        self.resolver = resolver
        self.sleep = sleep
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="honua-callback")

    def __call__(self, event: str, job: Job) -> None:
        subscriber = job.options.subscriber
        key = ("inProgressUri" if event == "started" else
               "successUri" if job.status is JobStatus.SUCCEEDED else "failedUri")
        targets: dict[str, bytes] = {}
        if event != "started":
            targets.update(dict.fromkeys(self.settings.webhooks, self.secret))
        if key in subscriber:  # the subscriber's own key, even if also a configured webhook
            targets[subscriber[key]] = subscription_secret(self.secret, job.id)
        if not targets:
            return
        body = orjson.dumps(self.payload(event, job))
        for url, secret in targets.items():
            self._pool.submit(self._deliver, job.id, url, body, secret)

    def secret_for(self, job_id: str) -> str:
        """The subscription secret to hand to ``job_id``'s subscriber (once)."""
        return subscription_secret(self.secret, job_id).decode()

    @staticmethod
    def payload(event: str, job: Job) -> dict[str, Any]:
        return {"event": event, "jobID": job.id, "processID": job.process_id,
                "status": job.status.value, "message": job.message, "progress": job.progress,
                "created": job.created.isoformat(),
                "finished": job.finished.isoformat() if job.finished else None}

    def _deliver(self, job_id: str, url: str, body: bytes, secret: bytes) -> None:
        attempts = max(1, self.settings.webhook_attempts)
        last = ""
        for attempt in range(1, attempts + 1):
            try:
                target, host, sni = checked_target(url, self.allow, self.resolver,
                                                   setting="webhook_allow_hosts",
                                                   what="callbacks")
            except Refused as refused:
                self.note(job_id, MessageLevel.WARNING,
                          f"Callback to {url[:200]} refused: {refused.message}")
                return
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "Host": host, TIMESTAMP: timestamp,
                       SIGNATURE: sign(secret, timestamp, body),
                       "User-Agent": "Honua callbacks"}
            try:
                with httpx.Client(timeout=self.settings.webhook_timeout_seconds,
                                  follow_redirects=False, trust_env=False) as client:
                    response = client.post(target, content=body, headers=headers,
                                           extensions={"sni_hostname": sni})
                if 200 <= response.status_code < 300:
                    self.note(job_id, MessageLevel.INFO,
                              f"Callback to {url[:200]} delivered (HTTP {response.status_code}, "
                              f"attempt {attempt} of {attempts})")
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if attempt < attempts:
                self.sleep(self.settings.webhook_backoff_seconds * 2 ** (attempt - 1))
        self.note(job_id, MessageLevel.WARNING,
                  f"Callback to {url[:200]} not delivered after {attempts} attempts ({last})")

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
