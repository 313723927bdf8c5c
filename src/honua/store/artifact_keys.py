"""Artifact keys: '/'-separated relative names that cannot leave the store.

Keys become file paths in the filesystem store and object names on S3, so one
strict rule serves both: no absolute keys, no empty, ``.`` or ``..`` segments,
no backslashes (a separator on Windows) and no NUL (it truncates C paths).
Refusing these outright is safer than normalising them: a key that needed
normalising came from a bug or an attack.
"""

from __future__ import annotations

__all__ = ["check_key", "check_prefix"]


def check_key(key: str) -> tuple[str, ...]:
    """The segments of ``key``; raises ``ValueError`` saying what is wrong with it."""
    _check_characters(key, "key")
    parts = tuple(key.split("/"))
    for part in parts:
        _check_segment(part, key, "key")
    return parts


def check_prefix(prefix: str) -> tuple[str, ...]:
    """The folders of ``prefix`` and the start of a name (``""`` after a trailing '/').

    A prefix selects keys as S3 does, by their first characters: ``jobs/a1/``
    is everything in that folder, ``jobs/a1/out`` also ``jobs/a1/outputs.json``.
    The empty prefix, which would select the whole store, is refused.
    """
    _check_characters(prefix, "prefix")
    parts = tuple(prefix.split("/"))
    for part in parts[:-1]:
        _check_segment(part, prefix, "prefix")
    if parts[-1] in (".", ".."):
        _check_segment(parts[-1], prefix, "prefix")
    return parts


def _check_characters(text: str, what: str) -> None:
    if not isinstance(text, str) or not text:
        raise ValueError(f"an artifact {what} must be a non-empty string, not {text!r}")
    if text.startswith("/"):
        raise ValueError(f"artifact {what} {text!r} must be relative (no leading '/')")
    if "\\" in text or "\0" in text:
        raise ValueError(f"artifact {what} {text!r} must not contain backslashes or NUL")


def _check_segment(part: str, text: str, what: str) -> None:
    if part in ("", ".", ".."):
        raise ValueError(f"artifact {what} {text!r} has an empty, '.' or '..' segment; "
                         "use plain names separated by single '/'")
