"""Artifact keys and prefixes: what is accepted, and what is refused with a reason."""

from __future__ import annotations

import pytest

from honua.store.artifact_keys import check_key, check_prefix


@pytest.mark.parametrize("key, parts", [
    ("outputs.json", ("outputs.json",)),
    ("jobs/a1/outputs.json", ("jobs", "a1", "outputs.json")),
    ("jobs/.hidden", ("jobs", ".hidden")),
    ("jobs/a..b", ("jobs", "a..b")),
    ("jobs/ü ñ", ("jobs", "ü ñ")),
])
def test_check_key_splits_safe_keys(key: str, parts: tuple[str, ...]) -> None:
    """A safe key is split into its segments."""
    assert check_key(key) == parts


@pytest.mark.parametrize("key, reason", [
    ("", "non-empty"),
    ("/etc/passwd", "relative"),
    ("../x", "'..' segment"),
    ("a/../../x", "'..' segment"),
    ("./a", "'..' segment"),
    ("a//b", "empty"),
    ("a/", "empty"),
    ("a\\..\\b", "backslashes"),
    ("a\0b", "NUL"),
])
def test_check_key_refuses_unsafe_keys(key: str, reason: str) -> None:
    """The error says what is wrong with the key."""
    with pytest.raises(ValueError, match=reason):
        check_key(key)


def test_check_key_refuses_non_strings() -> None:
    """A key that is not a string is a programming error, reported as such."""
    with pytest.raises(ValueError, match="non-empty string"):
        check_key(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix, parts", [
    ("jobs/a1/", ("jobs", "a1", "")),
    ("jobs/a1/out", ("jobs", "a1", "out")),
    ("jobs", ("jobs",)),
])
def test_check_prefix_splits_into_folders_and_name_start(prefix: str,
                                                        parts: tuple[str, ...]) -> None:
    """A trailing '/' leaves an empty name start: the whole folder."""
    assert check_prefix(prefix) == parts


@pytest.mark.parametrize("prefix", ["", "/", "/jobs/", "../", "jobs/..", "jobs/.", "a//b/",
                                    "a\\b", "a\0"])
def test_check_prefix_refuses_unsafe_prefixes(prefix: str) -> None:
    """Prefixes follow the key rules, and the empty prefix (the whole store) is refused."""
    with pytest.raises(ValueError):
        check_prefix(prefix)
