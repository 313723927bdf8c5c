"""Row-level security on tenant for the PostgreSQL job store: a query that forgets its
tenant filter still cannot cross tenants.

The job manager filters by tenant itself (``core.tenancy``), on every database.
On PostgreSQL the database enforces it as well:

- ``honua_jobs`` and ``honua_job_messages`` have ``ENABLE`` and ``FORCE ROW LEVEL
  SECURITY`` (FORCE: the policies bind the tables' owner too, which is the role the
  server connects as, since it creates them);
- one policy per table lets a transaction see and write only rows of the tenant it
  declared, and messages only of jobs it can see;
- every transaction of the store declares itself first, with ``set_config(...,
  true)`` (``SET LOCAL``: gone at commit, so a pooled connection carries nothing
  over): ``honua.access = 'tenant'`` and ``honua.tenant`` from the current
  ``Viewer``, or ``honua.access = 'all'`` for admins and for the server's own work
  outside requests (dispatcher, recovery, clean-up, CLI).

A transaction that declares nothing sees no row (the policy says false unless
``honua.access`` is exactly ``tenant`` or ``all``; a setting reverted after a
transaction reads as ``''``, so an anonymous tenant ``''`` is not matched by
accident). Superusers and ``BYPASSRLS`` roles skip every policy: the store warns
at start when it connects as one. SQLite has no row security: there, the job
manager's filter is the only one.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from honua.core.tenancy import current_viewer

__all__ = ["ACCESS", "TENANT", "declare", "install", "listen", "scope"]

log = logging.getLogger(__name__)

ACCESS = "honua.access"
TENANT = "honua.tenant"
_POLICY = "honua_tenant"
_VISIBLE = (f"CASE current_setting('{ACCESS}', true) WHEN 'all' THEN true "
            f"WHEN 'tenant' THEN tenant = current_setting('{TENANT}', true) ELSE false END")
_OF_VISIBLE_JOB = "EXISTS (SELECT 1 FROM honua_jobs j WHERE j.id = honua_job_messages.job_id)"
_POLICIES = {"honua_jobs": _VISIBLE, "honua_job_messages": _OF_VISIBLE_JOB}


def install(conn: sa.Connection) -> None:
    """Enable and force row security with the tenant policies (run where the tables are
    created, under the schema lock; replaces an older policy of the same name)."""
    for table, condition in _POLICIES.items():
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {_POLICY} ON {table}")
        conn.exec_driver_sql(f"CREATE POLICY {_POLICY} ON {table} USING ({condition}) "
                             f"WITH CHECK ({condition})")
    bypass = conn.execute(sa.text(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar()
    if bypass:
        log.warning("the job store connects to PostgreSQL as %r, a superuser or BYPASSRLS "
                    "role: row-level security on tenant does not apply; connect as an "
                    "ordinary role (see docs/DESIGN.md, Security)",
                    conn.execute(sa.text("SELECT current_user")).scalar())


def scope() -> tuple[str, str]:
    """``(honua.access, honua.tenant)`` for the current viewer: ``('tenant', <its tenant>)``,
    or ``('all', '')`` for an admin and outside requests."""
    viewer = current_viewer()
    if viewer is None or viewer.admin:
        return "all", ""
    return "tenant", viewer.tenant


def declare(conn: sa.Connection) -> None:
    """The first statement of every transaction: who it acts for."""
    access, tenant = scope()
    conn.execute(sa.text(f"SELECT set_config('{ACCESS}', :access, true), "
                         f"set_config('{TENANT}', :tenant, true)"),
                 {"access": access, "tenant": tenant})


def listen(engine: sa.Engine) -> None:
    """Make every transaction on ``engine`` (and its writer) ``declare`` itself first."""
    sa.event.listen(engine, "begin", declare)
