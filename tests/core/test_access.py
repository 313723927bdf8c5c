"""Per-process access rules and the registry as one caller sees it."""

import pytest

from honua.core.access import AccessPolicy, VisibleRegistry
from honua.core.registry import discover
from honua.errors import NoSuchProcess

POLICY = AccessPolicy.from_tables([
    {"process": "buffer", "public": True},
    {"process": "dissolve", "roles": ["analyst"]},
    {"process": "explode", "disabled": True},
    {"process": "s*", "roles": ["editor"]},
])


@pytest.mark.parametrize(("process", "roles", "anonymous", "admin", "allowed"), [
    ("buffer", (), True, False, True),              # public
    ("dissolve", (), True, False, False),           # role needed, anonymous has none
    ("dissolve", ("viewer",), False, False, False),
    ("dissolve", ("analyst",), False, False, True),
    ("dissolve", (), False, True, True),            # admins see everything not disabled
    ("explode", ("analyst",), False, True, False),  # disabled for everyone
    ("simplify", ("editor",), False, False, True),  # pattern rule
    ("simplify", (), False, False, False),
    ("clip", (), True, False, True),                # no rule: open to whoever is let in
])
def test_rules_decide_per_process(process, roles, anonymous, admin, allowed):
    assert POLICY.may_use(process, roles=roles, anonymous=anonymous, admin=admin) is allowed


def test_first_matching_rule_wins_and_public_is_reported():
    policy = AccessPolicy.from_tables([{"process": "buffer", "disabled": True},
                                       {"process": "*", "public": True}])
    assert not policy.is_public("buffer") and policy.is_public("clip")


@pytest.mark.parametrize(("table", "message"), [
    ({"roles": ["a"]}, "needs process"),
    ({"process": "buffer", "role": ["a"]}, "unknown key"),
    ({"process": "buffer", "roles": "analyst"}, "list of names"),
    ({"process": "buffer", "public": "yes"}, "true or false"),
])
def test_bad_rules_are_refused_at_start(table, message):
    with pytest.raises(ValueError, match=message):
        AccessPolicy.from_tables([table])


def test_a_hidden_process_is_absent_and_answers_as_an_unknown_id():
    registry = discover()
    view = VisibleRegistry(registry, lambda pid: POLICY.may_use(
        pid, roles=(), anonymous=True, admin=False))
    ids = {d.id for d in view}
    assert "buffer" in ids and "dissolve" not in ids and "explode" not in ids
    assert "dissolve" not in view and len(view) == len(ids)
    with pytest.raises(NoSuchProcess) as hidden:
        view.get("dissolve")
    with pytest.raises(NoSuchProcess) as unknown:
        registry.get("no_such_thing")
    assert str(hidden.value).replace("dissolve", "X") == \
        str(unknown.value).replace("no_such_thing", "X")
