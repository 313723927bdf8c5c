"""Workflows deployed as processes, the same on every front process of a server.

A deployed workflow (``POST /api/processes``) is kept in the artifact store: its document
under ``deployed/<id>.json`` and its id in ``DEPLOYED_INDEX``, which every front shares
(the same data directory, or S3). Each front keeps its own registry, so a deploy or an
undeploy in one front must reach the others: the front that made the change says so on
the job change notifier under the reserved id ``DEPLOYED_CHANGES`` (Unix datagrams to the
fronts of one machine, PostgreSQL ``NOTIFY`` to those of every machine), and each front's
watcher thread, woken by it, re-reads the index and brings its registry to match. The
watcher also re-reads every ``deployed_resync_seconds`` without a notification, so a lost
one (a full datagram queue, a dropped connection) costs a delay, never a process missing
for good. The store stays the truth; a notification only says "look now".

Workflows of the ``workflows`` setting (the config file) are every front's own: a sync
never removes them, and a stored workflow with the same id is skipped with a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

from honua.core.changes import DEPLOYED_CHANGES, FALLBACK_SECONDS, Notifier
from honua.core.description import ProcessDefinition
from honua.core.registry import Registry
from honua.core.workflow_document import parse_workflow
from honua.errors import Conflict, Forbidden, HonuaError, NotFound
from honua.types import ArtifactStore

__all__ = ["DEPLOYED_INDEX", "DeployedWorkflows"]

log = logging.getLogger(__name__)

DEPLOYED_INDEX = "deployed/index.json"


def _deployed_key(workflow_id: str) -> str:
    return f"deployed/{workflow_id}.json"


class DeployedWorkflows:
    """Deploys, undeploys and keeps one front's registry in step with the shared index."""

    def __init__(self, registry: Registry, artifacts: ArtifactStore, notifier: Notifier, *,
                 max_steps: int, resync_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = registry
        self.artifacts = artifacts
        self.notifier = notifier
        self.max_steps = max_steps
        self.resync_seconds = resync_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self._stored: dict[str, bytes] = {}
        """Ids deployed here from the store -> the stored document they were built from."""
        self._configured: set[str] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- changes ------------------------------------------------------------------------------
    def load(self, configured: tuple[dict[str, Any], ...]) -> None:
        """At start: the config file's workflows, then those kept in the store."""
        with self._lock:
            for document in configured:
                try:
                    definition = self._parse(document)
                    self.registry.add(definition)
                    self._configured.add(definition.id)
                except HonuaError as exc:
                    log.warning("workflow %r not deployed: %s", document.get("id"), exc.message)
            self.sync()

    def deploy(self, document: object) -> ProcessDefinition:
        """Keep ``document`` as a named process and tell the other fronts; Conflict if the
        id is taken by another process (here or, just deployed, in another front)."""
        with self._lock:
            self.sync()  # a deploy in another front not heard of yet still conflicts
            definition = self._parse(document)
            workflow = definition.workflow
            assert workflow is not None
            data = orjson.dumps(workflow.document)
            self.artifacts.put(_deployed_key(definition.id), data)
            self._change_index(add=definition.id)
            self.registry.add(definition)
            self._stored[definition.id] = data
        self.notifier.notify(DEPLOYED_CHANGES)
        return definition

    def undeploy(self, process_id: str) -> None:
        """Remove a deployed workflow everywhere; a built-in, a plugin or a workflow of
        the config file cannot be removed."""
        with self._lock:
            self.sync()
            definition = self.registry.get(process_id)
            if definition.workflow is None or process_id not in self._stored:
                raise Forbidden(f"process {process_id!r} is not a deployed workflow; only "
                                "those deployed through POST /api/processes can be undeployed")
            self.registry.remove(process_id)
            self._stored.pop(process_id, None)
            self.artifacts.delete_prefix(_deployed_key(process_id))
            self._change_index(remove=process_id)
        self.notifier.notify(DEPLOYED_CHANGES)

    def _parse(self, document: object) -> ProcessDefinition:
        workflow = parse_workflow(document, self.registry, max_steps=self.max_steps)
        if workflow.id in self.registry:
            raise Conflict(f"there is already a process {workflow.id!r}; undeploy it first "
                           "(only deployed workflows can be) or choose another id")
        return workflow.definition()

    def _change_index(self, *, add: str = "", remove: str = "") -> None:
        ids = [i for i in self._read_index() if i not in (add, remove)]
        self.artifacts.put(DEPLOYED_INDEX, orjson.dumps(ids + ([add] if add else [])))

    def _read_index(self) -> list[str]:
        try:
            ids = orjson.loads(self.artifacts.get(DEPLOYED_INDEX))
        except NotFound:
            return []
        if not isinstance(ids, list):
            raise ValueError("the deployed index is not a list")
        return [i for i in ids if isinstance(i, str)]

    # -- keeping in step ----------------------------------------------------------------------
    def sync(self) -> None:
        """Bring the registry to match the stored index: add what another front deployed,
        drop what it undeployed, rebuild what it replaced. An unreadable index changes
        nothing (an outage must not undeploy everything); an unreadable document is tried
        again at the next sync."""
        with self._lock:
            try:
                index = self._read_index()
            except (HonuaError, ValueError) as exc:
                log.warning("deployed workflows: cannot read the index (%s); kept as they are",
                            exc)
                return
            for gone in [i for i in self._stored if i not in index]:
                self.registry.remove(gone)
                del self._stored[gone]
            for workflow_id in index:  # in deployment order: a workflow after those it uses
                self._sync_one(workflow_id)

    def _sync_one(self, workflow_id: str) -> None:
        try:
            data = self.artifacts.get(_deployed_key(workflow_id))
        except NotFound:  # undeployed meanwhile: the index says so at the next read
            return
        except HonuaError as exc:
            log.warning("deployed workflow %r: cannot read it (%s)", workflow_id, exc)
            return
        if self._stored.get(workflow_id) == data:
            return
        if workflow_id in self._stored:  # replaced (undeployed and deployed again) elsewhere
            self.registry.remove(workflow_id)
            del self._stored[workflow_id]
        try:
            definition = self._parse(orjson.loads(data))
        except (HonuaError, ValueError) as exc:
            log.warning("deployed workflow %r not deployed here: %s", workflow_id,
                        getattr(exc, "message", exc))
            return
        self.registry.add(definition)
        self._stored[workflow_id] = data

    def start(self) -> None:
        """Follow the other fronts' deploys (a daemon thread, ended by ``stop``)."""
        if self._thread is None:
            self._stopping = threading.Event()  # its own: an earlier watcher still ends
            self._thread = threading.Thread(target=self._watch, args=(self._stopping,),
                                            name="honua-deployed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Not joined: the watcher notices within ``FALLBACK_SECONDS`` and ends without
        another sync, so that stopping a server never waits for it."""
        self._stopping.set()
        self._thread = None

    def _watch(self, stopping: threading.Event) -> None:
        seen = self.notifier.count(DEPLOYED_CHANGES)
        synced = self._clock() - self.resync_seconds  # once at once: what came since load
        while not stopping.is_set():
            heard = self.notifier.wait(DEPLOYED_CHANGES, seen, FALLBACK_SECONDS)
            if stopping.is_set():
                return
            if heard != seen or self._clock() - synced >= self.resync_seconds:
                seen = heard
                try:
                    self.sync()
                except Exception:  # the watcher must outlive a bad sync; the next one retries
                    log.exception("deployed workflows: sync failed")
                synced = self._clock()
