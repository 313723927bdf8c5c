"""Per-process access rules: who may see and run which process, on every surface.

Rules come from ``[[honua.access]]`` tables in the configuration::

    [[honua.access]]
    process = "buffer"          # a process id, or a pattern such as "admin_*"
    public = true               # anonymous callers may use it even when anonymity is off
    [[honua.access]]
    process = "dissolve"
    roles = ["analyst"]         # only callers holding one of these roles (or an admin)
    [[honua.access]]
    process = "explode"
    disabled = true             # nobody, not even an admin

The first rule whose pattern matches a process id decides; a process no rule
names is open to every caller the server lets in. A process a caller may not
use is not hidden by a 403: the registry view below answers exactly as for an
unknown id, so lists, descriptions and runs on all three surfaces agree and a
caller cannot probe which processes exist.

A server that refuses anonymous callers still serves them its public processes:
the web layer lets such a caller in as ``PUBLIC_ANONYMOUS`` on process and job
routes only, and the view below narrows it to the public processes, answering
any other id (unknown or not) with the same "send credentials" refusal (401 or
ArcGIS 499), since a credential might show it. ``check_may_run`` repeats the
decision in the job manager for every run, so a run that no adapter listed (a
process chained inside a WPS Execute) obeys the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from honua.core.description import ProcessDefinition
from honua.core.identity import Principal
from honua.core.registry import Registry, no_such_process
from honua.core.tenancy import current_viewer
from honua.errors import HonuaError, Unauthenticated
from honua.settings import Settings

__all__ = ["AccessPolicy", "AccessRule", "VisibleRegistry", "check_may_run", "needs_credentials",
           "visible_to"]

_KEYS = frozenset({"process", "public", "roles", "disabled"})


@dataclass(frozen=True)
class AccessRule:
    """One ``[[honua.access]]`` table."""

    process: str
    public: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    disabled: bool = False

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> AccessRule:
        """A rule from its configuration table; ValueError naming what is wrong."""
        unknown = set(table) - _KEYS
        if unknown:
            raise ValueError(f"[[honua.access]]: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"use {', '.join(sorted(_KEYS))}")
        process = table.get("process")
        if not isinstance(process, str) or not process.strip():
            raise ValueError("[[honua.access]]: each rule needs process = \"<id or pattern>\"")
        roles = table.get("roles", [])
        if isinstance(roles, str) or not isinstance(roles, list | tuple) or \
                not all(isinstance(r, str) and r for r in roles):
            raise ValueError(f"[[honua.access]] for {process!r}: roles must be a list of names")
        flags = {}
        for name in ("public", "disabled"):
            value = table.get(name, False)
            if not isinstance(value, bool):
                raise ValueError(f"[[honua.access]] for {process!r}: {name} must be true or false")
            flags[name] = value
        return cls(process.strip(), roles=frozenset(roles), **flags)

    def matches(self, process_id: str) -> bool:
        return fnmatchcase(process_id, self.process)


@dataclass(frozen=True)
class AccessPolicy:
    """The rules, and the decision for one caller."""

    rules: tuple[AccessRule, ...] = ()

    @classmethod
    def from_tables(cls, tables: Iterable[Mapping[str, Any]]) -> AccessPolicy:
        return cls(tuple(AccessRule.from_table(t) for t in tables))

    @property
    def has_public(self) -> bool:
        """Whether any rule opens processes to anonymous callers."""
        return any(r.public and not r.disabled for r in self.rules)

    def rule_for(self, process_id: str) -> AccessRule | None:
        return next((r for r in self.rules if r.matches(process_id)), None)

    def is_public(self, process_id: str) -> bool:
        """Whether anonymous callers may use the process even where anonymity is refused."""
        rule = self.rule_for(process_id)
        return rule is not None and rule.public and not rule.disabled

    def may_use(self, process_id: str, *, roles: Collection[str], anonymous: bool,
                admin: bool) -> bool:
        """Whether a caller (already let in by the server) may see and run the process."""
        rule = self.rule_for(process_id)
        if rule is None:
            return True
        if rule.disabled:
            return False
        if admin or rule.public or not rule.roles:
            return True
        return not anonymous and not rule.roles.isdisjoint(roles)


class VisibleRegistry:
    """The registry as one caller sees it: hidden processes are simply not there."""

    def __init__(self, registry: Registry, visible: Callable[[str], bool],
                 missing: Callable[[str], HonuaError] = no_such_process) -> None:
        self._registry = registry
        self._visible = visible
        self._missing = missing

    def get(self, process_id: str) -> ProcessDefinition:
        if not self._visible(process_id) or process_id not in self._registry:
            raise self._missing(process_id)
        return self._registry.get(process_id)

    def __contains__(self, process_id: object) -> bool:
        return isinstance(process_id, str) and process_id in self._registry \
            and bool(self._visible(process_id))

    def __iter__(self) -> Iterator[ProcessDefinition]:
        return (d for d in self._registry if self._visible(d.id))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def visible_to(registry: Registry, policy: AccessPolicy, principal: Principal,
               settings: Settings) -> VisibleRegistry:
    """``registry`` narrowed to what ``principal`` may see and run under ``policy``."""
    if principal.public_only:
        return VisibleRegistry(registry, policy.is_public, needs_credentials)
    admin = principal.is_admin(settings)
    return VisibleRegistry(registry, lambda process_id: policy.may_use(
        process_id, roles=principal.roles, anonymous=principal.anonymous, admin=admin))


def needs_credentials(process_id: str) -> Unauthenticated:
    """The refusal of a process (known or not) to an anonymous caller admitted only for the
    public ones: the same words for every id, so it tells nothing about which exist."""
    return Unauthenticated(
        f"anonymous callers may use only this server's public processes, and {process_id!r} "
        "is not one of them: send credentials (an API key, a bearer token, or for ArcGIS "
        "clients a token from /arcgis/tokens/generateToken)")


def check_may_run(policy: AccessPolicy, process_id: str) -> None:
    """Refuse a run the current request's caller may not make (nothing outside a request:
    the dispatcher and the CLI act as the server)."""
    viewer = current_viewer()
    if viewer is None:
        return
    if viewer.public_only:
        if not policy.is_public(process_id):
            raise needs_credentials(process_id)
    elif not policy.may_use(process_id, roles=viewer.roles, anonymous=viewer.anonymous,
                            admin=viewer.admin):
        raise no_such_process(process_id)
