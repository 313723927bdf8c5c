"""Whose jobs a caller may see: tenants, and the admin who sees all.

Every job records its owner and tenant. A caller sees the jobs of its own
tenant (its members share a workspace, as an ArcGIS Server organisation does);
an admin sees every tenant's. A job of another tenant is answered exactly as
an unknown id, on every surface, for every operation (status, messages,
inputs, results, cancel, dismiss, lists).

The caller travels as a context variable set by the web layer for the
duration of one request (``viewing_as``), so the job manager's one lookup
applies the rule for all three adapters and no adapter can forget it. Work
outside a request (the dispatcher, recovery, clean-up, the CLI) has no viewer
and sees everything, as the server itself must.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Viewer", "current_viewer", "may_see", "tenant_filter", "viewing_as"]


@dataclass(frozen=True)
class Viewer:
    """The caller of the current request, as the job rules need it."""

    tenant: str
    admin: bool = False
    roles: frozenset[str] = frozenset()
    """The caller's roles: the job manager checks ``[[honua.access]]`` with them again before
    any run, so a run no adapter offered (a WPS chained Execute) obeys the same rules."""
    anonymous: bool = False
    public_only: bool = False
    """An anonymous caller admitted only for public processes (``Principal.public_only``):
    references to layers and uploads, and registering outputs as layers, need credentials."""
    may_use: Callable[[str], bool] | None = None
    """Whether the caller may run a process (its view of ``core.access``), for the steps of
    a workflow and nested processes, which the core checks itself; None: no rules."""


_VIEWER: ContextVar[Viewer | None] = ContextVar("honua_viewer", default=None)


def current_viewer() -> Viewer | None:
    """The viewer of the running request; None outside requests (the server itself)."""
    return _VIEWER.get()


@contextlib.contextmanager
def viewing_as(viewer: Viewer) -> Iterator[Viewer]:
    """Within the block (and threads started from it with its context), act as ``viewer``."""
    token = _VIEWER.set(viewer)
    try:
        yield viewer
    finally:
        _VIEWER.reset(token)


def may_see(tenant: str, owner: str | None = None) -> bool:
    """Whether the current viewer may see a resource of ``tenant`` (made by ``owner``, when
    known: a public-only anonymous caller sees only what anonymous callers made)."""
    viewer = _VIEWER.get()
    if viewer is None or viewer.admin:
        return True
    if viewer.public_only and owner is not None and owner != "":
        return False
    return viewer.tenant == tenant


def tenant_filter() -> str | None:
    """The tenant a listing is restricted to (None: all, for admins and the server)."""
    viewer = _VIEWER.get()
    return None if viewer is None or viewer.admin else viewer.tenant
