"""A server with API keys for two (or more) tenants: the fixture of every tenancy test.

``tenant_services`` builds the services and adds one key per user; ``tenant_server``
also serves them through a ``TestClient``. Each user's key is given back as the
headers that carry it (``keys["a"]`` -> ``{"X-API-Key": ...}``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from honua.app import Services, build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.settings import Settings

User = tuple[str, str, Iterable[str]]
"""(key name, tenant, roles)."""

TWO_TENANTS: tuple[User, ...] = (("a", "t1", ("user",)), ("b", "t2", ("user",)))
"""User ``a`` of tenant ``t1`` and user ``b`` of tenant ``t2``."""


def add_keys(services: Services, users: Iterable[User] = TWO_TENANTS
             ) -> dict[str, dict[str, str]]:
    """A new API key for each user, stored; the headers that carry each."""
    keys = {}
    for name, tenant, roles in users:
        keys[name] = {"X-API-Key": new_key()}
        services.authenticator.store.add_key(ApiKey(
            name, hash_key(keys[name]["X-API-Key"]), tenant, frozenset(roles),
            dt.datetime.now(dt.UTC)))
    return keys


def tenant_services(data_dir: Path, *, users: Iterable[User] = TWO_TENANTS, **settings: Any
                    ) -> tuple[Settings, Services, dict[str, dict[str, str]]]:
    """Settings (``data_dir`` and ``settings``), their services, and the users' keys."""
    config = Settings(data_dir=data_dir, **settings)
    services = build_services(config)
    return config, services, add_keys(services, users)


@contextmanager
def tenant_server(data_dir: Path, *, users: Iterable[User] = TWO_TENANTS, **settings: Any
                  ) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Services]]:
    """(client, keys, services) of a started server (``tenant_services``)."""
    config, services, keys = tenant_services(data_dir, users=users, **settings)
    with TestClient(create_app(config, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys, services
