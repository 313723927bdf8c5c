"""Landlock: the kernel's unprivileged file-system and network sandbox, through ctypes.

A process builds a *ruleset* naming which accesses it wants to control, adds
rules granting some of them beneath a few folders, and restricts itself: from
then on it and every process it starts can do only what the rules grant, even
as root, and can never lift the restriction. No root is needed, so this layer
works on developers' laptops too. ABI versions add rights: 2 moving files
between folders (REFER), 3 truncation, 4 TCP bind/connect, 5 device ioctls,
6 scoping abstract Unix sockets and signals to the sandbox. The kernel here
(6.18) reports ABI 7.

Written over the three system calls rather than taken from PyPI: the only
Python binding published there is a pre-release, and the interface is three
calls and two structs, stable since Linux 5.13 (``<linux/landlock.h>``).
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
"""create_ruleset, add_rule, restrict_self (one table for every architecture since 5.13)."""

CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
"""The only rights a rule on a file (not a folder) may grant."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(number: int, *args: object) -> int:
    result = _libc().syscall(ctypes.c_long(number), *args)
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return int(result)


def abi_version() -> int:
    """The Landlock ABI the kernel offers; 0 where there is none (disabled, old kernel)."""
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        return 0
    try:
        return _call(numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0


@dataclass(frozen=True)
class Handled:
    """What a ruleset of ``abi`` controls: everything that ABI knows of."""

    abi: int

    @property
    def fs(self) -> int:
        rights = (1 << 13) - 1
        if self.abi >= 2:
            rights |= REFER
        if self.abi >= 3:
            rights |= TRUNCATE
        if self.abi >= 5:
            rights |= IOCTL_DEV
        return rights

    @property
    def net(self) -> int:
        return NET_BIND_TCP | NET_CONNECT_TCP if self.abi >= 4 else 0

    @property
    def scoped(self) -> int:
        return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if self.abi >= 6 else 0


def restrict(abi: int, rules: Iterable[tuple[str, int]]) -> None:
    """Restrict this process (and its future children) to ``rules``: (path, rights) pairs.

    TCP bind and connect are refused altogether (ABI 4+), abstract Unix sockets
    and signals reach nothing outside the sandbox (ABI 6+). Paths that do not
    exist are left out. The caller must have set no_new_privs (or be root).
    """
    create, add_rule, restrict_self = _SYSCALLS[platform.machine()]
    handled = Handled(abi)
    attr = _RulesetAttr(handled.fs, handled.net, handled.scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct as that ABI knows it
    ruleset = _call(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path, rights in rules:
            _add(add_rule, ruleset, path, rights & handled.fs)
        _call(restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def _add(add_rule: int, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        beneath = _PathBeneathAttr(rights, fd)
        _call(add_rule, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
              ctypes.byref(beneath), ctypes.c_uint32(0))
    finally:
        os.close(fd)
