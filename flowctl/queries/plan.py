"""What a pipeline change would do to the data: the check `flowctl validate --store` runs before a config lands.

It compares the pipeline files with what the store holds and reports, with counts and example deals,
every change that would strand data: a stage gone while deals sit in it, a field gone or of another
type while values exist, an enum option gone while in use, a field a stage newly requires that open
deals there lack, a pipeline gone while it has deals. Renames declared in the YAML are not problems:
they are what `flowctl migrate` will apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl import messages as M
from flowctl.errors import UsageError

EXAMPLES = 5


@dataclass
class Finding:
    rule: str
    severity: str  # error | info
    pipeline: str
    subject: str
    message_key: str
    deal_ids: list[int] = field(default_factory=list)
    count: int = 0
    extra: dict = field(default_factory=dict)

    def add(self, deal_id: int) -> None:
        self.count += 1
        if len(self.deal_ids) < EXAMPLES:
            self.deal_ids.append(deal_id)

    def as_dict(self) -> dict:
        examples = ", ".join(f"#{i}" for i in self.deal_ids)
        return {"rule": self.rule, "severity": self.severity, "pipeline": self.pipeline, "subject": self.subject,
                "count": self.count, "examples": self.deal_ids,
                "message": M.text(self.message_key, count=self.count, subject=self.subject, examples=examples,
                                  **self.extra)}


def stored_value_fits(f, value, team: frozenset[str] | None) -> bool:
    """Whether a stored value is still a value of the field's (maybe changed) type."""
    from flowctl import fields as typed

    if f.type == "enum":
        return value in {o.id for o in f.options}
    if f.type == "user":
        return isinstance(value, str) and (team is None or value in team)
    if f.type == "boolean":
        return isinstance(value, bool)
    if f.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if not isinstance(value, str):
        return False
    try:
        typed.parse(f, value, team_logins=team or frozenset({value}), today=None)
    except UsageError:
        return False
    return True


def plan(store, pipelines: dict, team: frozenset[str] | None = None) -> list[dict]:
    findings: dict[tuple, Finding] = {}

    def finding(rule, severity, pipeline, subject, key, **extra) -> Finding:
        return findings.setdefault((rule, pipeline, subject), Finding(rule, severity, pipeline, subject, key,
                                                                       extra=extra))

    for pipeline_id in store.pipelines_in_use():
        if pipeline_id not in pipelines:
            finding("pipeline-gone", "error", pipeline_id, pipeline_id, "plan_pipeline_gone")
    for deal in store.iter_deals():
        p = pipelines.get(deal.pipeline)
        if p is None:
            findings[("pipeline-gone", deal.pipeline, deal.pipeline)].add(deal.id)
            continue
        stage_id = p.current_stage_id(deal.stage)
        if stage_id != deal.stage:
            finding("stage-rename", "info", p.id, deal.stage, "plan_stage_rename", new=stage_id).add(deal.id)
        stage = p.stage_or_none(stage_id)
        if stage is None:
            finding("stage-gone", "error", p.id, deal.stage, "plan_stage_gone").add(deal.id)
        values = {}
        for field_id, value in deal.fields.items():
            current = p.current_field_id(field_id)
            if current != field_id:
                finding("field-rename", "info", p.id, field_id, "plan_field_rename", new=current).add(deal.id)
            values[current] = value
            f = p.deal_field(current)
            if f is None:
                finding("field-gone", "error", p.id, field_id, "plan_field_gone").add(deal.id)
            elif not stored_value_fits(f, value, team):
                rule = "option-gone" if f.type == "enum" else "field-type"
                finding(rule, "error", p.id, f"{f.id}={value}" if f.type == "enum" else f.id,
                        "plan_option_gone" if f.type == "enum" else "plan_field_type", type=f.type).add(deal.id)
        if stage is not None and stage.is_open:
            for missing in stage.missing(values):
                finding("newly-required", "error", p.id, f"{stage.id}.{missing}", "plan_newly_required",
                        stage=stage.label, field=p.field_labels([missing])[0]).add(deal.id)
    order = {"error": 0, "info": 1}
    return [f.as_dict() for f in sorted(findings.values(), key=lambda f: (order[f.severity], f.pipeline, f.rule,
                                                                          f.subject))]

