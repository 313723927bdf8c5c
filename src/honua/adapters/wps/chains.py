"""An asynchronous chained Execute as one workflow job.

A chained Execute (a ``wps:Reference`` to this server whose ``wps:Body`` is another
``wps:Execute``, GeoServer style) run synchronously runs each inner Execute in the
request, one after another (``InputResolver``'s ``run_nested``). Asked for asynchronously
(1.0.0 ``storeExecuteResponse`` + ``status``, 2.0 ``mode="async"``) it must answer at
once, so it is translated into a workflow document (``core.workflow_document``), as OGC
API nested processes are (``adapters/ogcapi/nested.py``): the outer Execute is the step
``main``, each inner one a step named by the path of the input it feeds
(``main.features``), wired by ``$ref``; every other input is decoded here, as for any
Execute, and becomes a workflow input of the same path. The core's workflow engine runs
it as one job whose status location answers at once; a failing inner step fails the job
with its step's name and message.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.model import ExecuteRequest, InputItem
from honua.adapters.wps.references import InputResolver
from honua.core.description import ProcessDescription

__all__ = ["ChainedWorkflow", "chained_output", "has_chain"]

MAIN = "main"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")  # core.workflow_document's names


def has_chain(request: ExecuteRequest, resolver: InputResolver) -> bool:
    """Whether any input of ``request`` is a chained Execute run on this server."""
    return any(resolver.chained(item) is not None for item in request.inputs)


def chained_output(request: ExecuteRequest, description: ProcessDescription) -> str:
    """The one output of a chained Execute that feeds the input it is the body of."""
    names = [o.name for o in request.outputs] or [p.name for p in description.outputs]
    if len(names) != 1:
        raise OwsException("InvalidParameterValue", f"process {description.id!r} has several "
                           "outputs; name the one to chain (RawDataOutput or one Output)",
                           locator="Identifier", code2="TooManyOutputs")
    if description.output(names[0]) is None:
        raise OwsException("InvalidParameterValue", f"process {description.id!r} has no output "
                           f"{names[0]!r}", locator=names[0])
    return names[0]


@dataclasses.dataclass
class ChainedWorkflow:
    """Builds the workflow document and its inputs for one chained request."""

    resolver: InputResolver
    processes: Any
    """The caller's view of the registry: an inner process it may not run is unknown."""
    check_outputs: Callable[[ExecuteRequest, ProcessDescription], None]
    """The formats an Execute asks of its outputs, checked for each inner one as if it ran
    alone (the value itself travels between the steps in the core's form)."""
    steps: dict[str, Any] = dataclasses.field(default_factory=dict)
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    declared: dict[str, Any] = dataclasses.field(default_factory=dict)
    origins: dict[str, Any] = dataclasses.field(default_factory=dict)

    def build(self, request: ExecuteRequest) -> tuple[dict[str, Any], dict[str, Any]]:
        """The workflow document and its raw inputs (decoded core values)."""
        description = self.processes.get(request.process_id).description
        self._step(MAIN, request, description)
        workflow = {"id": f"wps-chain-{description.id}"[:64],
                    "title": f"Chained Execute of {description.id}",
                    "inputs": self.declared, "steps": self.steps,
                    "outputs": {p.name: {"$ref": f"#/steps/{MAIN}/outputs/{p.name}"}
                                for p in description.outputs}}
        return workflow, self.values

    def _name(self, path: str, prefix: str, taken: dict[str, Any]) -> str:
        """``path`` as a step or input name; a numbered one when it is too long or odd."""
        if _NAME.match(path) and path not in taken:
            return path
        return f"{prefix}{len(taken)}"

    def _step(self, path: str, request: ExecuteRequest, description: ProcessDescription) -> str:
        name = self._name(path, "step", self.steps)
        self.steps[name] = {}  # taken before the inner steps choose their names
        given: dict[str, list[InputItem]] = {}
        for item in request.inputs:
            given.setdefault(item.name, []).append(item)
        wired: dict[str, Any] = {}
        for input_name, items in given.items():
            parameter = description.input(input_name)
            multiple = len(items) > 1 or (parameter is not None and parameter.multiple)
            converted = [self._input(f"{name}.{input_name}" + (f".{i}" if multiple else ""),
                                     description, item) for i, item in enumerate(items)]
            wired[input_name] = converted if multiple else converted[0]
        self.steps[name] = {"process": description.id, "inputs": wired}
        return name

    def _input(self, path: str, description: ProcessDescription, item: InputItem) -> Any:
        parameter = description.input(item.name)
        nested = self.resolver.chained(item)
        if nested is not None and parameter is not None:
            inner = self.processes.get(nested.process_id).description
            output = chained_output(nested, inner)
            self.check_outputs(nested, inner)
            step = self._step(path, nested, inner)
            return {"$ref": f"#/steps/{step}/outputs/{output}"}
        name = self._name(path, "input", self.declared)
        self.declared[name] = {}
        if parameter is None:  # unknown: the workflow check refuses it, naming the step
            self.values[name] = None
            return {"$ref": f"#/inputs/{name}"}
        one = dataclasses.replace(self.resolver, origins={})
        self.values[name] = one.value(parameter, item)
        if parameter.name in one.origins:
            self.origins[name] = one.origins[parameter.name]
        return {"$ref": f"#/inputs/{name}"}

