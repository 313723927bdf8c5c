"""A JSON workflow document, checked before anything runs, and the process it describes.

The shape (issue 15)::

    {"id": "buffer-clip-dissolve",
     "inputs": {"roads": {"schema": {...}}, "distance": {"schema": {...}, "default": ...}},
     "steps": {"buffer": {"process": "buffer", "inputs": {
                   "features": {"$ref": "#/inputs/roads"},
                   "distance": {"$ref": "#/inputs/distance"}}},
               "dissolve": {"process": "dissolve", "inputs": {
                   "features": {"$ref": "#/steps/buffer/outputs/result"}}}},
     "outputs": {"result": {"$ref": "#/steps/dissolve/outputs/result"}}}

``parse_workflow`` refuses, with the step named, an unknown (or, for this caller,
invisible) process, an unknown input or output, a reference to a step or
workflow input that does not exist, and a cycle. A checked ``Workflow`` turns into
an ordinary ``ProcessDefinition`` (``definition``) whose inputs and outputs are
those of the steps it wires to, so every adapter describes and runs it like any
process; the engine that runs it is ``core.workflows``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from honua.core.description import JobControl, ProcessDefinition, ProcessDescription
from honua.core.parameters import Parameter
from honua.errors import HonuaError, InvalidParameter

__all__ = ["InputRef", "StepRef", "Workflow", "WorkflowStep", "parse_workflow", "refs_in"]

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
STEP_REF = re.compile(r"^#/steps/([^/]+)/outputs/([^/]+)$")
INPUT_REF = re.compile(r"^#/inputs/([^/]+)$")
MAX_STEPS = 100
WORKFLOW_MODULE = "honua.core.workflows"


class ProcessLookup(Protocol):
    """The processes a caller may use (``core.access.VisibleRegistry``, or a ``Registry``)."""

    def get(self, process_id: str) -> ProcessDefinition: ...


@dataclass(frozen=True)
class InputRef:
    name: str


@dataclass(frozen=True)
class StepRef:
    step: str
    output: str


@dataclass(frozen=True)
class WorkflowStep:
    name: str
    process: str
    inputs: Mapping[str, Any]
    """Literal values, ``InputRef`` and ``StepRef`` (alone or as items of a list)."""

    @property
    def needs(self) -> frozenset[str]:
        return frozenset(ref.step for ref in refs_in(self.inputs) if isinstance(ref, StepRef))


@dataclass(frozen=True)
class Workflow:
    id: str
    title: str
    description: str
    steps: Mapping[str, WorkflowStep]
    outputs: Mapping[str, StepRef]
    order: tuple[str, ...]
    """The steps in an order where each comes after those it needs."""
    process_inputs: tuple[Parameter, ...]
    process_outputs: tuple[Parameter, ...]
    document: Mapping[str, Any]
    version: str = "1.0.0"

    @property
    def digest(self) -> str:
        return hashlib.sha256(orjson.dumps(self.document, option=orjson.OPT_SORT_KEYS)
                              ).hexdigest()

    def definition(self, process_id: str | None = None) -> ProcessDefinition:
        """This workflow as a process (the id of an ad-hoc one is ``workflow-<digest>``)."""
        description = ProcessDescription(
            id=process_id or self.id, title=self.title or self.id,
            description=self.description or f"Workflow of {len(self.steps)} steps: "
                                            + ", ".join(self.order),
            version=self.version, category="workflows", keywords=("workflow",),
            inputs=self.process_inputs, outputs=self.process_outputs,
            job_control=(JobControl.SYNC, JobControl.ASYNC))
        return ProcessDefinition(description, _not_called, single_output=False,
                                 module=WORKFLOW_MODULE, workflow=self)


def _not_called(*_: Any, **__: Any) -> Any:
    raise RuntimeError("a workflow runs in core.workflows, never as a function")


def refs_in(value: Any) -> Iterator[InputRef | StepRef]:
    if isinstance(value, InputRef | StepRef):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


def _fail(text: str, where: str) -> InvalidParameter:
    return InvalidParameter(text, parameter=where)


def _ref(value: Any, step: str, where: str) -> Any:
    """``value`` with ``{"$ref": ...}`` objects turned into refs (top level or list items)."""
    if isinstance(value, list):
        return [_ref(item, step, where) for item in value]
    if isinstance(value, Mapping) and "$ref" in value:
        target = value["$ref"]
        if len(value) != 1 or not isinstance(target, str):
            raise _fail(f"step {step!r}: input {where!r} has a malformed $ref (an object with "
                        "only a \"$ref\" string)", f"steps.{step}")
        if (found := STEP_REF.match(target)) is not None:
            return StepRef(found[1], found[2])
        if (found := INPUT_REF.match(target)) is not None:
            return InputRef(found[1])
        raise _fail(f"step {step!r}: input {where!r} refers to {target[:100]!r}; use "
                    "#/inputs/<name> or #/steps/<step>/outputs/<output>", f"steps.{step}")
    return value


def _mapping(value: Any, what: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(f"{what} must be a JSON object", where)
    return value


def parse_workflow(document: Any, processes: ProcessLookup, *,
                   max_steps: int = MAX_STEPS) -> Workflow:
    """The checked workflow of ``document``; InvalidParameter naming the step otherwise.
    Only processes in ``processes`` (what the caller may use) can be steps."""
    doc = _mapping(document, "the workflow", "workflow")
    unknown = set(doc) - {"id", "title", "description", "version", "inputs", "steps", "outputs"}
    if unknown:
        raise _fail(f"the workflow has no member {sorted(unknown)[0]!r}; use id, title, "
                    "description, version, inputs, steps, outputs", "workflow")
    workflow_id = doc.get("id", "workflow")
    if not isinstance(workflow_id, str) or not NAME.match(workflow_id):
        raise _fail("the workflow id must be 1 to 64 letters, digits, '_', '-' or '.', "
                    "starting with a letter", "workflow.id")
    declared = _mapping(doc.get("inputs", {}), "the workflow's inputs", "workflow.inputs")
    raw_steps = _mapping(doc.get("steps"), "the workflow's steps (name -> step)",
                         "workflow.steps")
    if not raw_steps:
        raise _fail("the workflow has no steps", "workflow.steps")
    if len(raw_steps) > max_steps:
        raise _fail(f"the workflow has {len(raw_steps)} steps; at most {max_steps} are allowed",
                    "workflow.steps")
    for name in declared:
        if not NAME.match(name):
            raise _fail(f"workflow input name {name[:80]!r} is not allowed", "workflow.inputs")
    steps: dict[str, WorkflowStep] = {}
    definitions: dict[str, ProcessDefinition] = {}
    for name, raw in raw_steps.items():
        if not NAME.match(name):
            raise _fail(f"step name {name[:80]!r} is not allowed (1 to 64 letters, digits, "
                        "'_', '-' or '.')", "workflow.steps")
        spec = _mapping(raw, f"step {name!r}", f"steps.{name}")
        extra = sorted(set(spec) - {"process", "inputs", "outputs"})
        if extra:
            raise _fail(f"step {name!r} has no member {extra[0][:80]!r}", f"steps.{name}")
        process_id = spec.get("process")
        if not isinstance(process_id, str) or not process_id:
            raise _fail(f"step {name!r} names no process", f"steps.{name}")
        process_id = process_id.rstrip("/").rsplit("/processes/", 1)[-1]
        try:
            definition = processes.get(process_id)
        except HonuaError:
            raise _fail(f"step {name!r}: there is no process {process_id[:100]!r}",
                        f"steps.{name}") from None
        inputs = _mapping(spec.get("inputs", {}), f"the inputs of step {name!r}",
                          f"steps.{name}")
        known = {p.name for p in definition.description.inputs}
        for input_name in inputs:
            if input_name not in known:
                raise _fail(f"step {name!r}: process {process_id!r} has no input "
                            f"{input_name[:80]!r}; its inputs are: {', '.join(sorted(known))}",
                            f"steps.{name}")
        steps[name] = WorkflowStep(name, process_id, {
            key: _ref(value, name, key) for key, value in inputs.items()})
        definitions[name] = definition
    process_inputs = _check_refs(steps, definitions, declared)
    order = _order(steps)
    outputs_doc = _mapping(doc.get("outputs", {}), "the workflow's outputs", "workflow.outputs")
    if not outputs_doc:
        raise _fail("the workflow names no outputs ({name: {\"$ref\": "
                    "\"#/steps/<step>/outputs/<output>\"}})", "workflow.outputs")
    outputs: dict[str, StepRef] = {}
    process_outputs = []
    for name, spec in outputs_doc.items():
        if not NAME.match(name):
            raise _fail(f"workflow output name {name[:80]!r} is not allowed", "workflow.outputs")
        ref = _ref(spec, "outputs", name)
        if not isinstance(ref, StepRef):
            raise _fail(f"workflow output {name!r} must be {{\"$ref\": "
                        "\"#/steps/<step>/outputs/<output>\"}", "workflow.outputs")
        parameter = _output(ref, steps, definitions, "outputs")
        outputs[name] = ref
        process_outputs.append(dataclasses.replace(parameter, name=name))
    version = doc.get("version", "1.0.0")
    return Workflow(workflow_id, str(doc.get("title") or ""), str(doc.get("description") or ""),
                    steps, outputs, order, process_inputs, tuple(process_outputs), doc,
                    version=str(version))


def _output(ref: StepRef, steps: Mapping[str, WorkflowStep],
            definitions: Mapping[str, ProcessDefinition], where: str) -> Parameter:
    if ref.step not in steps:
        raise _fail(f"step {where!r}: there is no step {ref.step[:80]!r} to take an output from",
                    f"steps.{where}")
    parameter = definitions[ref.step].description.output(ref.output)
    if parameter is None:
        names = ", ".join(p.name for p in definitions[ref.step].description.outputs)
        raise _fail(f"step {where!r}: step {ref.step!r} ({steps[ref.step].process}) has no "
                    f"output {ref.output[:80]!r}; its outputs are: {names}", f"steps.{where}")
    return parameter


def _check_refs(steps: Mapping[str, WorkflowStep], definitions: Mapping[str, ProcessDefinition],
                declared: Mapping[str, Any]) -> tuple[Parameter, ...]:
    """Every reference resolves; the workflow's inputs, typed by the step inputs they feed."""
    found: dict[str, Parameter] = {}
    for name, step in steps.items():
        description = definitions[name].description
        for input_name, value in step.inputs.items():
            target = description.input(input_name)
            assert target is not None
            for ref in refs_in(value):
                if isinstance(ref, StepRef):
                    _output(ref, steps, definitions, name)
                    continue
                if ref.name not in declared:
                    raise _fail(f"step {name!r}: input {input_name!r} refers to workflow input "
                                f"{ref.name[:80]!r}, which the workflow does not declare",
                                f"steps.{name}")
                spec = declared[ref.name] if isinstance(declared[ref.name], Mapping) else {}
                single = isinstance(value, list)
                parameter = dataclasses.replace(
                    target, name=ref.name, title=str(spec.get("title") or target.title),
                    description=str(spec.get("description") or target.description),
                    required="default" not in spec and target.required,
                    default=spec.get("default", target.default),
                    min_occurs=1 if single else target.min_occurs,
                    max_occurs=1 if single else target.max_occurs)
                earlier = found.get(ref.name)
                if earlier is not None and earlier.data_type is not parameter.data_type:
                    raise _fail(f"step {name!r}: workflow input {ref.name!r} feeds inputs of "
                                f"different types ({earlier.data_type.value}, "
                                f"{parameter.data_type.value})", f"steps.{name}")
                found.setdefault(ref.name, parameter)
    return tuple(found[name] for name in declared if name in found)


def _order(steps: Mapping[str, WorkflowStep]) -> tuple[str, ...]:
    """A topological order; a cycle is refused naming a step on it."""
    needs = {name: set(step.needs) for name, step in steps.items()}
    order: list[str] = []
    ready = [name for name, wanted in needs.items() if not wanted]
    while ready:
        name = ready.pop(0)
        order.append(name)
        for other, wanted in needs.items():
            if name in wanted:
                wanted.discard(name)
                if not wanted and other not in order and other not in ready:
                    ready.append(other)
    if len(order) < len(steps):
        stuck = next(name for name in steps if name not in order)
        cycle = _cycle_from(stuck, steps, set(steps) - set(order))
        raise _fail(f"step {cycle[0]!r} is part of a cycle ({' -> '.join(cycle)}); a workflow "
                    "must not loop", f"steps.{cycle[0]}")
    return tuple(order)


def _cycle_from(start: str, steps: Mapping[str, WorkflowStep], stuck: set[str]) -> list[str]:
    """Walk needs among the steps that could not be ordered until one comes back."""
    path = [start]
    seen = {start}
    current = start
    while True:
        nxt = sorted(steps[current].needs & stuck)
        current = next((n for n in nxt if n in seen), nxt[0])
        if current in seen:
            return path[path.index(current):] + [current]
        path.append(current)
        seen.add(current)


def step_processes(workflow: Workflow) -> Iterable[str]:
    return (step.process for step in workflow.steps.values())
