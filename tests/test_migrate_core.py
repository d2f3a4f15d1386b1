"""`flowctl migrate`: what it refuses, which deals it moves, and what it writes in their history.

Written from the mutation run (tests/mutation/): each test proves a behaviour the older tests left open.
"""

from __future__ import annotations

import json

from test_deals import new_deal


def _edit(ws, path: str, *replacements, append: str = "") -> None:
    file = ws.root / path
    text = file.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    file.write_text(text + append, "utf-8")


RENAME_SITE = (("    - id: site ", "    - id: place "), ("      - site\n", "      - place\n"))


def _history(ws, deal: int, kind: str, user: str = "ivan") -> list[dict]:
    return [e for e in ws.json("deal", "history", deal, user=user) if e["kind"] == kind]


def test_migrate_moves_every_deal_that_needs_it_and_passes_over_the_rest(ws):
    untouched = new_deal(ws)  # no value in the renamed field: nothing to move
    moved = ws.json("deal", "create", "--contact", "1", "-F", "site=Званка")["id"]
    _edit(ws, "pipelines/krovlya.yaml", *RENAME_SITE, append="renames:\n  fields:\n    site: place\n")
    ws.republish()  # a declared rename strands nothing: published, then applied
    assert ws.json("migrate", user="olga") == {"deals": 1, "events": 1, "dry_run": False}
    assert ws.json("deal", "show", moved)["fields"]["place"] == "Званка"
    assert _history(ws, untouched, "deal.migrated") == []
    [event] = _history(ws, moved, "deal.migrated")
    assert event["data"] == {"fields": {"site": "place"}}  # which field moved where, and no stage


def test_migrate_event_names_both_the_stage_and_the_fields_it_moved(ws):
    ws.ok("contact", "add", "name=Алмаз")
    deal = ws.json("deal", "create", "--contact", "1", "-F", "site=Званка")["id"]
    _edit(ws, "pipelines/krovlya.yaml", *RENAME_SITE, ("  - id: new_lead ", "  - id: lead "),
          ("from: new_lead", "from: lead"), ("[new_lead]", "[lead]"),
          append="renames:\n  stages:\n    new_lead: lead\n  fields:\n    site: place\n")
    ws.republish()
    ws.ok("migrate", user="olga")
    [event] = _history(ws, deal, "deal.migrated")
    assert event["data"] == {"fields": {"site": "place"}, "stage": {"from": "new_lead", "to": "lead"}}


def test_migrate_is_refused_while_a_deal_is_held_by_someone_no_longer_on_the_team(unpublished_ws):
    """The check before migrating reads values against the team: a responsible who left strands the deal. (On a
    store with a published version, publishing that team is refused first, by the same check.)"""
    ws = unpublished_ws
    deal = new_deal(ws)
    _edit(ws, "pipelines/krovlya.yaml", *RENAME_SITE, append="renames:\n  fields:\n    site: place\n")
    _edit(ws, "flowctl.yaml", ("  - {login: ivan, name: Иван, roles: [manager]}\n", ""))
    report = json.loads(ws.run("validate", "--store", ws.store_path, "--format", "json", user="olga").stdout)
    first_error = next(f for f in report["data"] if f["severity"] == "error")
    assert first_error["rule"] == "field-type" and first_error["subject"] == "responsible"
    before = ws.snapshot()
    refused = ws.run("migrate", user="olga")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == ("flowctl: migrate would strand data; fix what `flowctl validate --store` "
                                      f"reports first: {first_error['message']}")
    assert ws.snapshot() == before
    assert _history(ws, deal, "deal.migrated", user="olga") == []
