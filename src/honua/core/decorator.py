"""``@honua.process``: a plain Python function becomes a served process.

The first parameter receives the job context; the others are the inputs,
described by their annotations (see ``honua.core.parameters``). The function
returns one value (a single output named ``result``) or a dict of outputs
declared with ``outputs=``.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from honua.core.description import (
    JobControl,
    Limits,
    ProcessDefinition,
    ProcessDescription,
    ResourceClass,
)
from honua.core.parameters import Output, Parameter, parameter_from_annotation

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,127}$")
PROCESS_ATTRIBUTE = "__honua_process__"


def process(
    id: str | None = None,
    *,
    title: str | None = None,
    description: str | None = None,
    version: str = "1.0.0",
    category: str = "",
    keywords: Iterable[str] = (),
    resource_class: str | ResourceClass = ResourceClass.CPU_BURST,
    job_control: Iterable[str | JobControl] = (JobControl.SYNC, JobControl.ASYNC),
    limits: Limits | None = None,
    outputs: Mapping[str, Output] | None = None,
    feature_wise: bool = False,
    whole_layer_when: Iterable[str] = (),
    tiers: Iterable[str] = ("shapely",),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a process. The decorated function stays callable as before.

    ``feature_wise=True`` says the function maps the features of its first feature
    input independently, so a large layer can be processed chunk by chunk;
    ``whole_layer_when`` names inputs that, when true or non-empty, break that.
    ``tiers`` lists the tiers it runs on in preference order (``core.tiers``).
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        definition = describe_function(
            function, id=id, title=title, description=description, version=version,
            category=category, keywords=tuple(keywords), resource_class=ResourceClass(resource_class),
            job_control=tuple(JobControl(j) for j in job_control), limits=limits or Limits(),
            outputs=outputs, feature_wise=feature_wise, whole_layer_when=tuple(whole_layer_when),
            tiers=tuple(tiers),
        )
        setattr(function, PROCESS_ATTRIBUTE, definition)
        return function

    return decorate


def describe_function(function: Callable[..., Any], *, id: str | None, title: str | None,
                      description: str | None, outputs: Mapping[str, Output] | None,
                      **options: Any) -> ProcessDefinition:
    process_id = id or function.__name__
    if not _ID.match(process_id):
        raise ValueError(f"invalid process id {process_id!r}: letters, digits, '_', '-', '.'")
    hints = typing.get_type_hints(function, include_extras=True)
    parameters = list(inspect.signature(function).parameters.values())
    if not parameters:
        raise TypeError(f"process {process_id!r}: the first parameter must take the context")
    inputs = tuple(
        parameter_from_annotation(
            p.name, hints.get(p.name, str), p.default, p.default is not inspect.Parameter.empty)
        for p in parameters[1:]
    )
    single = outputs is None
    if outputs is None:
        returned = hints.get("return")
        if returned is None:
            raise TypeError(f"process {process_id!r}: annotate the return type (the output's type)")
        outputs = {"result": Output(returned, title="Result")}
    described_outputs = tuple(_output(name, spec) for name, spec in outputs.items())
    doc = inspect.getdoc(function) or ""
    first_line = doc.split("\n", 1)[0] if doc else process_id
    return ProcessDefinition(
        description=ProcessDescription(
            id=process_id, title=title or first_line.rstrip("."),
            description=description if description is not None else doc,
            inputs=inputs, outputs=described_outputs, **options,
        ),
        function=function, single_output=single, module=function.__module__,
    )


def _output(name: str, spec: Output) -> Parameter:
    described = parameter_from_annotation(name, spec.type, None, True, output=True)
    return Parameter(
        name=name, data_type=described.data_type, title=spec.title or described.title,
        description=spec.description, required=False, min_occurs=1,
        max_occurs=described.max_occurs, geometry_types=spec.geometry_types,
    )


def definition_of(obj: Any) -> ProcessDefinition | None:
    return getattr(obj, PROCESS_ATTRIBUTE, None)
