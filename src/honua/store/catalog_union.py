"""One catalog over the file layers and the PostGIS layers: ids are one namespace.

``open_catalog`` (``honua.store``) builds it when a ``[[honua.layers]]`` entry
has a ``url``; each call goes to the catalog that holds the id. Outputs
registered as layers go to the file catalog.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from honua.core.catalog import FeatureQuery, LayerInfo
from honua.errors import Conflict, NotSupported
from honua.geo.features import FeatureCollection
from honua.store.catalog_files import FileCatalog
from honua.store.catalog_postgis import LayerSource, PostGISCatalog

__all__ = ["CatalogUnion"]


class CatalogUnion:
    """``honua.types.Catalog`` over a ``FileCatalog`` and a ``PostGISCatalog``."""

    def __init__(self, files: FileCatalog, postgis: PostGISCatalog) -> None:
        self.files = files
        self.postgis = postgis

    def _of(self, collection_id: str) -> FileCatalog | PostGISCatalog:
        return self.postgis if self.postgis.has(collection_id) else self.files

    def list(self) -> list[LayerInfo]:
        return sorted([*self.files.list(), *self.postgis.list()], key=lambda layer: layer.id)

    def get(self, collection_id: str) -> LayerInfo:
        return self._of(collection_id).get(collection_id)

    def read(self, collection_id: str, query: FeatureQuery) -> FeatureCollection:
        return self._of(collection_id).read(collection_id, query)

    def iter_chunks(self, collection_id: str, query: FeatureQuery,
                    chunk_size: int | None = None) -> Iterator[FeatureCollection]:
        return self._of(collection_id).iter_chunks(collection_id, query, chunk_size)

    def count(self, collection_id: str, query: FeatureQuery) -> int:
        return self._of(collection_id).count(collection_id, query)

    def feature(self, collection_id: str, feature_id: str) -> FeatureCollection:
        return self._of(collection_id).feature(collection_id, feature_id)

    # -- for tier 2 (``executors.postgis``) --------------------------------------------------------
    def holds(self, collection_id: str) -> bool:
        """Whether the layer lives in PostGIS (tier 2 can run over it)."""
        return self.postgis.has(collection_id)

    def layer_source(self, collection_id: str, query: FeatureQuery, *,
                     exclude: Any = None) -> LayerSource:
        """The PostGIS layer's query as SQL (``NotSupported`` for a file layer)."""
        if not self.postgis.has(collection_id):
            raise NotSupported(f"collection {collection_id!r} is not held in PostGIS")
        return self.postgis.layer_source(collection_id, query, exclude=exclude)

    def registered_url(self) -> str | None:
        """The database registered layers are kept in (``postgis_catalog_url``), if any: a
        tier-2 result over layers in that database is written there without leaving it."""
        registered = self.postgis.registered
        return registered.url if registered is not None else None

    def register_select(self, conn: Any, collection_id: str, statement: Any, *,
                        title: str = "", description: str = "", owner: str = "",
                        tenant: str = "", expires: dt.datetime | None = None,
                        overwrite: bool = False) -> None:
        """A tier-2 statement's rows kept as a registered layer inside the database, in the
        transaction open on ``conn`` (``PostGISCatalog.register_select``); then ``refresh``."""
        if collection_id in {layer.id for layer in self.files.list()}:
            raise Conflict(f"collection {collection_id!r} already exists; choose another "
                           "collectionId")
        self.postgis.register_select(conn, collection_id, statement, title=title,
                                     description=description, owner=owner, tenant=tenant,
                                     expires=expires, overwrite=overwrite)

    def refresh(self) -> None:
        self.postgis.refresh()

    def close(self) -> None:
        """Close the connections to the PostGIS layers' databases (the server stops); a
        later read opens them again."""
        self.postgis.pools.close()

    def register(self, collection_id: str, chunks: Iterable[FeatureCollection], *, title: str = "",
                 description: str = "", owner: str = "", tenant: str = "",
                 expires: dt.datetime | None = None, overwrite: bool = False,
                 job_id: str = "") -> LayerInfo:
        if self.postgis.registered is not None:  # the PostGIS catalog store keeps them
            if collection_id in {layer.id for layer in self.files.list()}:
                raise Conflict(f"collection {collection_id!r} already exists; choose another "
                               "collectionId")
            return self.postgis.register(collection_id, chunks, title=title,
                                         description=description, owner=owner, tenant=tenant,
                                         expires=expires, overwrite=overwrite, job_id=job_id)
        if self.postgis.has(collection_id):
            self.postgis.remove(collection_id)  # refused: a configured layer, named
        return self.files.register(collection_id, chunks, title=title, description=description,
                                   owner=owner, tenant=tenant, expires=expires,
                                   overwrite=overwrite, job_id=job_id)

    def remove(self, collection_id: str) -> None:
        self._of(collection_id).remove(collection_id)

    def expired(self, now: dt.datetime) -> builtins.list[str]:
        return sorted([*self.files.expired(now), *self.postgis.expired(now)])

    def remove_expired(self, now: dt.datetime) -> int:
        return self.files.remove_expired(now) + self.postgis.remove_expired(now)
