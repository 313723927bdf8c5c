"""Cache keys remembered by raw step inputs: only for values that name no data held
elsewhere, only for the same process definition, and bounded."""

from __future__ import annotations

import dataclasses

from honua.core.cache_keys import CacheKeyMemo, raw_hash
from honua.core.json_text import JSONText
from honua.core.references import LayerReference


def test_raw_hash_ignores_member_order_and_hashes_stored_text_as_it_is():
    assert raw_hash({"a": 1, "b": {"x": 1, "y": 2}}) == raw_hash({"b": {"y": 2, "x": 1}, "a": 1})
    assert raw_hash({"a": 1}) != raw_hash({"a": 2})
    stored = b'{"type":"FeatureCollection","features":[]}'
    assert raw_hash({"f": JSONText(stored)}) == raw_hash({"f": JSONText(bytes(stored))})
    assert raw_hash({"f": JSONText(stored)}) is not None


def test_raw_hash_refuses_values_that_may_name_data_held_elsewhere():
    """A layer, an upload, a URL or a job can change behind the same raw value: those are
    always bound again (a value that only looks like one costs a bind, nothing more)."""
    for value in ({"layerReference": {"collectionId": "roads"}}, {"uploadId": "u1"},
                  {"href": "http://example.com/a.json"}, {"url": "x"}, {"itemID": "i"},
                  {"collection": "http://h/api/collections/roads"},
                  [{"nested": {"href": "x"}}]):
        assert raw_hash({"features": value}) is None, value
    assert raw_hash({"features": LayerReference("roads")}) is None


def test_memo_answers_only_for_the_same_definition_object(services):
    definition = services.manager.registry.get("buffer")
    memo = CacheKeyMemo()
    memo.remember(definition, "h1", "key1")
    assert memo.get(definition, "h1") == "key1"
    assert memo.get(definition, "h2") is None
    redeployed = dataclasses.replace(definition)  # same id and version, deployed again
    assert memo.get(redeployed, "h1") is None


def test_memo_is_bounded_and_keeps_the_recently_used(services):
    definition = services.manager.registry.get("buffer")
    memo = CacheKeyMemo(size=2)
    memo.remember(definition, "a", "ka")
    memo.remember(definition, "b", "kb")
    assert memo.get(definition, "a") == "ka"  # "b" is now the least recently used
    memo.remember(definition, "c", "kc")
    assert memo.get(definition, "b") is None
    assert (memo.get(definition, "a"), memo.get(definition, "c")) == ("ka", "kc")
