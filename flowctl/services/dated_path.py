"""An imported deal's way through the pipeline, rebuilt from the dates a file gives: when it was created, when it
entered each stage (a column per stage), or every entry of another CRM's event log.

The way is what the reports read (funnel, velocity, the month a deal was won), so it must be one the pipeline
allows and the dates must agree with it. Between two stages the file dates, the deal took the pipeline's shortest
way through its declared moves; a stage on that way the file gives no date for is dated as the stage before it
and marked estimated. Dates that contradict each other refuse the row.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from flowctl import messages as M
from flowctl.errors import RuleRefused
from flowctl.pipeline.model import Pipeline, Stage


@dataclass(frozen=True)
class Entry:
    stage: str
    at: str  # UTC ISO, as the store keeps moments
    estimated: bool = False
    by: str | None = None  # who moved it, as the other CRM's log says


def dated_path(pipeline: Pipeline, current: Stage, created_at: str, dates: dict[str, str],
               history: list[Entry] | None = None, shown=str) -> list[Entry]:
    """The entries from the first stage (at `created_at`) to `current`. `dates`: stage id → when the file says the
    deal entered it (a closed stage's date counts only for the closed stage the deal is in: one column often holds
    the closing date of won and lost deals alike). `history`: every entry another CRM logged, which then is the
    way itself. `shown` writes a moment for a refusal."""
    if history:
        stops = sorted(history, key=lambda e: (e.at, pipeline.stage(e.stage).order))
        for entry in stops:
            _not_before(pipeline, entry.stage, entry.at, created_at, shown)
        if stops[0].stage != pipeline.initial.id:
            stops.insert(0, Entry(pipeline.initial.id, created_at))
        if stops[-1].stage != current.id:
            stops.append(Entry(current.id, stops[-1].at, estimated=True))
        return stops
    known = {pipeline.initial.id: created_at}
    for stage_id, at in dates.items():
        stage = pipeline.stage(stage_id)
        if not stage.is_open and stage_id != current.id:
            continue
        _not_before(pipeline, stage_id, at, created_at, shown)
        if current.is_open and stage.is_open and stage.order > current.order:
            raise RuleRefused(M.text("import_date_beyond", stage=stage.label, at=shown(at), current=current.label))
        known[stage_id] = at
    stops = sorted(known.items(), key=lambda item: (item[1], pipeline.stage(item[0]).order))
    for (earlier, at_earlier), (later, at_later) in zip(stops, stops[1:]):
        if pipeline.stage(earlier).order > pipeline.stage(later).order:
            raise RuleRefused(M.text("import_dates_disorder", later=pipeline.stage(earlier).label,
                                     later_at=shown(at_earlier), earlier=pipeline.stage(later).label,
                                     earlier_at=shown(at_later)))
    if stops[-1][0] != current.id:  # undated (dated, it comes last: no other stage kept comes after it)
        stops.append((current.id, None))
    path = [Entry(stops[0][0], stops[0][1])]
    for stage_id, at in stops[1:]:
        previous = path[-1]
        for between in _way(pipeline, previous.stage, stage_id)[1:-1]:
            path.append(Entry(between, previous.at, estimated=True))
        path.append(Entry(stage_id, at or previous.at, estimated=at is None))
    return path


def _not_before(pipeline: Pipeline, stage_id: str, at: str, created_at: str, shown) -> None:
    if at < created_at:
        raise RuleRefused(M.text("import_date_before_created", stage=pipeline.stage(stage_id).label, at=shown(at),
                                 created=shown(created_at)))


def _way(pipeline: Pipeline, source: str, dest: str) -> list[str]:
    """The shortest way from `source` to `dest` through the pipeline's moves, passing only open stages; the direct
    step where there is none (a file may place a deal where no move leads)."""
    previous = {source: None}
    queue = deque([source])
    while queue:
        stage = queue.popleft()
        if stage == dest:
            way = [dest]
            while previous[way[-1]] is not None:
                way.append(previous[way[-1]])
            return way[::-1]
        if stage != source and not pipeline.stage(stage).is_open:
            continue
        for move in pipeline.transitions_from(stage):
            if move.dest not in previous and pipeline.stage(move.dest).order > pipeline.stage(stage).order:
                previous[move.dest] = stage
                queue.append(move.dest)
    return [source, dest]
