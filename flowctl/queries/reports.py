"""Reports a head of sales reads: funnel, forecast of the monthly plan, managers, velocity.

Figures come from the store's aggregates (`deal_counts`, `stage_reach`, `stage_stays`, `entries_between`,
`task_counts`); money is summed in minor units (kopecks) and shown as exact decimals.
Periods select deals by their lead date (F5); `managers` counts completed tasks by completion time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flowctl.pipeline.model import Pipeline


def money(minor: int) -> str:
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def _percent(part: int, whole: int) -> float | None:
    """part/whole in percent with one decimal, halves rounded up (81.25 → 81.3, as people round)."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _forward(pipeline: Pipeline, stage_id: str) -> set[str]:
    """The stages a deal goes on to from this one: moves to a later, not-lost stage."""
    stage = pipeline.stage(stage_id)
    return {t.dest for t in pipeline.transitions_from(stage_id)
            if pipeline.stage(t.dest).kind != "lost" and pipeline.stage(t.dest).order > stage.order}


def _is_correction(pipeline: Pipeline, source: str, dest: str) -> bool:
    """A step of a deal's way back from an open stage to an earlier open one: only a correction moves so."""
    before, after = pipeline.stage_or_none(source), pipeline.stage_or_none(dest)
    return bool(before and after and before.is_open and after.is_open and after.order < before.order)


def funnel(session, pipeline: Pipeline, lead_from: str | None, lead_to: str | None) -> dict:
    now_count: dict[str, int] = defaultdict(int)
    now_budget: dict[str, int] = defaultdict(int)
    for stage, _, count, minor in session.store.deal_counts(pipeline.id, lead_from, lead_to):
        now_count[pipeline.current_stage_id(stage)] += count
        now_budget[pipeline.current_stage_id(stage)] += minor
    forward = {s.id: _forward(pipeline, s.id) for s in pipeline.stages}
    entered: dict[str, int] = defaultdict(int)
    went_on: dict[str, int] = defaultdict(int)
    sent_back: dict[str, int] = defaultdict(int)  # corrections: moves back from this open stage to an earlier one
    undated = 0  # deals whose history starts past the first stage: imported with no dates of their way
    for stored, deals in session.store.stage_paths(pipeline.id, lead_from, lead_to):
        path = tuple(pipeline.current_stage_id(s) for s in stored)  # old history read through the renames
        undated += deals if path[0] != pipeline.initial.id else 0
        for index, stage in enumerate(path):
            if index and _is_correction(pipeline, path[index - 1], stage):
                sent_back[path[index - 1]] += deals
            if stage in path[:index]:
                continue  # a reopened or corrected deal entering again counts once
            entered[stage] += deals
            if forward.get(stage, set()) & set(path[index + 1:]):
                went_on[stage] += deals
    rows = []
    for s in pipeline.stages:
        rows.append({"order": s.order, "stage": s.id, "stage_label": s.label, "kind": s.kind,
                     "deals": now_count[s.id], "budget": money(now_budget[s.id]), "entered": entered[s.id],
                     "went_on": went_on[s.id] if forward[s.id] else None,
                     "sent_back": sent_back[s.id] if s.is_open else None,
                     "conversion": _percent(went_on[s.id], entered[s.id]) if forward[s.id] else None})
    won = sum(now_count[s.id] for s in pipeline.stages if s.kind == "won")
    lost = sum(now_count[s.id] for s in pipeline.stages if s.kind == "lost")
    return {"pipeline": pipeline.id, "from": lead_from, "to": lead_to, "stages": rows,
            "won": won, "lost": lost, "win_rate": _percent(won, won + lost), "corrections": sum(sent_back.values()),
            "undated_deals": undated}


def month_bounds(month: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(month.replace(day=1), time(0), tz)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, datetime.combine(following, time(0), tz)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def won_in_month(session, pipeline: Pipeline, month: date, imported: bool = False) -> tuple[int, int]:
    """L6: (deals, money in minor units) that entered a won stage in the month, in the workspace's time zone; a
    deal counts once a month. `imported`: only those an import placed there straight away."""
    from flowctl.when import to_iso_utc

    start, end = month_bounds(month, session.workspace.tz)
    won_stages = tuple(s.id for s in pipeline.stages if s.kind == "won")
    won = session.store.entries_between(pipeline.id, won_stages, to_iso_utc(start), to_iso_utc(end), imported=imported)
    return len(won), sum(minor for _, _, minor in won)


def won_by_month(session, pipeline: Pipeline, last: date, months: int = 12) -> list[dict]:
    """The money won in each of the `months` months up to and including `last`'s, oldest first, each month as
    `forecast` counts it (its `won` and `won_deals`: a deal once a month, in the workspace's time zone), from one
    read of the whole span."""
    from bisect import bisect_right

    from flowctl.when import to_iso_utc

    tz = session.workspace.tz
    firsts = [add_months(last, n - months + 1) for n in range(months)]
    starts = [to_iso_utc(month_bounds(month, tz)[0]) for month in firsts]  # stored times compare as text
    won: list[dict[int, int]] = [{} for _ in firsts]
    won_stages = tuple(s.id for s in pipeline.stages if s.kind == "won")
    for deal_id, minor, at in session.store.stage_entries(pipeline.id, won_stages, starts[0],
                                                          to_iso_utc(month_bounds(last, tz)[1])):
        won[bisect_right(starts, at) - 1][deal_id] = minor
    return [{"month": month.strftime("%Y-%m"), "won_deals": len(deals), "won": money(sum(deals.values()))}
            for month, deals in zip(firsts, won)]


def forecast(session, pipeline: Pipeline, month: date, weighted: bool) -> dict:
    """W1, L6: the open budget of the plan stages (optionally × probability) beside money already won this month."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for stage, _, count, minor in session.store.deal_counts(pipeline.id, None, None):
        counts[stage][0] += count
        counts[stage][1] += minor
    rows, plan_total = [], Decimal(0)
    for stage_id in pipeline.plan_stages:
        stage = pipeline.stage(stage_id)
        count, minor = counts[stage_id]
        probability = Decimal(str(stage.probability)) if stage.probability is not None else Decimal(1)
        expected = (Decimal(minor) / 100 * (probability if weighted else 1)).quantize(Decimal("0.01"))
        plan_total += expected
        rows.append({"stage": stage_id, "stage_label": stage.label, "deals": count, "budget": money(minor),
                     "probability": float(probability), "expected": str(expected)})
    won_deals, won_minor = won_in_month(session, pipeline, month)
    undated = won_in_month(session, pipeline, month, imported=True)[0]
    return {"pipeline": pipeline.id, "month": month.strftime("%Y-%m"), "weighted": weighted, "stages": rows,
            "open_plan": str(plan_total.quantize(Decimal("0.01"))), "won_deals": won_deals, "won": money(won_minor),
            "won_imported_undated": undated,
            "total": str((plan_total + Decimal(won_minor) / 100).quantize(Decimal("0.01")))}


def managers(session, pipelines: list[Pipeline], lead_from: str | None, lead_to: str | None) -> list[dict]:
    """Per person, over the pipelines given: deals by their responsible, tasks by their doer (tasks of any pipeline)."""
    from flowctl.when import to_iso_utc

    people: dict[str, dict] = defaultdict(lambda: {"open": 0, "won": 0, "won_minor": 0, "lost": 0,
                                                   "overdue": 0, "done": 0})
    for pipeline in pipelines:
        kinds = {s.id: s.kind for s in pipeline.stages}
        for stage, who, count, minor in session.store.deal_counts(pipeline.id, lead_from, lead_to):
            row = people[who]
            kind = kinds.get(stage, "open")
            row[kind] += count
            if kind == "won":
                row["won_minor"] += minor
    tz = session.workspace.tz
    done_from = to_iso_utc(datetime.combine(date.fromisoformat(lead_from), time(0), tz)) if lead_from else None
    done_to = (to_iso_utc(datetime.combine(date.fromisoformat(lead_to) + timedelta(days=1), time(0), tz))
               if lead_to else None)
    for who, done, overdue in session.store.task_counts(done_from, done_to, session.now_iso):
        people[who]["done"] += done
        people[who]["overdue"] += overdue
    rows = []
    for who in sorted(people):
        p = people[who]
        member = session.workspace.team.get(who)
        rows.append({"user": who, "name": member.name if member else who, "open_deals": p["open"],
                     "won": p["won"], "won_sum": money(p["won_minor"]), "lost": p["lost"],
                     "win_rate": _percent(p["won"], p["won"] + p["lost"]), "overdue_tasks": p["overdue"],
                     "tasks_done": p["done"]})
    return rows


def velocity(session, pipeline: Pipeline, lead_from: str | None, lead_to: str | None) -> list[dict]:
    """How long deals stay in each stage (median, 90th percentile), and how many sit there over its limit now."""
    from flowctl.queries.hygiene import human_duration
    from flowctl.store.base import DealQuery
    from flowctl.when import to_iso_utc

    stays = {}
    for stage_id, figures in session.store.stage_stays(pipeline.id, lead_from, lead_to).items():
        current = pipeline.current_stage_id(stage_id)
        if figures[0] > stays.get(current, (0,))[0]:  # a stage and its old name: the one with more history speaks
            stays[current] = figures
    rows = []
    for stage in pipeline.stages:
        if not stage.is_open:
            continue
        count, median, p90 = stays.get(stage.id, (0, None, None))
        over = None
        if stage.max_stay:
            query = DealQuery(pipeline=pipeline.id, stages=(stage.id,), lead_from=lead_from, lead_to=lead_to,
                              entered_before=to_iso_utc(session.now - stage.max_stay))
            over = session.store.count_deals(query)
        rows.append({"stage": stage.id, "stage_label": stage.label, "stays": count,
                     "median_seconds": median, "p90_seconds": p90,
                     "median": human_duration(timedelta(seconds=median)) if count else "",
                     "p90": human_duration(timedelta(seconds=p90)) if count else "",
                     "limit": human_duration(stage.max_stay) if stage.max_stay else "", "over_limit_now": over})
    return rows
