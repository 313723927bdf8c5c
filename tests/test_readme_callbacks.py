"""The README's callbacks documentation matches the code: every header it names is one the
server sends, every setting it names exists with the default it states, and its
verification recipe, run as written, accepts a real signature and refuses a forged, a
tampered and a stale one."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest

from honua.settings import Settings
from honua.web import callbacks

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}


def _section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_every_header_named_is_one_the_server_uses():
    named = set(re.findall(r"\b((?:X-)?Honua-[A-Za-z-]+)", _section("Callbacks")))
    sent = {callbacks.SIGNATURE, callbacks.TIMESTAMP, callbacks.SECRET_HEADER}
    assert named == sent


@pytest.mark.parametrize("title", ["Callbacks", "Provenance and workflows"])
def test_every_setting_named_exists_with_the_default_stated(title):
    section = _section(title)
    for name in re.findall(r"`([a-z]+_[a-z_]+)`", section):
        if name.startswith(("webhook", "workflow", "deployed")):
            assert name in DEFAULTS, f"README names a setting {name!r} that does not exist"
    stated = re.findall(r"`([a-z]+_[a-z_]+)` \((\d+(?:\.\d+)?)\)", section)
    assert stated or title != "Callbacks"
    for name, value in stated:
        assert float(DEFAULTS[name]) == float(value), f"{name}: README says {value}"


def _recipe() -> Any:
    blocks = re.findall(r"```python\n(.*?)```", _section("Callbacks"), re.S)
    assert len(blocks) == 1
    scope: dict[str, Any] = {}
    exec(blocks[0], scope)  # noqa: S102 - the README's own example, run as a reader would
    return scope["verify"]


def test_the_documented_verification_accepts_real_and_refuses_forged_deliveries():
    verify = _recipe()
    secret = callbacks.subscription_secret(b"server secret", "job-1")
    body = b'{"event":"finished","jobID":"job-1","status":"succeeded"}'
    now = str(int(time.time()))
    headers = {callbacks.TIMESTAMP: now,
               callbacks.SIGNATURE: callbacks.sign(secret, now, body)}
    assert verify(secret.decode(), headers, body)
    assert not verify(secret.decode(), headers, body.replace(b"succeeded", b"failed"))
    other = callbacks.subscription_secret(b"server secret", "job-2").decode()
    assert not verify(other, headers, body)  # another subscription's secret
    stale = str(int(time.time()) - 3600)
    old = {callbacks.TIMESTAMP: stale, callbacks.SIGNATURE: callbacks.sign(secret, stale, body)}
    assert not verify(secret.decode(), old, body)
    assert not verify(secret.decode(), {callbacks.SIGNATURE: headers[callbacks.SIGNATURE]}, body)
