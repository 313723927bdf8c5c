"""OGC API - Processes Part 3 nested processes, translated into a workflow document.

An execute request whose input value is ``{"process": ".../processes/buffer", "inputs":
{...}, "outputs": {"result": {}}}`` becomes a workflow (``core.workflow_document``):
the outer process is the step ``main``, each nested process a step named by its
path (``main.features``), wired by ``$ref``; every literal value becomes a
workflow input of the same path, so the document holds only structure and the
data travel as the workflow's inputs (a ``{"collection": ...}`` one among them,
read from the catalog as any layer reference). The core's workflow engine runs
it: one job, each inner process a step on the pool, access rules checked for
every step, the partial-result cache for repeated inner runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from honua.errors import InvalidParameter

__all__ = ["has_nested", "nested_workflow"]

MAX_NESTED = 50


def _is_nested(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("process"), str)


def has_nested(document: Any) -> bool:
    inputs = document.get("inputs") if isinstance(document, Mapping) else None
    if not isinstance(inputs, Mapping):
        return False
    return any(_is_nested(item) for value in inputs.values()
               for item in (value if isinstance(value, list) else [value]))


def _process_id(href: str) -> str:
    return href.rstrip("/").rsplit("/processes/", 1)[-1].split("?")[0]


def nested_workflow(process_id: str, document: Mapping[str, Any], outputs_of: Any
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The workflow document and the execute body (its inputs) for a nested request.
    ``outputs_of(process_id)`` names a process's outputs (unknown: NoSuchProcess)."""
    steps: dict[str, Any] = {}
    values: dict[str, Any] = {}
    declared: dict[str, Any] = {}

    def literal(path: str, value: Any) -> dict[str, str]:
        values[path] = value
        declared[path] = {}
        return {"$ref": f"#/inputs/{path}"}

    def step(path: str, pid: str, inputs: Any) -> None:
        if len(steps) >= MAX_NESTED:
            raise InvalidParameter(f"at most {MAX_NESTED} nested processes in one request")
        if not isinstance(inputs, Mapping):
            raise InvalidParameter(f"nested process at {path!r}: 'inputs' must be an object",
                                   parameter=path)
        wired: dict[str, Any] = {}
        for name, value in inputs.items():
            where = f"{path}.{name}"
            if isinstance(value, list):
                wired[name] = [convert(f"{where}.{i}", v) for i, v in enumerate(value)]
            else:
                wired[name] = convert(where, value)
        steps[path] = {"process": pid, "inputs": wired}

    def convert(path: str, value: Any) -> Any:
        if not _is_nested(value):
            return literal(path, value)
        pid = _process_id(value["process"])
        names = list(outputs_of(pid))
        asked = value.get("outputs") or {}
        if not isinstance(asked, Mapping):
            raise InvalidParameter(f"nested process at {path!r}: 'outputs' must be an object",
                                   parameter=path)
        chosen = list(asked) or names
        if len(chosen) != 1:
            raise InvalidParameter(f"nested process {pid!r} at {path!r} has several outputs; "
                                   "select the one to feed in with \"outputs\"", parameter=path)
        if chosen[0] not in names:
            raise InvalidParameter(f"nested process {pid!r} has no output {chosen[0]!r}",
                                   parameter=path)
        step(path, pid, value.get("inputs", {}))
        return {"$ref": f"#/steps/{path}/outputs/{chosen[0]}"}

    step("main", process_id, document.get("inputs") or {})
    workflow = {"id": f"nested-{process_id}"[:64], "inputs": declared, "steps": steps,
                "outputs": {name: {"$ref": f"#/steps/main/outputs/{name}"}
                            for name in outputs_of(process_id)}}
    body = {key: value for key, value in document.items() if key != "inputs"}
    body["inputs"] = values
    return workflow, body
