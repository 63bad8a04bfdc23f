"""Modules are found by entry points (`wolaro.modules`), built-ins included; a broken one is skipped, not fatal."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from wolaro.core.registry import (
    ENTRY_POINT_GROUP,
    ModuleSpec,
    discover,
    discover_specs,
    installed,
    module_problems,
    requirement_problem,
)

FAKE = "wolaro_fake_modules"
BUILT_IN = {"admin", "antiraid", "automod", "core", "moderation", "reminders", "utility"}


def _point(name: str, attribute: str, module: str = FAKE) -> EntryPoint:
    return EntryPoint(name=name, value=f"{module}:{attribute}", group=ENTRY_POINT_GROUP)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[types.ModuleType]:
    """A stand-in third-party package whose attributes are specs (good and bad)."""
    package = types.ModuleType(FAKE)
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    (unlabelled / "counting_0001.py").write_text('revision = "counting_0001"\nbranch_labels = None\n')
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    (labelled / "counting_0001.py").write_text('revision = "counting_0001"\nbranch_labels = ("counting",)\n')

    async def handler(ctx: object, payload: dict[str, object]) -> None:
        return None

    package.GOOD = ModuleSpec(
        name="counting", description="Counting game", version="1.0", migrations=labelled, jobs={"counting.x": handler}
    )
    package.DUPLICATE = ModuleSpec(name="counting", description="Another", version="2.0")
    package.BAD_NAME = ModuleSpec(name="Bad-Name", description="x", version="1")
    package.NOT_A_SPEC = {"name": "dict"}
    package.NEEDS_MISSING = ModuleSpec(name="needy", description="x", version="1", requires=("economy",))
    package.NEEDS_NEEDY = ModuleSpec(name="needier", description="x", version="1", requires=("needy",))
    package.NO_FOLDER = ModuleSpec(name="nofolder", description="x", version="1", migrations=tmp_path / "missing")
    package.NO_BRANCH = ModuleSpec(name="nobranch", description="x", version="1", migrations=unlabelled)
    package.BAD_JOB = ModuleSpec(name="badjob", description="x", version="1", jobs={"other.kind": handler})
    package.WITH_MODELS = ModuleSpec(name="models", description="x", version="1", models=(object,))
    sys.modules[FAKE] = package
    yield package
    del sys.modules[FAKE]


def test_the_built_in_modules_come_from_wolaros_own_entry_points() -> None:
    discovery = installed()
    assert set(discovery.specs) >= BUILT_IN
    for name in BUILT_IN:
        assert discovery.sources[name] == f"wolaro.modules.{name}"
    assert not [p for p in module_problems() if p["module"] in BUILT_IN]


def test_built_ins_keep_their_defaults_and_a_new_module_is_off_by_default() -> None:
    specs = discover_specs()
    assert {n for n in BUILT_IN if specs[n].enabled_by_default} == {
        "admin",
        "core",
        "moderation",
        "reminders",
        "utility",
    }
    assert ModuleSpec(name="x", description="x", version="1").enabled_by_default is False


def test_a_third_party_module_appears(fake: types.ModuleType) -> None:
    discovery = discover([_point("counting", "GOOD")])
    assert discovery.specs == {"counting": fake.GOOD}
    assert discovery.sources == {"counting": FAKE}
    assert discovery.problems == ()


@pytest.mark.parametrize(
    ("attribute", "reason"),
    [
        ("BAD_NAME", "bad name 'Bad-Name'"),
        ("NOT_A_SPEC", "not a ModuleSpec"),
        ("NO_FOLDER", "does not exist"),
        ("NO_BRANCH", "starts a branch labelled 'nobranch'"),
        ("BAD_JOB", "bad job kind 'other.kind'"),
        ("WITH_MODELS", "needs a migrations folder"),
    ],
)
def test_an_invalid_module_is_skipped_with_its_reason(fake: types.ModuleType, attribute: str, reason: str) -> None:
    discovery = discover([_point("counting", "GOOD"), _point(attribute.lower(), attribute)])
    assert list(discovery.specs) == ["counting"]
    [problem] = discovery.problems
    assert reason in problem.reason
    assert problem.entry_point == f"{attribute.lower()} = {FAKE}:{attribute}"


def test_a_module_that_fails_to_import_is_skipped(fake: types.ModuleType) -> None:
    discovery = discover([_point("ghost", "SPEC", module="no_such_package.module"), _point("counting", "GOOD")])
    assert list(discovery.specs) == ["counting"]
    [problem] = discovery.problems
    assert "failed to import" in problem.reason and "no_such_package" in problem.reason


def test_a_duplicate_name_keeps_the_first_and_a_built_in_wins(fake: types.ModuleType) -> None:
    discovery = discover([_point("counting", "GOOD"), _point("counting2", "DUPLICATE")])
    assert discovery.specs["counting"] is fake.GOOD
    assert "already installed" in discovery.problems[0].reason
    fake.UTILITY = ModuleSpec(name="utility", description="x", version="9")
    builtin = EntryPoint(name="utility", value="wolaro.modules.utility.module:SPEC", group=ENTRY_POINT_GROUP)
    discovery = discover([_point("utility", "UTILITY"), builtin])
    assert discovery.specs["utility"].version == "1.0.0"


def test_a_missing_requirement_skips_the_module_and_those_that_need_it(fake: types.ModuleType) -> None:
    discovery = discover([_point("needy", "NEEDS_MISSING"), _point("needier", "NEEDS_NEEDY"), _point("c", "GOOD")])
    assert list(discovery.specs) == ["counting"]
    reasons = {p.module: p.reason for p in discovery.problems}
    assert "requires economy" in reasons["needy"]
    assert "requires needy" in reasons["needier"]


def test_requirements_gate_switching_on_and_off() -> None:
    base = ModuleSpec(name="moderation", description="x", version="1")
    user = ModuleSpec(name="automod", description="x", version="1", requires=("moderation",))
    specs = {"moderation": base, "automod": user}
    assert requirement_problem(specs, set(), "automod", True) == "automod needs moderation: enable it first"
    assert requirement_problem(specs, {"moderation"}, "automod", True) is None
    message = requirement_problem(specs, {"moderation", "automod"}, "moderation", False)
    assert message == "automod needs moderation: disable it first"
    assert requirement_problem(specs, {"moderation"}, "moderation", False) is None
