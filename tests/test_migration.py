"""Moving in from another CRM with its history: a generated export of a few thousand opportunities, with creation,
stage-entry and closing dates and owners by full name, is imported with a mapping file; every report figure is then
compared with a computation made here from the CSV alone, with nothing of flowctl's code.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

# The other CRM's names, as its export writes them: its statuses, its owners, its values.
STATUS = {"new_lead": "Lead", "in_work": "Engaged", "hot": "Hot", "volumes": "Engineer",
          "proposal_ready": "Proposal", "estimate_ready": "Estimate", "won": "Won", "lost": "Lost"}
DATE_COLUMN = {"in_work": "Engaged At", "hot": "Hot At", "volumes": "Engineer At", "proposal_ready": "Proposal At",
               "estimate_ready": "Estimate At", "won": "Closed At", "lost": "Closed At"}
OWNERS = {"Ivan Petrov": "ivan", "Иван": "ivan", "Olga Sidorova": "olga", "ОЛЬГА": "olga"}  # alias or display name
CLIENT_TYPES = {"Builder": "builder", "Private": "private"}
ROOF_PLANS = {"Project": "project", "Roof plan": "plan", "Drawing": "drawing"}
LOST_REASONS = {"Competitor": "bought_elsewhere", "Price": "too_expensive", "Silent": "no_contact"}
# the regulation's way forward from each open stage (S1 → S2 → S3 → S4 → S5 or S5b → S6)
NEXT = {"new_lead": {"in_work"}, "in_work": {"hot"}, "hot": {"volumes"},
        "volumes": {"proposal_ready", "estimate_ready"}, "proposal_ready": {"won"}, "estimate_ready": {"won"}}
OPEN = ("new_lead", "in_work", "hot", "volumes", "proposal_ready", "estimate_ready")
HEADER = ["Opportunity ID", "Owner", "Status", "Amount", "Type", "Site", "Construction", "Buys", "Houses", "Roof",
          "Coating", "Thickness", "Lost reason", "Created", "Engaged At", "Hot At", "Engineer At", "Proposal At",
          "Estimate At", "Closed At"]
MOMENT = "%d.%m.%Y %H:%M"

MAPPING = """\
id_column: Opportunity ID
columns: {Owner: responsible, Status: stage, Amount: budget, Type: client_type, Site: site,
          Construction: construction_stage, Buys: buys_when, Houses: houses, Roof: roof_plan, Coating: coating,
          Thickness: thickness, Lost reason: lost_reason}
stages: {Lead: new_lead, Engaged: in_work, Hot: hot, Engineer: volumes, Proposal: proposal_ready,
         Estimate: estimate_ready, Won: won, Lost: lost}
created: Created
stage_dates: {in_work: Engaged At, hot: Hot At, volumes: Engineer At, proposal_ready: Proposal At,
              estimate_ready: Estimate At, won: Closed At, lost: Closed At}
values:
  Type: {Builder: builder, Private: private}
  Roof: {Project: project, Roof plan: plan, Drawing: drawing}
  Coating: {Металлочерепица Монтеррей: металлочерепица}
  Lost reason: {Competitor: bought_elsewhere, Price: too_expensive, Silent: no_contact}
date_format: DD.MM.YYYY
"""


def generate(count: int, seed: int) -> list[dict]:
    """Opportunities as the other CRM exports them: each got as far as its luck, with a date for every stage."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        created = datetime(2025, 1, 6, 9, 0) + timedelta(days=rng.randrange(640), minutes=rng.randrange(540))
        depth = rng.choices(range(5), weights=(15, 20, 25, 15, 25))[0]
        way = ["new_lead", "in_work", "hot", "volumes"][:depth + 1]
        if depth == 4:
            way.append(rng.choice(("proposal_ready", "estimate_ready")))
        if depth == 4 and rng.random() < 0.55:
            way.append("won")
        elif depth and rng.random() < 0.35:
            way.append("lost")
        row = dict.fromkeys(HEADER, "")
        at = created
        for stage in way[1:]:
            at += timedelta(days=rng.randrange(0, 25), minutes=rng.randrange(1, 600))
            row[DATE_COLUMN[stage]] = at.strftime(MOMENT)
        builder = rng.random() < 0.4
        row.update({
            "Opportunity ID": f"OPP-{n:05}", "Owner": rng.choice(list(OWNERS)), "Status": STATUS[way[-1]],
            "Amount": f"{rng.randrange(50_000, 5_000_000)}.{rng.randrange(100):02}",
            "Type": "Builder" if builder else "Private", "Site": rng.choice(("Званка", "Лесная 4", "Кольцово")),
            "Construction": rng.choice(("фундамент", "коробка", "стропила")),
            "Buys": (created + timedelta(days=30)).strftime("%d.%m.%Y"), "Houses": str(rng.randrange(2, 9)),
            "Roof": rng.choice(list(ROOF_PLANS)), "Coating": rng.choice(("Металлочерепица Монтеррей", "профнастил")),
            "Thickness": "0,5 мм", "Lost reason": rng.choice(list(LOST_REASONS)) if way[-1] == "lost" else "",
            "Created": created.strftime(MOMENT)})
        rows.append(row)
    return rows


def write(path, rows: list[dict]) -> str:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


# --- the independent computation: the CSV's own words -------------------------------------------------------


def ways(rows: list[dict]) -> dict[str, list[tuple[str, datetime]]]:
    """Each opportunity's stages in the order it entered them, with when (local time), from the CSV alone."""
    status = {v: k for k, v in STATUS.items()}
    out = {}
    for row in rows:
        current = status[row["Status"]]
        entries = [("new_lead", datetime.strptime(row["Created"], MOMENT))]
        for stage, column in DATE_COLUMN.items():
            if row[column] and (stage in OPEN or stage == current):
                entries.append((stage, datetime.strptime(row[column], MOMENT)))
        out[row["Opportunity ID"]] = sorted(entries, key=lambda e: e[1])
    return out


def percent(part: int, whole: int):
    if not whole:
        return None
    return float((Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_funnel(rows, first_day=None, last_day=None) -> dict:
    chosen = [r for r in rows if (first_day is None or datetime.strptime(r["Created"], MOMENT).date() >= first_day)
              and (last_day is None or datetime.strptime(r["Created"], MOMENT).date() <= last_day)]
    entered, went_on, now, money = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(Decimal)
    for key, way in ways(chosen).items():
        stages = [s for s, _ in way]
        for i, stage in enumerate(stages):
            entered[stage] += 1
            went_on[stage] += bool(NEXT.get(stage, set()) & set(stages[i + 1:]))
        now[stages[-1]] += 1
        money[stages[-1]] += Decimal(next(r["Amount"] for r in chosen if r["Opportunity ID"] == key))
    return {stage: {"deals": now[stage], "budget": str(money[stage].quantize(Decimal("0.01"))),
                    "entered": entered[stage], "went_on": went_on[stage] if stage in NEXT else None,
                    "conversion": percent(went_on[stage], entered[stage]) if stage in NEXT else None}
            for stage in STATUS}


def expected_won_by_month(rows) -> dict[str, tuple[int, Decimal]]:
    won = defaultdict(lambda: [0, Decimal(0)])
    for row in rows:
        if row["Status"] == "Won":
            month = datetime.strptime(row["Closed At"], MOMENT).strftime("%Y-%m")
            won[month][0] += 1
            won[month][1] += Decimal(row["Amount"])
    return {m: (n, s) for m, (n, s) in won.items()}


def expected_managers(rows) -> dict[str, dict]:
    people = defaultdict(lambda: {"open_deals": 0, "won": 0, "won_sum": Decimal(0), "lost": 0})
    for row in rows:
        person = people[OWNERS[row["Owner"]]]
        if row["Status"] == "Won":
            person["won"] += 1
            person["won_sum"] += Decimal(row["Amount"])
        elif row["Status"] == "Lost":
            person["lost"] += 1
        else:
            person["open_deals"] += 1
    return {login: {**p, "won_sum": str(p["won_sum"]), "win_rate": percent(p["won"], p["won"] + p["lost"])}
            for login, p in people.items()}


def expected_velocity(rows) -> dict[str, tuple[int, int, int]]:
    """Per open stage: the number of stays that ended, and their nearest-rank median and 90th percentile."""
    stays = defaultdict(list)
    for way in ways(rows).values():
        for (stage, entered), (_, left) in zip(way, way[1:]):
            stays[stage].append(int((left - entered).total_seconds()))
    out = {}
    for stage, seconds in stays.items():
        seconds.sort()
        n = len(seconds)
        out[stage] = (n, seconds[math.ceil(n * 0.5) - 1], seconds[math.ceil(n * 0.9) - 1])
    return out


# --- the tests ------------------------------------------------------------------------------------------------


def _workspace_with_aliases(ws):
    config = ws.root / "flowctl.yaml"
    text = config.read_text("utf-8")
    text = text.replace("{login: ivan, name: Иван, roles: [manager]}",
                        "{login: ivan, name: Иван, roles: [manager], aliases: [Ivan Petrov]}")
    text = text.replace("{login: olga, name: Ольга, roles: [head, manager]}",
                        "{login: olga, name: Ольга, roles: [head, manager], aliases: [Olga Sidorova]}")
    config.write_text(text, "utf-8")


def _import(ws, tmp_path, rows, *extra, expect=0):
    _workspace_with_aliases(ws)
    (tmp_path / "mapping.yaml").write_text(MAPPING, "utf-8")
    source = write(tmp_path / "opportunities.csv", rows)
    result = ws.run("import", "deals", source, "--mapping", tmp_path / "mapping.yaml", "--format", "json", *extra,
                    user="olga")
    assert result.exit_code == expect, result.stderr or result.stdout
    return json.loads(result.stdout) if result.stdout else None


def _compare_everything(ws, rows):
    funnel = {s["stage"]: s for s in ws.json("report", "funnel")["stages"]}
    for stage, expected in expected_funnel(rows).items():
        assert {k: funnel[stage][k] for k in expected} == expected, stage
    first, last = datetime(2025, 6, 1).date(), datetime(2025, 12, 31).date()
    period = {s["stage"]: s for s in ws.json("report", "funnel", "--from", "2025-06-01", "--to", "2025-12-31")["stages"]}
    for stage, expected in expected_funnel(rows, first, last).items():
        assert {k: period[stage][k] for k in expected} == expected, stage
    for month, (count, money) in expected_won_by_month(rows).items():
        forecast = ws.json("report", "forecast", "--month", month)
        assert (forecast["won_deals"], forecast["won"]) == (count, str(money)), month
    managers = {m["user"]: m for m in ws.json("report", "managers")}
    for login, expected in expected_managers(rows).items():
        assert {k: managers[login][k] for k in expected} == expected, login
    velocity = {v["stage"]: v for v in ws.json("report", "velocity")}
    for stage, (count, median, p90) in expected_velocity(rows).items():
        if stage in velocity:
            assert (velocity[stage]["stays"], velocity[stage]["median_seconds"],
                    velocity[stage]["p90_seconds"]) == (count, median, p90), stage
    assert set(expected_velocity(rows)) - set(velocity) <= {"won", "lost"}


def test_a_migrated_crm_export_gives_the_reports_an_independent_computation_gives(local_ws, tmp_path):
    count = 2500 if local_ws.kind == "sqlite" else 800  # a JSON store reads the whole file for each report
    rows = generate(count, seed=13)
    report = _import(local_ws, tmp_path, rows)
    assert report["create"] == count and report["refused"] == 0
    _compare_everything(local_ws, rows)
    assert local_ws.json("report", "funnel")["undated_deals"] == 0
    again = _import(local_ws, tmp_path, rows)  # a re-import changes nothing
    assert again["unchanged"] == count
    _compare_everything(local_ws, rows)


def test_a_dated_import_is_accepted_by_every_store_and_its_database(ws, tmp_path):
    rows = generate(120, seed=5)
    assert _import(ws, tmp_path, rows)["create"] == 120
    _compare_everything(ws, rows)


def test_a_deals_history_holds_its_way_with_the_files_dates_and_the_import_named(local_ws, tmp_path):
    row = generate(1, seed=1)[0]
    row.update({"Status": "Won", "Created": "02.02.2026 10:00", "Engaged At": "03.02.2026 11:00",
                "Hot At": "", "Engineer At": "", "Proposal At": "", "Estimate At": "", "Closed At": "20.03.2026 12:30"})
    _import(local_ws, tmp_path, [row])
    deal = local_ws.json("deal", "show", "1")
    assert (deal["created_at"], deal["stage_since"], deal["fields"]["lead_date"]) == (
        "2026-02-02T07:00:00Z", "2026-03-20T09:30:00Z", "2026-02-02")
    history = local_ws.ok("deal", "history", "1").stdout.splitlines()[2:]
    assert [line.split("  ")[0] for line in history] == ["2026-02-02 10:00", "2026-02-03 11:00"] + [
        "2026-02-03 11:00"] * 3 + ["2026-03-20 12:30"]
    assert "imported from opportunities.csv line 2 into «НОВЫЙ ЛИД»" in history[0]
    estimated = [line for line in history if "imported without a date" in line]
    assert [line.split("«")[2].split("»")[0] for line in estimated] == ["ГОРЯЧИЕ", "ОБЪЕМЫ У ТУРАЛА", "КП ГОТОВО"]


@pytest.mark.parametrize("change, says", [
    ({"Engaged At": "01.01.2024 10:00"}, "entered «ОП ВЗЯЛ В РАБОТУ» on 2024-01-01 10:00, before it was created"),
    ({"Status": "Won", "Closed At": "01.02.2026 10:00", "Engaged At": "05.02.2026 10:00", "Hot At": "",
      "Engineer At": "", "Proposal At": "", "Estimate At": ""},
     "entered «УСПЕШНО РЕАЛИЗОВАНО» on 2026-02-01 10:00, before «ОП ВЗЯЛ В РАБОТУ» on 2026-02-05 10:00"),
    ({"Status": "Engaged", "Hot At": "05.02.2026 10:00", "Engineer At": "", "Proposal At": "", "Estimate At": "",
      "Closed At": ""}, "dates «ГОРЯЧИЕ» (2026-02-05 10:00), a stage after «ОП ВЗЯЛ В РАБОТУ», where the deal is"),
])
def test_a_row_whose_dates_contradict_each_other_is_refused_by_its_line(local_ws, tmp_path, change, says):
    good, bad = generate(2, seed=3)
    bad.update({"Created": "15.01.2026 09:00", "Engaged At": "16.01.2026 09:00", **change})
    report = _import(local_ws, tmp_path, [good, bad], "--skip-invalid")
    refused = [r for r in report["rows"] if r["action"] == "refused"]
    assert [(r["line"], says in r["reason"]) for r in refused] == [(3, True)], refused


def test_an_owner_is_matched_by_login_name_or_alias_and_one_that_matches_nobody_is_a_refused_row(local_ws, tmp_path):
    rows = generate(4, seed=8)
    for row, owner in zip(rows, ("ivan", "Olga Sidorova", "ОЛЬГА", "Moses Frase")):
        row["Owner"] = owner
    report = _import(local_ws, tmp_path, rows, "--skip-invalid")
    assert [r["action"] for r in report["rows"]] == ["create", "create", "create", "refused"]
    assert "'Moses Frase' is not in the team" in report["rows"][3]["reason"]
    owners = [d["responsible"] for d in local_ws.json("deal", "list")]
    assert owners == ["ivan", "olga", "olga"]


def test_without_an_owner_column_the_import_needs_owner_and_writes_nothing_before(local_ws, tmp_path):
    rows = [["ID", "Где строит"], ["X-1", "Званка"]]
    source = tmp_path / "no_owner.csv"
    source.write_text("\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    before = local_ws.snapshot()
    refused = local_ws.run("import", "deals", source, "--id-column", "ID", user="olga")
    assert refused.exit_code == 2
    assert "no column says who owns each deal" in refused.stderr and "--owner LOGIN" in refused.stderr
    assert local_ws.snapshot() == before
    local_ws.ok("import", "deals", source, "--id-column", "ID", "--owner", "Иван", user="olga")
    assert [d["responsible"] for d in local_ws.json("deal", "list")] == ["ivan"]


def test_a_blank_owner_cell_takes_owner_or_refuses_the_row(local_ws, tmp_path):
    source = tmp_path / "blank_owner.csv"
    source.write_text("ID,Ответственный\nB-1,\nB-2,ivan\n", "utf-8")
    report = json.loads(local_ws.run("import", "deals", source, "--id-column", "ID", "--skip-invalid", "--format",
                                     "json", user="olga").stdout)
    assert [r["action"] for r in report["rows"]] == ["refused", "create"]
    assert report["rows"][0]["reason"] == "the row names no owner (Ответственный is blank) and no --owner is given"


def test_values_are_mapped_by_the_mapping_file_and_by_value_map(local_ws, tmp_path):
    rows = generate(3, seed=21)
    for row in rows:
        row.update({"Status": "Engineer", "Engaged At": "", "Hot At": "", "Engineer At": "", "Proposal At": "",
                    "Estimate At": "", "Closed At": "", "Roof": "Drawing", "Type": "Individual"})
    report = _import(local_ws, tmp_path, rows, "--value-map", "Type:Individual=private", "--value-map",
                     "Coating:профнастил=профнастил С-8")
    assert report["create"] == 3
    fields = [d["fields"] for d in local_ws.json("deal", "list")]
    assert {(f["roof_plan"], f["client_type"]) for f in fields} == {("drawing", "private")}
    assert {f["coating"] for f in fields} <= {"металлочерепица", "профнастил С-8"}


def test_a_value_map_that_is_not_column_source_target_is_a_usage_error(local_ws, tmp_path):
    result = local_ws.run("import", "deals", tmp_path / "x.csv", "--value-map", "Type=private", user="olga")
    assert result.exit_code == 2
    assert "'Type=private' is not a value mapping; write COLUMN:SOURCE=TARGET" in result.stderr


def test_a_history_file_rebuilds_every_stage_a_deal_passed(ws, tmp_path):
    """Another CRM's event log gives every entry, with who made it: funnel and velocity read the whole way."""
    rows = generate(300, seed=34)
    log = [["Opportunity ID", "stage", "entered_at", "who"]]
    for key, way in ways(rows).items():
        for stage, at in way[1:]:
            log.append([key, STATUS[stage], at.strftime(MOMENT), "Olga Sidorova"])
    history = tmp_path / "history.csv"
    with open(history, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(log)
    undated = [{**r, **{c: "" for c in set(DATE_COLUMN.values())}} for r in rows]  # only created and the status
    mapping = MAPPING.split("stage_dates:")[0] + "values:" + MAPPING.split("values:")[1]
    _workspace_with_aliases(ws)
    (tmp_path / "mapping.yaml").write_text(mapping, "utf-8")
    source = write(tmp_path / "opportunities.csv", undated)
    ws.ok("import", "deals", source, "--mapping", tmp_path / "mapping.yaml", "--history", history, user="olga")
    _compare_everything(ws, rows)
    events = ws.json("deal", "history", "1")
    assert {e["data"].get("by") for e in events if e["kind"] == "deal.stage"} <= {"olga"}


def test_reports_say_when_deals_came_in_past_the_first_stage_without_dates(local_ws, tmp_path):
    source = tmp_path / "undated.csv"
    source.write_text("ID,Этап,Ответственный\nU-1,ОП ВЗЯЛ В РАБОТУ,ivan\nU-2,НОВЫЙ ЛИД,ivan\n", "utf-8")
    local_ws.ok("import", "deals", source, "--id-column", "ID", user="olga")
    assert local_ws.json("report", "funnel")["undated_deals"] == 1
    assert ("1 of these deals came in past the first stage with no dated history"
            in local_ws.ok("report", "funnel").stdout)


def test_the_forecast_says_when_won_deals_were_imported_without_their_closing_date(ws, tmp_path):
    source = tmp_path / "won.csv"
    source.write_text("ID,Этап,Бюджет,Ответственный\nW-1,УСПЕШНО РЕАЛИЗОВАНО,500000,ivan\n", "utf-8")
    ws.ok("import", "deals", source, "--id-column", "ID", user="olga")
    forecast = ws.json("report", "forecast", "--month", "2026-11")
    assert (forecast["won_deals"], forecast["won_imported_undated"]) == (1, 1)
    assert ("1 of the deals won in 2026-11 were imported as won with no closing date"
            in ws.ok("report", "forecast", "--month", "2026-11").stdout)
    dated = generate(1, seed=2)[0]
    dated.update({"Status": "Won", "Created": "02.11.2026 10:00", "Closed At": "20.11.2026 12:00"})
    _import(ws, tmp_path, [dated])
    assert ws.json("report", "forecast", "--month", "2026-11")["won_imported_undated"] == 1  # still W-1 only

