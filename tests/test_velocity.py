"""Time in stage (`report velocity`) on every store is its definition, worked out here from the history written.

Each store computes the stays its own way: SQLite and PostgreSQL with a window over each deal's stage entries,
then SQLite ranks them in Python and PostgreSQL with percentile_disc; the JSON store walks each deal's way. The
definition: a stay runs from a deal's entry into a stage to its next stage entry in history order (the order of
the events, whatever their clocks say), and is never negative; a stage's figures are the number of stays and the
nearest-rank median and 90th percentile (the stay at rank ⌈share·n⌉ of the sorted stays) of the deals whose lead
date is in the period. The history is generated to hold what could tell the ways apart: deals entering a stage
again, a clock set back between two moves, events of other kinds and of other pipelines' deals in between, a
stage's old id read through a declared rename, deals without a lead date, and stays equal to each other (ties).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

NOW = "2026-12-01T09:00:00Z"
START = datetime(2026, 8, 1, 6, 0, tzinfo=timezone.utc)
# a few durations most moves take, so that many stays are equal; 0 and a clock set back (negative) give stays of 0
DURATIONS = [-3600, 0, 60, 600, 3600, 86400, 3 * 86400, 14 * 86400 + 60]
WAY = ["new_lead", "in_work", "hot", "volumes", "proposal_ready"]
OLD_ID = "qualified"  # in_work's id before it was renamed: old history still says so
# --to alone included: a deal without a lead date is in no period on any store (test_reports names that fix)
PERIODS = [(None, None), ("2026-08-20", None), (None, "2026-09-10"), ("2026-08-20", "2026-09-10"),
           ("2027-01-01", None)]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(seed: int = 7) -> tuple[list[dict], list[tuple]]:
    """(deals, stage entries) of a varied history: each deal {id, pipeline, lead_date, stage, since}, each entry
    (deal id, event kind, stage, at) in the order they are written, deals' entries interleaved."""
    rng = random.Random(seed)
    deals, ways = [], []
    for number in range(1, 61):
        pipeline = "fasad" if number % 10 == 0 else "krovlya"  # another pipeline's deals never count
        lead = None if number % 13 == 0 else (START.date() + timedelta(days=rng.randrange(60))).isoformat()
        position, stages = 0, ["new_lead"]
        for _ in range(rng.randrange(8)):  # forward mostly, sometimes back again: a stage entered twice
            position = max(0, min(len(WAY) - 1, position + rng.choice([1, 1, 1, -1])))
            stages.append(WAY[position])
        if number % 12 == 5:  # five deals through estimate_ready, four of them with a clock set back there
            stages += ["estimate_ready", "lost"]
        elif rng.random() < 0.3:
            stages.append(rng.choice(["won", "lost"]))
        # an early stay in in_work was written under its old id (the history before the rename)
        stages = [OLD_ID if s == "in_work" and i < len(stages) - 1 and rng.random() < 0.3 else s
                  for i, s in enumerate(stages)]
        at = START + timedelta(days=rng.randrange(60), minutes=rng.randrange(600))
        way = []
        for stage in stages:
            way.append((stage, at))
            if stage == "estimate_ready" and number > 5:
                at -= timedelta(seconds=rng.randrange(1, 7200))
            else:
                at += timedelta(seconds=rng.choice(DURATIONS) if rng.random() < 0.6 else rng.randrange(1, 30 * 86400))
        deals.append({"id": number, "pipeline": pipeline, "lead_date": lead, "stage": stages[-1],
                      "since": iso(way[-1][1])})
        ways.append(way)
    entries, started = [], set()
    while any(ways):  # one entry of a random deal at a time: the deals' histories interleave
        index = rng.choice([i for i, way in enumerate(ways) if way])
        stage, at = ways[index].pop(0)
        kind = "deal.stage" if index in started else "deal.imported" if index % 4 == 0 else "deal.created"
        started.add(index)
        entries.append((index + 1, kind, stage, iso(at)))
    return deals, entries


def write(store, deals, entries) -> None:
    from flowctl.store.base import Deal, Event

    with store.transaction():
        for d in deals:
            fields = {"responsible": "ivan", **({"lead_date": d["lead_date"]} if d["lead_date"] else {})}
            store.add_deal(Deal(d["id"], d["pipeline"], d["stage"], fields, None, iso(START), d["since"], d["since"]))
        left: dict[int, str] = {}
        for deal_id, kind, stage, at in entries:
            data = {"stage": stage} if kind != "deal.stage" else {"from": left[deal_id], "to": stage}
            left[deal_id] = stage
            store.add_event(Event(None, at, "ivan", kind, deal_id=deal_id, data=data))
            store.add_event(Event(None, at, "ivan", "deal.field", deal_id=deal_id, data={"site": "Званка"}))


def in_period(deal: dict, lead_from: str | None, lead_to: str | None) -> bool:
    """krovlya's deal whose lead date is in the period (a deal without one is outside any bounded period)."""
    lead = deal["lead_date"]
    if lead is None:
        return deal["pipeline"] == "krovlya" and lead_from is None and lead_to is None
    return deal["pipeline"] == "krovlya" and (lead_from or lead) <= lead <= (lead_to or lead)


def stays(deals, entries, lead_from, lead_to) -> dict[str, list[int]]:
    """{stage id as stored: its stays in seconds, sorted} of the period's deals, by the definition."""
    cohort = {d["id"] for d in deals if in_period(d, lead_from, lead_to)}
    ways = defaultdict(list)
    for deal_id, _, stage, at in entries:
        if deal_id in cohort:
            ways[deal_id].append((stage, datetime.fromisoformat(at.replace("Z", "+00:00"))))
    found = defaultdict(list)
    for way in ways.values():
        for (stage, entered), (_, left) in zip(way, way[1:]):
            found[stage].append(max(0, int((left - entered).total_seconds())))
    return {stage: sorted(seconds) for stage, seconds in found.items()}


def defined_stays(deals, entries, lead_from, lead_to) -> dict[str, tuple[int, int, int]]:
    """{stage id as stored: (stays, median, 90th percentile)}: the values at ranks ⌈n/2⌉ and ⌈0.9·n⌉."""
    return {stage: (len(v), v[math.ceil(0.5 * len(v)) - 1], v[math.ceil(0.9 * len(v)) - 1])
            for stage, v in stays(deals, entries, lead_from, lead_to).items()}


def test_the_generated_history_holds_what_could_tell_the_ways_apart():
    deals, entries = history()
    ways = defaultdict(list)
    for deal_id, _, stage, at in entries:
        ways[deal_id].append((stage, at))
    assert any(len({s for s, _ in way}) < len(way) for way in ways.values())  # a stage entered again
    set_back = [(s, b < a) for way in ways.values() for (s, a), (_, b) in zip(way, way[1:])]
    assert any(back for s, back in set_back if s != "estimate_ready")  # a clock set back here and there
    assert sum(back for s, back in set_back if s == "estimate_ready") == 4  # and at estimate_ready's median rank
    assert any(stage == OLD_ID for _, _, stage, _ in entries)
    assert any(d["lead_date"] is None for d in deals) and any(d["pipeline"] == "fasad" for d in deals)
    assert [e[0] for e in entries] != sorted(e[0] for e in entries)  # the deals' histories interleave
    tied = []  # whether the stay at a share's rank equals a neighbour's: both happen, so an off-by-one would show
    for lead_from, lead_to in PERIODS[:-1]:
        by_stage = stays(deals, entries, lead_from, lead_to)
        assert sum(len(v) >= 10 for v in by_stage.values()) >= 4  # enough stays for the ranks to matter
        for v, i in [(v, math.ceil(share * len(v)) - 1) for v in by_stage.values() for share in (0.5, 0.9)]:
            tied.append(v[i] in v[max(0, i - 1):i] + v[i + 1:i + 2])
    assert any(tied) and not all(tied)
    assert defined_stays(deals, entries, *PERIODS[-1]) == {}


def test_every_store_gives_the_stays_of_the_definition_for_every_period(ws):
    from flowctl.store import open_store

    deals, entries = history()
    store = open_store(str(ws.store_path))
    try:
        write(store, deals, entries)
        for lead_from, lead_to in PERIODS:
            assert store.stage_stays("krovlya", lead_from, lead_to) == defined_stays(deals, entries, lead_from,
                                                                                      lead_to), (lead_from, lead_to)
    finally:
        store.close()


@pytest.mark.parametrize("period", [(None, None), ("2026-08-20", "2026-09-10")])
def test_velocity_reads_a_renamed_stages_old_history_and_counts_deals_over_the_limit(ws, period):
    """The report on each store: an old id's figures stand for its stage when they are the more numerous; the
    deals over a stage's limit now are those of the period in it since before the limit."""
    from flowctl.store import open_store

    with open(ws.root / "pipelines" / "krovlya.yaml", "a", encoding="utf-8") as pipeline:
        pipeline.write(f"renames:\n  stages:\n    {OLD_ID}: in_work\n")
    ws.republish()
    deals, entries = history()
    store = open_store(str(ws.store_path))
    try:
        write(store, deals, entries)
    finally:
        store.close()
    lead_from, lead_to = period
    options = [*(["--from", lead_from] if lead_from else []), *(["--to", lead_to] if lead_to else [])]
    rows = ws.json("report", "velocity", *options, now=NOW)

    defined = defined_stays(deals, entries, lead_from, lead_to)
    assert defined[OLD_ID][0] != defined["in_work"][0]  # which of the two speaks is decided by count, not order
    spoken = max(defined[OLD_ID], defined["in_work"])
    limits = {"new_lead": timedelta(minutes=15), "hot": timedelta(days=14)}
    now = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
    expected = []
    for stage in WAY + ["estimate_ready"]:
        count, median, p90 = spoken if stage == "in_work" else defined.get(stage, (0, None, None))
        over = None
        if stage in limits:
            over = sum(1 for d in deals if in_period(d, lead_from, lead_to) and d["stage"] == stage
                       and d["since"] < iso(now - limits[stage]))
        expected.append((stage, count, median, p90, over))
    assert [(r["stage"], r["stays"], r["median_seconds"], r["p90_seconds"], r["over_limit_now"])
            for r in rows] == expected
