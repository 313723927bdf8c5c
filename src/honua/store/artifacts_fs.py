"""Artifacts as files under one folder: the embedded default artifact store.

Writes are atomic: the bytes go to a temporary file in the target's own folder
(so the rename never crosses file systems), are flushed to disk, and replace
the target in one ``os.replace``; a reader sees the old file or the new one,
never half of one. Keys are checked by ``artifact_keys`` before they touch
the file system, so no key can reach outside the root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from honua.errors import Conflict, NotFound, Unavailable
from honua.store.artifact_keys import check_key, check_prefix

__all__ = ["FilesystemArtifactStore"]

_TEMP_PREFIX = ".tmp-"
CHUNK_BYTES = 1024 * 1024
"""What ``iter_bytes`` reads at a time."""


@contextlib.contextmanager
def _storing(key: str) -> Iterator[None]:
    """What a failed write means to the caller: a key that is both a file and a folder is a
    conflict; any other OS error is the disk's, worth retrying."""
    try:
        yield
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        raise Conflict(f"cannot store artifact {key!r}: a file and a folder would "
                       "have the same name") from exc
    except OSError as exc:
        raise Unavailable(f"cannot store artifact {key!r} ({exc.strerror}); "
                          "try again shortly") from exc


class FilesystemArtifactStore:
    """``honua.types.ArtifactStore`` in the folder ``root`` (created if missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Unavailable(f"cannot create the artifact folder {self.root}: "
                              f"{exc.strerror}") from exc

    def __repr__(self) -> str:
        return f"FilesystemArtifactStore({str(self.root)!r})"

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        with _storing(key):
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"there is no stored artifact {key!r}") from None
        except OSError as exc:
            raise Unavailable(f"cannot read artifact {key!r} ({exc.strerror})") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete_prefix(self, prefix: str) -> None:
        """Remove every artifact whose key starts with ``prefix`` (see ``check_prefix``)."""
        *folders, start = check_prefix(prefix)
        folder = self.root.joinpath(*folders)
        if not start:  # a whole folder; a file of that name is not "in" it
            if folder.is_dir():
                _remove(folder)
            return
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for name in os.listdir(folder):
                if name.startswith(start):
                    _remove(folder / name)

    def local_path(self, key: str) -> Path | None:
        """The artifact's file; raises ``NotFound`` when there is none."""
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"there is no stored artifact {key!r}")
        return path

    def put_file(self, key: str, path: Path) -> None:
        """Move ``path`` in (one rename on the same file system, else a copy, then a rename)."""
        target = self._path(key)
        with _storing(key):
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                raise IsADirectoryError(str(target))
            try:
                os.replace(path, target)
            except OSError:  # another file system: copy next to the target, then rename
                handle, temp = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX,
                                                suffix=".part")
                os.close(handle)
                try:
                    shutil.copyfile(path, temp)
                    os.chmod(temp, 0o644)
                    os.replace(temp, target)
                except BaseException:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(temp)
                    raise
                path.unlink()

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            if path.is_file():
                return path.stat().st_size
        except OSError:
            pass
        raise NotFound(f"there is no stored artifact {key!r}")

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"there is no stored artifact {key!r}") from None
        return _chunks(file)

    def signed_url(self, key: str, expires: dt.timedelta) -> str | None:
        """None: files on disk are streamed by the server (``local_path``)."""
        self._path(key)
        return None

    def folders(self, folder: str) -> list[str]:
        path = self._path(folder)
        try:
            return sorted(entry.name for entry in path.iterdir()
                          if entry.is_dir() and not entry.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def check(self) -> str:
        """The folder exists and this process may write there."""
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise Unavailable(f"the artifact folder {self.root} is missing or not writable")
        return f"folder {self.root} is writable"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))


def _chunks(file: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    with file:
        while chunk := file.read(size):
            yield chunk


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it 0600; the artifact is an ordinary file
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _remove(path: Path) -> None:
    """Remove a file or a whole folder; something already gone is fine."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise Unavailable(f"cannot delete stored artifacts ({exc.strerror})") from exc
