"""Binding request inputs to a process and calling it.

``bind_inputs`` is where every input is validated, whatever protocol it came
through: unknown and missing inputs, types, allowed values, counts. It runs in
the front process before a job is accepted, so a bad request is refused before
anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from honua.core.context import Context
from honua.core.description import ProcessDefinition, ProcessDescription
from honua.core.json_text import JSONText
from honua.errors import MissingParameter, TooManyValues, UnknownInput, UnknownOutput


class Repeated(tuple[Any, ...]):
    """The values of an input given several times in one request (a protocol that repeats
    an element, as WPS does), to be checked against how many the input takes."""

    __slots__ = ()


def known_inputs(description: ProcessDescription, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` checked against the process's inputs: an unknown name is refused, and the
    values of a ``Repeated`` input become a list (or its one value)."""
    known = {p.name for p in description.inputs}
    extra = [name for name in raw if name not in known]
    if extra:
        raise UnknownInput(
            f"process {description.id!r} has no input {extra[0]!r}; "
            f"its inputs are: {', '.join(sorted(known)) or 'none'}", parameter=extra[0])
    out = dict(raw)
    for parameter in description.inputs:
        value = raw.get(parameter.name)
        if not isinstance(value, Repeated):
            continue
        if not parameter.multiple and len(value) > 1:
            raise TooManyValues(f"input {parameter.name!r} takes one value, it was given "
                                f"several ({len(value)})", parameter=parameter.name)
        out[parameter.name] = list(value) if parameter.multiple else (value[0] if value else None)
    return out


def bind_inputs(description: ProcessDescription, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Converted inputs for ``description``, defaults filled in; raises InvalidParameter
    (UnknownInput, MissingParameter, TooManyValues...)."""
    raw = known_inputs(description, raw)
    bound: dict[str, Any] = {}
    for parameter in description.inputs:
        value = raw.get(parameter.name)
        if value is None or (parameter.multiple and value == []):
            if parameter.required:
                raise MissingParameter(
                    f"process {description.id!r} needs input {parameter.name!r} "
                    f"({parameter.data_type.value})", parameter=parameter.name)
            value = parameter.default
            bound[parameter.name] = (
                parameter.convert(value) if value is not None else ([] if parameter.multiple else None)
            )
            continue
        if isinstance(value, JSONText):  # decoded and converted in the worker
            bound[parameter.name] = value
            continue
        bound[parameter.name] = parameter.convert(value)
    return bound


def select_outputs(description: ProcessDescription, wanted: Any) -> tuple[str, ...]:
    """The output names a request asks for (all when it names none)."""
    names = tuple(p.name for p in description.outputs)
    if not wanted:
        return names
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise UnknownOutput(
            f"process {description.id!r} has no output {unknown[0]!r}; its outputs are: "
            f"{', '.join(names)}", parameter=unknown[0])
    return tuple(w for w in names if w in wanted)


def call_process(definition: ProcessDefinition, context: Context,
                 inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Run the function on already-bound inputs and return its outputs by name."""
    returned = definition.function(context, **inputs)
    outputs = dict(definition.normalise_outputs(returned))
    declared = {p.name for p in definition.description.outputs}
    undeclared = set(outputs) - declared
    if undeclared:
        raise TypeError(f"process {definition.id!r} returned undeclared output(s) "
                        f"{', '.join(sorted(undeclared))}")
    return outputs
