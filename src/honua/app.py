"""The one place where Honua is wired together: settings -> stores, executor, manager, adapters."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from honua.adapters import gpserver, ogcapi, wps
from honua.adapters.ogcapi.errors import problem
from honua.adapters.wps.errors import exception_response as wps_exception_response
from honua.core.access import AccessPolicy
from honua.core.authenticate import Authenticator
from honua.core.joblog import log_transition
from honua.core.manager import JobManager
from honua.core.references import LayerService
from honua.core.registry import Registry, discover
from honua.errors import HonuaError, NotFound, NotSupported
from honua.executors.celery_app import Broker, check_celery_settings
from honua.executors.inline import InlineExecutor
from honua.executors.pool import LocalPool
from honua.executors.postgis import PostGISTier
from honua.executors.worker import die_with_parent
from honua.settings import Settings, load_settings
from honua.store import (
    open_artifact_store,
    open_catalog,
    open_identity_store,
    open_job_store,
    open_notifier,
    open_usage_ledger,
)
from honua.store.catalog_union import CatalogUnion
from honua.store.pg_pools import Pools
from honua.store.uploads import UploadStore
from honua.types import ArtifactStore, Catalog, Executor
from honua.web import admin, static
from honua.web.callbacks import Callbacks
from honua.web.compress import CompressionMiddleware
from honua.web.cors import CorsMiddleware
from honua.web.health import Readiness, health_routes
from honua.web.identity import IdentityMiddleware, route_matcher
from honua.web.logs import install_request_ids
from honua.web.malloc import return_big_blocks
from honua.web.metrics import Metrics, metrics_routes
from honua.web.request_log import AccessMiddleware

log = logging.getLogger(__name__)

# Every protocol adapter exposes ``routes(services) -> list[BaseRoute]``, ``refusal`` and
# ``PUBLIC_ROUTES`` (the templates an anonymous caller of a public process may reach).
ADAPTERS = (ogcapi, gpserver, wps)


@dataclass
class Services:
    """Everything the adapters share, built from the settings."""

    settings: Settings
    registry: Registry
    manager: JobManager
    catalog: Catalog
    uploads: UploadStore
    authenticator: Authenticator
    access: AccessPolicy
    metrics: Metrics
    callbacks: Callbacks


def build_services(settings: Settings, *, executor: Executor | None = None) -> Services:
    check_celery_settings(settings)  # executor = "celery" needs PostgreSQL: say so now
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = discover(settings.process_modules)
    catalog = open_catalog(settings)
    usage = open_usage_ledger(settings)  # each tenant's stored bytes, for the quotas
    artifacts = open_artifact_store(settings)
    shared = artifacts if settings.artifacts_url.startswith("s3://") else None
    if shared is not None:
        _check_at_start(artifacts)
    uploads = UploadStore.from_settings(settings, usage, shared)  # shared by every front
    manager = JobManager(registry, open_job_store(settings), artifacts,
                         executor or LocalPool(_front_share(settings)), settings,
                         fast_executor=InlineExecutor(registry, threads=4),
                         layers=LayerService.from_settings(catalog, uploads, settings),
                         notifier=open_notifier(settings), usage=usage)
    manager.cleanup_hooks.extend([catalog.remove_expired, uploads.cleanup])
    if isinstance(catalog, CatalogUnion) and manager.layers is not None:  # tier 2
        pools = Pools(size=settings.postgis_pool_size,
                      timeout=settings.postgis_pool_timeout_seconds)  # the tier's own
        manager.add_tier(PostGISTier(registry, manager.layers, catalog, pools.connection,
                                     threads=settings.postgis_pool_size,
                                     chunk_size=settings.chunk_features,
                                     connect_timeout=settings.postgis_pool_timeout_seconds,
                                     close=pools.close))
    if settings.executor == "celery":  # queued jobs go to the broker; cancels revoke there too
        manager.dispatcher.broker = Broker(settings)
    manager.load_deployed()  # workflows deployed as processes (config file, POST /api/processes)
    authenticator = Authenticator(open_identity_store(settings), settings)
    secret = (settings.webhook_secret.encode() if settings.webhook_secret
              else authenticator.store.secret("webhook"))
    callbacks = Callbacks(settings, secret, manager.recorder.message)
    manager.recorder.listeners.append(callbacks)
    access = AccessPolicy.from_tables(settings.access)  # a bad rule stops the start, named
    metrics = Metrics(manager.store)
    manager.recorder.observers.extend([log_transition, metrics.observe_job])
    restart_listeners = getattr(manager.executor, "restart_listeners", None)
    if restart_listeners is not None:  # the local pool (Celery's workers are not ours)
        restart_listeners.append(metrics.worker_restarted)
    return Services(settings, registry, manager, catalog, uploads, authenticator, access,
                    metrics, callbacks)


def build_worker(settings: Settings, concurrency: int) -> Services:
    """The services of a ``honua worker``: the same as a front's (``build_services``), with
    a worker pool of ``concurrency`` slots of its own."""
    return build_services(settings.replace(workers=max(1, concurrency), front_processes=1))


def _check_at_start(artifacts: ArtifactStore) -> None:
    """Say at once, in the log, what is wrong with shared artifact storage (a missing bucket
    is the usual first-day mistake); ``/ready`` keeps failing on it until it is mended, so the
    server starts and tells instead of crash-looping."""
    try:
        artifacts.check()
    except HonuaError as exc:
        log.error("artifact store: %s", exc.message)


def _front_share(settings: Settings) -> Settings:
    """The settings of this front's own worker pool: its share of the server's workers."""
    if settings.front_processes <= 1:
        return settings
    return settings.replace(workers=max(1, -(-settings.workers // settings.front_processes)))


def log_warnings() -> None:
    """Honua's warnings at start (the job sandbox, processes that failed to load) go to
    stderr with their level; uvicorn configures only its own loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     honua: %(message)s"))
    logger = logging.getLogger("honua")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


FRONT_CHILD = "HONUA_FRONT_PARENT"
"""Set (to the supervisor's pid) in the environment of the front processes of one server."""


def serve_app() -> Starlette:
    """The application of one front process of ``honua serve --processes N`` (an app
    factory: each process reads the same settings from the environment). A front dies
    with its supervisor, even by SIGKILL, so that no front outlives the server."""
    if os.environ.get(FRONT_CHILD) == str(os.getppid()):
        die_with_parent()
    log_warnings()
    return create_app(load_settings())


def _refusal(request: Request, error: HonuaError) -> Response:
    """A request refused for its credentials, in the format of the protocol whose path it
    asked for (each adapter maps ``unauthenticated``/``invalid-token`` in its own table)."""
    path = request.url.path
    if path == "/arcgis" or path.startswith("/arcgis/"):
        return gpserver.refusal(request, error)
    if path == "/wps" or path.startswith("/wps/"):
        return wps.refusal(request, error)
    return ogcapi.refusal(request, error)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods, in the format of the protocol whose path was asked."""
    status = getattr(exc, "status_code", 500)
    path = request.url.path
    if path == "/wps" or path.startswith("/wps/"):
        error = (NotFound(f"there is no resource at {path}; WPS requests go to /wps")
                 if status == 404 else NotSupported(f"{request.method} is not allowed on {path}"))
        return wps_exception_response(error, status=status)
    if status == 405:
        return problem("method", f"{request.method} is not allowed on {path}", instance=path)
    if status == 404:
        return problem("not-found", f"there is no resource at {path}; start at /api",
                       instance=path)
    detail = getattr(exc, "detail", "") or "request failed"
    return problem("internal" if status >= 500 else "invalid-parameter", str(detail), instance=path)


def create_app(settings: Settings, *, services: Services | None = None,
               start_services: bool = True) -> Starlette:
    return_big_blocks()  # a front process keeps no memory of its largest request
    services = services or build_services(settings)
    install_request_ids()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start_services:
            services.manager.start()
        try:
            yield
        finally:
            if start_services:
                services.manager.stop()  # closes the tier-2 pool too
                close = getattr(services.catalog, "close", None)
                if close is not None:  # the catalog's database connections
                    close()

    async def root(request: Request) -> Response:
        # /api answers a browser with the landing page linking all three surfaces
        return RedirectResponse(url="/api", headers={"Vary": "Accept"})

    routes: list[BaseRoute] = [Route("/", root), static.mount()]
    routes.extend(health_routes(Readiness(services.manager.store, services.manager.executor,
                                          services.catalog, services.manager.artifacts)))
    routes.extend(metrics_routes(services.metrics, settings))
    for adapter in ADAPTERS:
        routes.extend(adapter.routes(services))
    routes.extend(admin.routes(services))
    public = route_matcher(routes, frozenset().union(*(a.PUBLIC_ROUTES for a in ADAPTERS))
                           ) if services.access.has_public else None
    identity = Middleware(IdentityMiddleware, authenticator=services.authenticator,
                          refuse=_refusal, max_body=settings.max_body_bytes,
                          public_route=public, access=services.access)
    # the access log and metrics outermost (they see every answer, refusals included, and
    # the bytes that went on the wire), then compression, then CORS: a refusal (401/499)
    # must still reach a browser page it may read
    access = Middleware(AccessMiddleware, access_log=settings.access_log,
                        observe=services.metrics.observe_request)
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error},
                    middleware=[access,
                                Middleware(CompressionMiddleware,
                                           minimum_size=settings.gzip_min_bytes),
                                Middleware(CorsMiddleware, origins=settings.cors_origins),
                                identity])
    app.state.services = services
    return app


def from_environment() -> Starlette:
    """The application from ``load_settings()`` (``HONUA_*``, ``honua.toml``), for ASGI
    servers that start several front processes themselves:
    ``uvicorn --factory honua.app:from_environment --workers 4`` (with
    ``PROMETHEUS_MULTIPROC_DIR`` set, see ``web.metrics``)."""
    from honua.settings import load_settings
    from honua.web.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
