"""The compile cache: plain JSON, never code; an entry is believed only for the exact source, kind and code it
records; any bad entry is a miss that compiles again; the key covers everything that decides the result
(issue 10 item 6, issue 18)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import KROVLYA, ROOT
from test_deals import new_deal, walk_to

from flowctl.errors import ConfigError
from flowctl.pipeline import compile as compiler
from flowctl.pipeline import lint

HEADER = {"format", "kind", "code", "source_sha256"}


@pytest.fixture(autouse=True)
def own_cache(request, monkeypatch):
    """A workspace's tests here look at its own cache folder, not the one the rest of the suite shares."""
    if "ws" in request.fixturenames:
        monkeypatch.setenv("XDG_CACHE_HOME", str(request.getfixturevalue("ws").root / ".cache"))


def entries(ws) -> list:
    folder = ws.root / ".cache" / "flowctl" / "pipelines"
    return sorted(folder.iterdir())


def rewrite(path, change) -> None:
    """Rewrite one entry in place, keeping its owner and mode."""
    stored = json.loads(path.read_bytes())
    change(stored)
    path.write_text(json.dumps(stored, ensure_ascii=False), "utf-8")


def test_entries_are_plain_json_recording_what_they_stand_for(ws):
    ws.ok("deal", "list")
    found = entries(ws)
    assert [p.suffix for p in found] == [".json", ".json"]  # one pipeline, one workspace file; nothing left over
    sources = {hashlib.sha256((ws.root / name).read_bytes()).hexdigest(): kind for name, kind in
               (("pipelines/krovlya.yaml", "pipeline"), ("flowctl.yaml", "config:workspace.schema.json"))}
    for path in found:
        stored = json.loads(path.read_bytes())
        assert stored.keys() == HEADER | {"data"}
        assert sources[stored["source_sha256"]] == stored["kind"]
        assert len(stored["code"]) == 64
        assert path.stat().st_mode & 0o777 == 0o600  # readable by its owner only


@pytest.mark.parametrize("damage", [
    lambda p: p.write_bytes(b"\x80\x09"),  # the reproduction from the issue
    lambda p: p.write_bytes(b""),
    lambda p: p.write_bytes(b"{"),
    lambda p: p.write_bytes(b"[]"),
    lambda p: p.write_bytes(b"[" * 100_000),  # deeper than the JSON parser goes
    lambda p: rewrite(p, lambda e: e.pop("data")),
    lambda p: rewrite(p, lambda e: e.update(data=[])),
    lambda p: rewrite(p, lambda e: e.update(data={"stages": 5})),  # KeyError / TypeError while rebuilding
    lambda p: rewrite(p, lambda e: e["data"].update(positions="xy") if "positions" in e["data"]
                      else e["data"]["stages"][0].update(max_stay="soon")),  # ValueError while rebuilding
], ids=["not-utf8", "empty", "truncated", "a-list", "too-deep", "no-data", "data-a-list", "wrong-shape",
        "bad-value"])
def test_a_damaged_entry_is_a_miss_never_an_internal_error(ws, damage):
    ws.ok("deal", "list")
    for path in entries(ws):
        damage(path)
    deal = new_deal(ws)  # the pipeline and the workspace file compile again
    assert ws.json("deal", "show", deal)["stage"] == "new_lead"
    for path in entries(ws):  # and each entry was written anew
        assert json.loads(path.read_bytes()).keys() == HEADER | {"data"}


def _grant_manager_the_engineers_move(entry: dict) -> None:
    if entry["kind"] == "pipeline":
        entry["data"]["transitions"].append({"from": "volumes", "to": "proposal_ready", "roles": ["manager"]})


@pytest.mark.parametrize("disguise", [
    lambda path: rewrite(path, lambda e: e.update(source_sha256=hashlib.sha256(b"another file").hexdigest())),
    lambda path: rewrite(path, lambda e: e.update(kind="config:workspace.schema.json")),
    lambda path: rewrite(path, lambda e: e.update(code="0" * 64)),
    lambda path: path.chmod(0o666),  # anyone could have written it
], ids=["another-source", "another-kind", "older-code", "writable-by-others"])
def test_a_rewritten_entry_does_not_change_the_rules(ws, disguise):
    """M1 from the issue: a cached pipeline rewritten to let a manager move «ОБЪЕМЫ У ТУРАЛА» → «КП ГОТОВО» is not
    believed unless it records this very source, kind and code and nobody else may write it."""
    deal = new_deal(ws)
    walk_to(ws, deal, "ОБЪЕМЫ У ТУРАЛА")
    for path in entries(ws):
        rewrite(path, _grant_manager_the_engineers_move)
        disguise(path)
    before = ws.snapshot()
    refused = ws.run("deal", "advance", deal, "КП ГОТОВО", "-F", "budget=100")
    assert refused.exit_code == 5, refused.stderr
    assert ws.snapshot() == before


def test_a_workspace_entry_is_checked_the_same_way(ws):
    """The cached flowctl.yaml: a team member slipped into an entry of another source is not on the team."""
    def add_mallory(entry):
        if entry["kind"].startswith("config:"):
            entry["data"]["data"]["team"].append({"login": "mallory", "name": "M", "roles": ["head"]})
            entry["source_sha256"] = hashlib.sha256(b"another flowctl.yaml").hexdigest()

    ws.ok("deal", "list")
    for path in entries(ws):
        rewrite(path, add_mallory)
    refused = ws.run("migrate", user="mallory")
    assert refused.exit_code == 5 and "not a member of the team" in refused.stderr


def test_an_unusable_cache_folder_only_costs_time(ws, monkeypatch):
    blocker = ws.root / "not-a-folder"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert ws.json("deal", "show", new_deal(ws))["stage"] == "new_lead"


# -- the key covers everything that decides the result (issue 18) ------------------------------------

@pytest.fixture
def code_copy(tmp_path, monkeypatch):
    """flowctl's deciding files copied aside and made the fingerprint's input, with a cache of its own."""
    package = ROOT / "flowctl"
    for folder, pattern in (("pipeline", "*.py"), ("schemas", "*.json")):
        (tmp_path / "code" / folder).mkdir(parents=True)
        for file in (package / folder).glob(pattern):
            shutil.copyfile(file, tmp_path / "code" / folder / file.name)
    monkeypatch.setattr(compiler, "_PACKAGE", tmp_path / "code")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiler._code_fingerprint.cache_clear()
    yield tmp_path / "code"
    compiler._code_fingerprint.cache_clear()


def _refuse_everything(doc):
    yield doc.problem(("id",), "newer-rule", "refused by a newer lint")


@pytest.mark.parametrize("changed", ["pipeline/lint.py", "pipeline/loader.py", "pipeline/schema.py",
                                     "pipeline/model.py", "pipeline/problems.py", "schemas/pipeline.schema.json"])
def test_a_cache_made_by_one_lint_is_not_served_after_the_code_changes(code_copy, tmp_path, monkeypatch, changed):
    source = shutil.copyfile(KROVLYA, tmp_path / "krovlya.yaml")
    assert compiler.compile_cached(source).id == "krovlya"
    monkeypatch.setitem(lint.RULES, "newer-rule", lint.Rule("newer-rule", "error", "", _refuse_everything))
    assert compiler.compile_cached(source).id == "krovlya"  # same code files: the entry is served
    with open(code_copy / changed, "a", encoding="utf-8") as file:
        file.write("\n" if changed.endswith(".json") else "# a newer version\n")
    compiler._code_fingerprint.cache_clear()  # a new process
    with pytest.raises(ConfigError, match=r"refused by a newer lint \[newer-rule\]"):
        compiler.compile_cached(source)


def test_the_yaml_and_schema_libraries_are_part_of_the_key(code_copy, tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    library = tmp_path / "lib" / "flowctl_fake_yaml.py"
    library.write_text("", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setattr(compiler, "_LIBRARIES", ("flowctl_fake_yaml",))
    before = compiler._code_fingerprint()
    library.write_text("version = 2\n", "utf-8")  # an upgrade
    compiler._code_fingerprint.cache_clear()
    assert before is not None and compiler._code_fingerprint() != before


def test_an_install_without_sources_caches_nothing(code_copy, tmp_path):
    for file in (code_copy / "pipeline").iterdir():
        file.unlink()
    assert compiler._code_fingerprint() is None
    assert compiler.compile_cached(shutil.copyfile(KROVLYA, tmp_path / "k.yaml")).id == "krovlya"
    assert not (tmp_path / "cache").exists()


def test_this_tree_is_fingerprinted():
    """Else every command would compile from YAML again."""
    assert compiler._code_fingerprint() is not None


def test_the_cached_path_imports_neither_yaml_jsonschema_nor_pickle(ws):
    code = ("import sys; from flowctl.pipeline.compile import compile_cached, check_config_cached\n"
            "compile_cached('pipelines/krovlya.yaml'); check_config_cached('flowctl.yaml', 'workspace.schema.json')\n"
            "print(sorted(m for m in ('yaml', 'jsonschema', 'pickle') if m in sys.modules))")
    env = {**os.environ, "XDG_CACHE_HOME": str(ws.root / ".cache"), "PYTHONPATH": str(ROOT)}
    shutil.rmtree(ws.root / ".cache", ignore_errors=True)  # the workspace's own set-up compiled it already
    first, second = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ws.root,
                                    env=env, check=True).stdout.strip() for _ in range(2)]
    assert "yaml" in first and second == "[]"
