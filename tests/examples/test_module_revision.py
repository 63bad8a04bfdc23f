"""`python -m wolaro.data.migrate revision --module <name>`: a module's revision lands in its own branch and folder.

Run on temporary copies of the installed `wolaro-counting`'s migrations folder (the repository stays as it is):
the first revision of an empty folder starts the branch (labelled with the module's name, depending on the core's
head) and autogenerates the module's tables, which then match its models; a later one follows the branch's head.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from wolaro.data import migrate


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def counting_in(monkeypatch: pytest.MonkeyPatch):
    """Point the installed counting module's schema at another folder (the other modules stay installed)."""

    def use(folder: Path) -> None:
        schemas = migrate.installed_schemas()
        assert schemas["counting"].folder is not None
        schemas["counting"] = migrate.ModuleSchema(folder, schemas["counting"].models)
        monkeypatch.setattr(migrate, "installed_schemas", lambda: schemas)

    return use


def test_the_first_revision_starts_the_branch_and_creates_the_tables(tmp_path: Path, counting_in) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    counting_in(folder)
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"

    migrate.main(["--url", url, "revision", "counting: counting tables", "--module", "counting"])

    (written,) = folder.glob("*.py")
    assert written.name == "counting_0001_counting_counting_tables.py"
    revision = _load(written)
    assert (revision.revision, revision.down_revision) == ("counting_0001", None)
    assert tuple(revision.branch_labels) == ("counting",) and revision.depends_on == migrate.head_revision()
    text = written.read_text()
    assert "op.create_table('counting_state'" in text and "op.create_table('counting_tallies'" in text
    assert "last_message_id" in text

    schemas = migrate.installed_schemas()
    branches = [s.folder for s in schemas.values() if s.folder is not None]
    models = sorted({m for s in schemas.values() for m in s.models})
    migrate.upgrade(url, branches=branches, models=models)
    migrate.check(url, branches=branches, models=models)  # the generated tables match the models


def test_a_later_revision_follows_the_branch_head(tmp_path: Path, counting_in, capsys) -> None:
    schemas = migrate.installed_schemas()
    folder = tmp_path / "versions"
    shutil.copytree(schemas["counting"].folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    counting_in(folder)
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"

    migrate.main(["--url", url, "revision", "counting: something", "--module", "counting", "--empty"])

    (written,) = folder.glob("counting_0002_*.py")
    assert f"wrote {written}" in capsys.readouterr().out
    revision = _load(written)
    assert (revision.revision, revision.down_revision) == ("counting_0002", "counting_0001")
    assert revision.branch_labels is None and revision.depends_on is None
    core = migrate.MIGRATIONS_DIR / "versions"
    assert not list(core.glob("counting_*.py"))  # nothing written in the core's folder


def test_an_unknown_module_or_one_without_migrations_is_refused(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    with pytest.raises(SystemExit):
        migrate.main(["--url", url, "revision", "x", "--module", "no_such_module"])
    assert "no installed module named 'no_such_module'" in capsys.readouterr().err
    monkeypatch.setattr(migrate, "installed_schemas", lambda: {"plain": migrate.ModuleSchema(None, ())})
    with pytest.raises(SystemExit):
        migrate.main(["--url", url, "revision", "x", "--module", "plain"])
    assert "module 'plain' has no migrations folder" in capsys.readouterr().err
    assert not (tmp_path / "dev.db").exists()
