"""The pipelines and the team published into the store (issue 11): every command works from the published version,
so a private copy of flowctl.yaml or of a pipeline gives nobody a role and changes no rule; publishing is a power
judged by what is already published, refuses a change that strands data, and every version stays as history."""

from __future__ import annotations

import json

import pytest

from test_deals import new_deal, walk_to

MAKE_IVAN_ENGINEER = ("{login: ivan, name: Иван, roles: [manager]}", "{login: ivan, name: Иван, roles: [manager, engineer]}")


def edit(ws, relative: str, old: str, new: str) -> None:
    path = ws.root / relative
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_m1_a_private_copy_of_flowctl_yaml_gives_nobody_a_role(ws):
    """ivan makes himself the engineer in his own flowctl.yaml: every command refuses his files (exit 3), so he
    cannot move a deal out of «ОБЪЕМЫ У ТУРАЛА»."""
    deal_id = new_deal(ws)
    walk_to(ws, deal_id, "ОБЪЕМЫ У ТУРАЛА")
    edit(ws, "flowctl.yaml", *MAKE_IVAN_ENGINEER)
    before = ws.snapshot()
    for argv in (("deal", "advance", deal_id, "КП ГОТОВО", "-F", "budget=100"), ("deal", "list"), ("agenda",)):
        refused = ws.run(*argv)
        assert refused.exit_code == 3 and "the team changed" in refused.stderr, refused.stderr
        assert "version 1, by olga" in refused.stderr
    assert ws.snapshot() == before


def test_a_changed_pipeline_file_is_named_until_it_is_published(ws):
    edit(ws, "pipelines/krovlya.yaml", "result_min_length: 3", "result_min_length: 1")
    refused = ws.run("deal", "create")
    assert refused.exit_code == 3 and "pipeline file krovlya.yaml changed" in refused.stderr
    published = ws.json("publish", user="olga")
    assert published["version"] == 2 and published["published"]
    assert ws.json("deal", "create")["id"] == 1  # the files are the published version again


def test_publishing_is_judged_by_the_published_version_not_by_the_files_published(ws):
    """ivan gives himself the publish power in his copy and publishes it: refused, since version 1 says head."""
    edit(ws, "flowctl.yaml", "publish: [head]", "publish: [head, manager]")
    before = ws.snapshot()
    refused = ws.run("publish", user="ivan")
    assert refused.exit_code == 5
    assert "in the published version 1 the power publish belongs to head" in refused.stderr
    assert ws.snapshot() == before


def test_publishing_a_change_that_strands_data_is_refused(ws):
    """A field turned into a number while deals hold text in it: publishing refuses (exit 1), publishes nothing."""
    ws.ok("deal", "set", new_deal(ws), "site=Званка")
    edit(ws, "pipelines/krovlya.yaml", "label: Где строит\n      type: text", "label: Где строит\n      type: integer")
    before = ws.snapshot()
    refused = ws.run("publish", user="olga")
    assert refused.exit_code == 1 and "would strand data" in refused.stderr
    assert ws.snapshot() == before


def test_publishing_unchanged_files_adds_no_version(ws):
    assert ws.json("publish", user="olga") == {"version": 1, "changed": False, "published": False, "rules_installed": False}
    assert "nothing to publish: the files are version 1" in ws.ok("publish", user="olga").stdout


def test_every_published_version_is_kept_with_who_and_when(ws):
    edit(ws, "flowctl.yaml", "timezone: Europe/Moscow", "timezone: Asia/Yekaterinburg")
    assert ws.run("deal", "list").exit_code == 3  # "today" would move: the time zone is part of the rules
    ws.ok("publish", user="olga", now="2026-12-01T07:00:00Z")
    history = ws.json("publish", "--history", user="ivan")
    assert [(h["version"], h["actor"], h["at"]) for h in history] == [
        (1, "olga", "2026-11-30T06:00:00Z"), (2, "olga", "2026-12-01T07:00:00Z")]
    assert history[1]["pipelines"] == ["krovlya.yaml"] and history[1]["team"] == 3


def test_published_versions_travel_with_an_export_and_are_checked_on_restore(ws, tmp_path):
    ws.ok("deal", "create")
    dump = tmp_path / "all.json"
    ws.ok("export", "all", "-o", dump)
    data = json.loads(dump.read_text("utf-8"))
    assert [p["id"] for p in data["publications"]] == [1]
    restored = ws.run("--store", tmp_path / "restored.db", "import", "all", dump, user="olga")
    assert restored.exit_code == 0 and "1 published versions" in restored.stdout
    assert ws.json("--store", tmp_path / "restored.db", "deal", "list")  # the same files, the same rules
    data["publications"][0]["content"]["team"][0]["roles"] = ["head", "manager"]  # a forged team
    dump.write_text(json.dumps(data), "utf-8")
    forged = ws.run("--store", tmp_path / "forged.db", "import", "all", dump, user="olga")
    assert forged.exit_code == 1 and "publications[0]: published version 1 is not what was published" in \
        forged.stderr
    assert not (tmp_path / "forged.db").exists()


def test_a_store_where_nothing_is_published_works_from_the_local_files(unpublished_ws):
    """A local store from before publishing: a single user notices nothing until the head publishes."""
    edit(unpublished_ws, "flowctl.yaml", *MAKE_IVAN_ENGINEER)
    assert unpublished_ws.run("deal", "create").exit_code == 0
    unpublished_ws.republish()
    edit(unpublished_ws, "flowctl.yaml", "roles: [manager, engineer]", "roles: [manager]")
    assert unpublished_ws.run("deal", "create").exit_code == 3


def test_published_versions_cannot_be_edited_in_an_sqlite_store(tmp_path, monkeypatch):
    """(A JSON store is a file its writers may edit, like any of its rows: see README on what roles stop.)"""
    import sqlite3

    from conftest import Workspace

    db = sqlite3.connect(Workspace(tmp_path / "ws", "sqlite", monkeypatch).store_path)
    for statement in ("UPDATE publications SET actor = 'ivan'", "DELETE FROM publications"):
        with pytest.raises(sqlite3.IntegrityError, match="published versions are history"):
            db.execute(statement)
    db.close()


def test_a_server_store_refuses_to_work_before_anything_is_published(pg_server, empty_database, tmp_path,
                                                                     monkeypatch):
    """On PostgreSQL the published version is what makes the server's identity worth having: until the head has
    published, no command runs from anybody's local files."""
    from conftest import Workspace
    from flowctl.store import open_store

    ws = Workspace(tmp_path / "ws", "postgres", monkeypatch, pg_server)
    pg_server.drop(ws.store_name)
    edit(ws, "flowctl.yaml", ws.store_name, empty_database)
    ws.store_name = empty_database
    pg_server.as_member("olga")
    pg_server.admin.execute(f"ALTER DATABASE {empty_database.rsplit('/', 1)[1]} OWNER TO olga")
    schema = open_store(empty_database.replace("postgresql://", "postgresql://olga@"), create=True)
    with schema.transaction():  # the schema alone, as an older flowctl or a hand would leave it
        pass
    schema.close()
    refused = ws.run("deal", "list", user="olga")
    assert refused.exit_code == 3 and "nothing has been published" in refused.stderr
    assert ws.run("publish", user="olga").exit_code == 0
    assert ws.json("deal", "list", user="olga") == []



def test_publishing_to_a_mistyped_local_store_creates_no_file(local_ws):
    """Publishing may give an empty PostgreSQL database its schema, but never makes a new local file."""
    result = local_ws.run("--store", "tpyo.db", "publish", user="olga")
    assert result.exit_code == 6, result.stderr
    assert not (local_ws.root / "tpyo.db").exists()
