from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
KROVLYA = ROOT / "pipelines" / "krovlya.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def cli():
    """Run flowctl in-process through the real error boundary; returns the click Result."""
    from flowctl.cli.app import app

    runner = CliRunner()

    def run(*args, env=None, input=None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def krovlya():
    from flowctl.pipeline.compile import compile_file

    return compile_file(KROVLYA)


TEAM_YAML = """\
version: 1
store: {store}
pipelines: [pipelines]
timezone: Europe/Moscow
powers: {{import: [head], restore: [head], migrate: [head]}}
team:
  - {{login: ivan, name: Иван, roles: [manager]}}
  - {{login: tural, name: Турал, roles: [engineer]}}
  - {{login: olga, name: Ольга, roles: [head, manager]}}
"""

PINNED_NOW = "2026-11-30T06:00:00Z"  # Monday 09:00 in Moscow


class Workspace:
    """A workspace on disk with the shipped pipeline and a team; `run` drives the real CLI in-process."""

    def __init__(self, root: Path, store_kind: str, monkeypatch):
        import shutil

        self.root = root
        self.store_name = "flowctl.db" if store_kind == "sqlite" else "store.json"
        (root / "pipelines").mkdir(parents=True)
        shutil.copyfile(KROVLYA, root / "pipelines" / "krovlya.yaml")
        (root / "flowctl.yaml").write_text(TEAM_YAML.format(store=self.store_name), "utf-8")
        from flowctl.store import open_store

        open_store(str(root / self.store_name), create=True).close()
        monkeypatch.chdir(root)
        monkeypatch.setenv("FLOWCTL_NOW", PINNED_NOW)
        monkeypatch.setenv("XDG_CACHE_HOME", str(root / ".cache"))
        monkeypatch.delenv("FLOWCTL_USER", raising=False)
        monkeypatch.delenv("FLOWCTL_STORE", raising=False)
        self.monkeypatch = monkeypatch
        from flowctl.cli.app import app

        self._app = app
        self._runner = CliRunner()

    @property
    def store_path(self) -> Path:
        return self.root / self.store_name

    def run(self, *args, user: str = "ivan", now: str | None = None):
        if now:
            self.monkeypatch.setenv("FLOWCTL_NOW", now)
        return self._runner.invoke(self._app, ["--as", user, *[str(a) for a in args]], catch_exceptions=False)

    def ok(self, *args, user: str = "ivan", now: str | None = None):
        result = self.run(*args, user=user, now=now)
        assert result.exit_code == 0, result.stderr or result.stdout
        return result

    def json(self, *args, user: str = "ivan", now: str | None = None):
        import json

        return json.loads(self.ok(*args, "--format", "json", user=user, now=now).stdout)

    def snapshot(self):
        """The store's whole content: byte-for-byte for JSON, row-for-row for SQLite."""
        if self.store_name.endswith(".json"):
            return self.store_path.read_bytes()
        import sqlite3

        db = sqlite3.connect(self.store_path)
        try:
            return list(db.iterdump())
        finally:
            db.close()


@pytest.fixture(params=["sqlite", "json"])
def ws(request, tmp_path, monkeypatch):
    return Workspace(tmp_path / "ws", request.param, monkeypatch)
