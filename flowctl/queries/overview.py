"""`flowctl report html`'s figures: the other reports, gathered once for one page.

Nothing is computed here that a report does not compute itself: each section is the result of `funnel`, `forecast`,
`velocity` and `managers` (queries/reports.py) and `check` (queries/hygiene.py) for the same pipelines, period and
month, so every figure on the page is the one `flowctl report … --format json` prints.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from flowctl.pipeline.model import Pipeline


def overview(session, pipelines: list[Pipeline], lead_from: str | None, lead_to: str | None, month: date) -> dict:
    """A section per pipeline (funnel, the month's plan as it is and weighted by probability, won money per month
    over the last twelve, time in stage, hygiene findings by rule), the managers over those pipelines, and the plan
    of them all."""
    from flowctl.queries import hygiene, reports

    session = session.with_store(_Remembering(session.store))
    findings = Counter((f["pipeline"], f["rule"]) for f in hygiene.check(session, None))
    sections = []
    for pipeline in pipelines:
        sections.append({
            "pipeline": pipeline.id, "name": pipeline.name,
            "funnel": reports.funnel(session, pipeline, lead_from, lead_to),
            "forecast": reports.forecast(session, pipeline, month, weighted=False),
            "forecast_weighted": reports.forecast(session, pipeline, month, weighted=True),
            "won_by_month": reports.won_by_month(session, pipeline, month),
            "velocity": reports.velocity(session, pipeline, lead_from, lead_to),
            "hygiene": {rule: findings[pipeline.id, rule] for rule in hygiene.RULES},
        })
    totals = {kind: str(sum((Decimal(s[kind]["total"]) for s in sections), Decimal("0.00")))
              for kind in ("forecast", "forecast_weighted")}
    return {"from": lead_from, "to": lead_to, "month": month.strftime("%Y-%m"), "generated_at": session.now_iso,
            "generated_by": {"user": session.actor.login, "name": session.actor.name},
            "pipelines": sections, "total": totals["forecast"], "total_weighted": totals["forecast_weighted"],
            "managers": reports.managers(session, pipelines, lead_from, lead_to)}


class _Remembering:
    """The session's store, answering a question asked again with its first answer: funnel, forecast and managers
    each ask `deal_counts` of a pipeline, the same question when no period is given (0.15 s each at 100,000 deals).
    The page's reports read one store at one moment, so the answer cannot change in between."""

    def __init__(self, store):
        self._store = store
        self._counts: dict = {}

    def deal_counts(self, pipeline, lead_from, lead_to):
        key = (pipeline, lead_from, lead_to)
        if key not in self._counts:
            self._counts[key] = self._store.deal_counts(pipeline, lead_from, lead_to)
        return self._counts[key]

    def __getattr__(self, name):
        return getattr(self._store, name)
