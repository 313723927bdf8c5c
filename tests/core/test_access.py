"""Per-process access rules and the registry as one caller sees it."""

import pytest

from honua.core.access import AccessPolicy, VisibleRegistry, check_may_run, visible_to
from honua.core.identity import ANONYMOUS, PUBLIC_ANONYMOUS
from honua.core.registry import discover
from honua.core.tenancy import Viewer, viewing_as
from honua.errors import NoSuchProcess, Unauthenticated
from honua.settings import Settings

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


def test_a_public_only_caller_sees_the_public_processes_and_needs_credentials_for_the_rest():
    registry = discover()
    view = visible_to(registry, POLICY, PUBLIC_ANONYMOUS, Settings())
    assert [d.id for d in view] == ["buffer"]
    messages = []
    for process in ("clip", "dissolve", "no_such_thing"):  # open, role-bound, unknown: alike
        with pytest.raises(Unauthenticated) as refused:
            view.get(process)
        messages.append(str(refused.value).replace(process, "X"))
    assert len(set(messages)) == 1
    assert "clip" in {d.id for d in visible_to(registry, POLICY, ANONYMOUS, Settings())}


@pytest.mark.parametrize(("viewer", "process", "error"), [
    (None, "dissolve", None),                                           # the server itself
    (Viewer("t1", anonymous=True, public_only=True), "buffer", None),
    (Viewer("t1", anonymous=True, public_only=True), "clip", Unauthenticated),
    (Viewer("t1", roles=frozenset({"viewer"})), "dissolve", NoSuchProcess),
    (Viewer("t1", roles=frozenset({"analyst"})), "dissolve", None),
    (Viewer("t1", admin=True), "explode", NoSuchProcess),               # disabled for all
])
def test_every_run_is_checked_against_the_rules_for_the_current_viewer(viewer, process, error):
    def check():
        if error is None:
            check_may_run(POLICY, process)
        else:
            with pytest.raises(error):
                check_may_run(POLICY, process)

    if viewer is None:
        check()
    else:
        with viewing_as(viewer):
            check()
