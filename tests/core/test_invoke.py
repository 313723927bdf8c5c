"""Binding inputs: defaults, missing and unknown inputs, output selection."""

from typing import Annotated

import pytest

from honua.core.context import Context
from honua.core.decorator import definition_of, process
from honua.core.invoke import Repeated, bind_inputs, call_process, select_outputs
from honua.core.parameters import Input, Output
from honua.errors import MissingParameter, TooManyValues, UnknownInput, UnknownOutput


@process("scale", title="Scale a number", version="2.1.0", keywords=("maths",))
def scale(ctx: Context, value: Annotated[float, Input(title="Value")], factor: int = 2) -> float:
    """Multiply a value by a factor."""
    ctx.progress(50, "halfway")
    return value * factor


@process("split_words", outputs={"first": Output(str), "count": Output(int)})
def split_words(ctx: Context, text: str) -> dict:
    words = text.split()
    return {"first": words[0] if words else "", "count": len(words)}


@process("words")
def words(ctx: Context, texts: Annotated[list[str], Input(max_occurs=2)]) -> int:
    return len(texts)


def test_decorator_describes_the_function():
    d = definition_of(scale).description
    assert (d.id, d.title, d.version, d.keywords) == ("scale", "Scale a number", "2.1.0", ("maths",))
    assert [p.name for p in d.inputs] == ["value", "factor"]
    assert [p.name for p in d.outputs] == ["result"]
    assert scale(Context(), 2.0) == 4.0  # still a plain function


def test_decorator_title_defaults_to_docstring_first_line():
    assert definition_of(split_words).description.title == "split_words"
    assert definition_of(scale).description.description == "Multiply a value by a factor."


def test_bind_inputs_fills_defaults_and_converts():
    assert bind_inputs(definition_of(scale).description, {"value": "1.5"}) == {
        "value": 1.5, "factor": 2}


def test_bind_inputs_missing_required_input():
    with pytest.raises(MissingParameter, match="needs input 'value'"):
        bind_inputs(definition_of(scale).description, {})


def test_bind_inputs_unknown_input_lists_the_known_ones():
    with pytest.raises(UnknownInput, match="no input 'vlaue'.*factor, value") as caught:
        bind_inputs(definition_of(scale).description, {"vlaue": 1})
    assert caught.value.kind == "unknown-input" and caught.value.parameter == "vlaue"


def test_bind_inputs_repeated_single_input_is_too_many_values():
    """An input given twice (WPS repeats an element) that takes one value is refused."""
    with pytest.raises(TooManyValues, match="'value' takes one value") as caught:
        bind_inputs(definition_of(scale).description, {"value": Repeated(["1", "2"])})
    assert caught.value.kind == "too-many-values" and caught.value.parameter == "value"


def test_bind_inputs_repeated_once_is_the_one_value():
    assert bind_inputs(definition_of(scale).description, {"value": Repeated(["4"])}) == {
        "value": 4.0, "factor": 2}


def test_bind_inputs_repeated_multi_value_input_becomes_a_list():
    d = definition_of(words).description
    assert bind_inputs(d, {"texts": Repeated(["a", "b"])}) == {"texts": ["a", "b"]}
    with pytest.raises(TooManyValues, match="at most 2"):
        bind_inputs(d, {"texts": Repeated(["a", "b", "c"])})


def test_call_process_single_and_multiple_outputs():
    assert call_process(definition_of(scale), Context(), {"value": 3.0, "factor": 3}) == {
        "result": 9.0}
    assert call_process(definition_of(split_words), Context(), {"text": "a b c"}) == {
        "first": "a", "count": 3}


def test_select_outputs_all_by_default_and_unknown_refused():
    d = definition_of(split_words).description
    assert select_outputs(d, None) == ("first", "count")
    assert select_outputs(d, ["count"]) == ("count",)
    with pytest.raises(UnknownOutput, match="no output 'nope'") as caught:
        select_outputs(d, ["nope"])
    assert caught.value.kind == "unknown-output"


def test_context_reports_progress_and_messages():
    seen = []
    ctx = Context(on_progress=lambda p, m: seen.append((p, m)),
                  on_message=lambda t, level: seen.append((t, level.value)))
    ctx.progress(150, "too far")
    ctx.message("careful", "warning")
    assert seen == [(100.0, "too far"), ("careful", "warning")]
    assert not ctx.cancelled
    ctx.cancel_event.set()
    assert ctx.cancelled
