"""A worker's private view of the file system and of the network (Linux namespaces, root).

``isolate_mounts`` gives the calling process a mount namespace of its own and
changes only that view: empty read-only folders (tmpfs) are mounted over what
the jobs must not see, and what they need is bound back into place at the same
path, so the interpreter keeps finding its files where it loaded them from:

- ``hide`` (the data folder: job store, artifacts, uploads, catalog) gets an
  empty root-only folder, so the worker user is refused (EACCES);
- a folder the worker user cannot enter on the way to Python itself (``/root``
  of mode 700 above ``/root/.pyenv``) gets an empty mode-755 folder holding
  only the interpreter and ``sys.path``, read-only: the worker can drop to
  ``nobody`` and still import lazily, without seeing the rest of ``/root``;
- ``/tmp``, ``/var/tmp``, ``/dev/shm`` and ``/run`` (Unix sockets of local
  databases) are emptied; only the worker's own scratch folder is bound back,
  writable.

``isolate_network`` gives it a network namespace with nothing in it but a
loopback that is down: every connection, to 127.0.0.1 too, fails with
ENETUNREACH. Both need CAP_SYS_ADMIN, i.e. a worker started by root.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
EMPTY = MS_NOSUID | MS_NODEV | MS_NOEXEC

TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm", "/run")  # noqa: S108 -- hidden, not used


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _encode(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    encode = _encode
    _check(_libc().mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
                         encode(data)), f"mount {target}")


def unshare(flags: int, what: str) -> None:
    _check(_libc().unshare(ctypes.c_int(flags)), f"unshare({what})")


def under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or lies beneath it (both absolute, normalised)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def outside(root: str, excluded: Sequence[str]) -> Iterable[str]:
    """The largest paths beneath ``root`` that contain none of ``excluded``, together
    covering everything else of ``root``; symbolic links are left out."""
    inner = [path for path in excluded if under(path, root)]
    if not inner:
        yield root
        return
    if root in inner:
        return
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if not entry.is_symlink():
            yield from outside(entry.path, inner)


def blocked_at(path: str) -> str | None:
    """The first folder on the way to ``path`` that other users cannot enter, if any
    (``path`` itself excluded: a folder that is not readable cannot be lent)."""
    for folder in reversed(Path(path).parents):
        try:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return str(folder)
        except OSError:
            return None
    return None


def isolate_mounts(hide: Sequence[str], needed: Sequence[str], workdir: str) -> None:
    """Enter a private mount namespace where ``hide`` is gone, ``needed`` is readable by
    any user at its own path, and ``workdir`` is the only writable scratch place."""
    keep = [*needed, workdir]
    hidden = [p for folder in hide if os.path.isdir(folder) for p in outside(folder, keep)]
    masks = {path: "0700" for path in hidden}
    for path in needed:
        blocked = blocked_at(path)
        if blocked is not None:
            masks.setdefault(blocked, "0755")
    for path in (*TEMPORARY, os.path.dirname(workdir)):
        if os.path.isdir(path) and not os.path.islink(path):
            masks[path] = "0755"
    masks = {path: mode for path, mode in masks.items()
             if not any(under(path, other) and path != other for other in masks)}
    exposed = sorted((p for p in keep if any(under(p, m) and p != m for m in masks)), key=len)
    unshare(CLONE_NEWNS, "CLONE_NEWNS")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing we do leaks to the host
    # opened in the new namespace (a mount of the old one cannot be bound), before covering
    handles = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in exposed}
    try:
        for path, mode in masks.items():
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", EMPTY, f"mode={mode},size=64k")
            elif os.path.isfile(path):
                _mount("/dev/null", path, None, MS_BIND)
        bound: list[str] = []
        for path in exposed:
            read_only = path != workdir
            if any(under(path, done) and (done != workdir) == read_only for done in bound):
                continue  # already visible through a folder bound back before it
            _bind(handles[path], path, read_only=read_only)
            bound.append(path)
        for path in masks:
            if os.path.isdir(path):
                _mount(None, path, None, MS_REMOUNT | MS_RDONLY | EMPTY)
    finally:
        for handle in handles.values():
            os.close(handle)


def _bind(handle: int, path: str, *, read_only: bool) -> None:
    """Mount the folder open as ``handle`` (taken before it was covered) back at ``path``."""
    target = Path(path)
    missing = [p for p in (target, *target.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
    _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
    if read_only:
        _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def isolate_network() -> None:
    """Enter a network namespace of our own: no interface up, no way out."""
    unshare(CLONE_NEWNET, "CLONE_NEWNET")
