"""Alembic migrations of the job store's schema (``store.sql_schema``), shipped in the wheel.

``store.schema_versions`` runs them (``honua migrate``, and at start when safe); ``env.py``
also lets a developer use the ``alembic`` command on this folder, e.g. to draft a revision
with ``--autogenerate`` after changing ``sql_schema.py``. Every revision in ``versions/``
is frozen: it spells its tables out instead of importing ``sql_schema``, which moves on.
"""
