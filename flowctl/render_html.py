"""`flowctl report html`: the figures of queries/overview.py as one self-contained HTML page.

The page needs nothing but itself: its style is inline, its charts are inline SVG drawn here (bars and columns of
plain rectangles), it has no script and fetches no font, image or stylesheet, so it opens from a disk or a mail
attachment with no network. Its text is HTML text (selectable, in the workspace's language); the charts carry no
text of their own. Every figure shown stands in a `<data value="…" data-metric="…">` element whose value is what
the corresponding `--format json` report holds, so a program can read the page back and compare. Every text that
comes from a user (pipeline and stage labels, names) is escaped.

Why not pygal (or matplotlib's SVG backend, heavier still), measured on the development machine: pygal 3.1.3 takes
43–51 ms to import, this module 2 ms beyond what the report loads anyway; pygal draws a six-bar chart in 20 KB of
SVG with a script in it (by default one more, fetched from a CDN) and a random id (no two runs alike), where these
six bars take 1.5 KB. It would be a new dependency for a few rectangles.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from flowctl import language
from flowctl import messages as M

# Colours on white: text colours keep WCAG AA (4.5:1), the bars and columns 3:1 (WCAG 1.4.11, graphics).
INK = "#1b1f24"
MUTED = "#4a5360"
ALERT = "#b42318"
ACCENT = "#1d4f91"  # headings' rule, the dark bars (went on, median)
LIGHT = "#5b8ccc"  # the light bars (entered, 90th percentile, open plan)
WON = "#2e7d32"
TRACK = "#e9eef4"  # the empty part of a bar: decoration
RULE = "#d0d7de"
TEXT_COLOURS = (INK, MUTED, ALERT, ACCENT)
CHART_COLOURS = (ACCENT, LIGHT, WON, INK)

STYLE = f"""
*{{box-sizing:border-box}}
html{{-webkit-text-size-adjust:100%;text-size-adjust:100%}}
body{{margin:0;background:#fff;color:{INK};font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
Arial,"Noto Sans",sans-serif}}
.page{{max-width:72rem;margin:0 auto;padding:1.25rem 1rem 2rem}}
h1{{font-size:1.6rem;margin:0 0 .6rem}}
h2{{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;border-bottom:2px solid {ACCENT}}}
h3{{font-size:1.05rem;margin:1.6rem 0 .3rem}}
.meta{{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}}
.meta dt{{color:{MUTED}}}
.meta dd{{margin:0}}
nav ul{{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;margin:.8rem 0 0;padding:0}}
a{{color:{ACCENT}}}
.note{{color:{MUTED};font-size:.9rem;margin:0 0 .5rem}}
.scroll{{overflow-x:auto;-webkit-overflow-scrolling:touch}}
table{{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}}
th,td{{padding:.35rem .5rem;border-bottom:1px solid {RULE};text-align:left;vertical-align:top}}
thead th{{color:{MUTED};font-size:.85rem;font-weight:600;vertical-align:bottom}}
tfoot th,tfoot td{{border-bottom:0;font-weight:600}}
.n{{text-align:right;white-space:nowrap}}
td.label{{min-width:11rem;width:38%}}
td.wide{{min-width:8rem}}
svg.bar{{display:block;width:100%;height:.55rem;margin-top:.3rem}}
svg.key{{display:inline-block;width:.8rem;height:.8rem;vertical-align:-.05rem;margin-right:.35rem}}
svg.plan{{display:block;width:100%;height:1.6rem;margin:.4rem 0 .6rem}}
svg.columns{{display:block;width:100%;height:9rem}}
.months{{display:grid;grid-template-columns:repeat(12,1fr);text-align:center;font-size:.8rem;color:{MUTED};
line-height:1.2;margin-top:.2rem}}
.months time{{display:block}}
.amounts{{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.2rem 1.5rem;margin:.8rem 0 0;
padding:0;list-style:none;font-variant-numeric:tabular-nums}}
.amounts li{{display:flex;justify-content:space-between;gap:.5rem;border-bottom:1px dotted {RULE};white-space:nowrap}}
.legend{{font-size:.9rem;color:{MUTED};margin:0 0 .3rem}}
.legend span{{margin-right:1rem;white-space:nowrap}}
.alert{{color:{ALERT};font-weight:600}}
.total{{font-size:1.1rem}}
footer{{margin-top:2.5rem;color:{MUTED};font-size:.85rem}}
@media (max-width:40rem){{
body{{font-size:14px}}
.page{{padding:.75rem .5rem 1.5rem}}
th,td{{padding:.3rem .35rem}}
td.label{{min-width:8rem}}
.months{{font-size:.7rem}}
}}
@media print{{
@page{{margin:12mm}}
body{{font-size:10pt}}
.page{{max-width:none;padding:0}}
nav{{display:none}}
a{{color:inherit;text-decoration:none}}
.scroll{{overflow:visible}}
section.pipeline+section.pipeline{{break-before:page}}
table,tr,svg,.months,.amounts,.block{{break-inside:avoid}}
h2,h3{{break-after:avoid}}
*{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
}}
"""


def page(session, pipelines: list, data: dict) -> str:
    """The whole page for `overview`'s data; `pipelines` are the models of data["pipelines"], in order."""
    several = len(pipelines) > 1
    names = ", ".join(p.name for p in pipelines)
    today = language.day(_local(session, data["generated_at"]).date())
    parts = ["<!DOCTYPE html>", f'<html lang="{_e(language.current())}">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             '<meta name="color-scheme" content="light">', '<meta name="generator" content="flowctl">',
             f"<title>{_e(M.text('html_title'))} · {_e(names)} · {_e(today)}</title>",
             f"<style>{STYLE}</style>", "</head>", "<body>", '<div class="page">',
             _header(session, pipelines, data)]
    if several:
        links = "".join(f'<li><a href="#pipeline-{_e(p.id)}">{_e(p.name)}</a></li>' for p in pipelines)
        links += f'<li><a href="#managers">{_e(M.text("html_managers"))}</a></li>'
        parts.append(f'<nav aria-label="{_e(M.text("html_contents"))}"><ul>{links}</ul></nav>')
    parts.append("<main>")
    for pipeline, section in zip(pipelines, data["pipelines"]):
        parts.append(_pipeline(pipeline, section, several))
    if several:
        parts.append(_plan_of_all(pipelines[0], data))
    parts.append(_managers(pipelines[0], data["managers"]))
    parts += ["</main>", f"<footer><p>{_e(M.text('html_footer'))}</p></footer>", "</div>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


# --- pieces ----------------------------------------------------------------------------------------------------


def _e(text) -> str:
    """Text as HTML shows it: markup in it is inert, and a control character is written out as a terminal shows it."""
    return escape(str(M.visible(text)), quote=True)


def _say(message_id: str, /, **markup: str) -> str:
    """A message in the user's language, its own words escaped and its placeholders filled with markup made here."""
    return _e(M.template(message_id)).format(**markup)


def _figure(metric: str, value, shown: str | None = None, alert: bool = False) -> str:
    """A figure as a person reads it, holding the value as its report's json has it ("" for null)."""
    machine = "" if value is None else str(value)
    if shown is None:
        shown = "—" if value is None else _count(value)
    css = ' class="alert"' if alert else ""
    return f'<data value="{_e(machine)}" data-metric="{_e(metric)}"{css}>{_e(shown)}</data>'


def _count(value) -> str:
    return language.number(Decimal(value), 0)


def _money(pipeline, amount: str) -> str:
    """An amount as the pipeline's money field shows it (1 254 000,00 ₽ in Russian)."""
    from flowctl import fields as typed

    field = pipeline.field_for("money")
    return typed.display(field, amount) if field else language.money(Decimal(amount))


def _percent(value) -> str:
    return language.percent(value) if value is not None else "—"


def _local(session, iso_utc: str):
    from flowctl.when import from_iso_utc

    return from_iso_utc(iso_utc).astimezone(session.workspace.tz)


def _day(iso_day: str) -> str:
    return f'<time datetime="{_e(iso_day)}">{_e(language.day(date.fromisoformat(iso_day)))}</time>'


def _month(iso_month: str, short: bool = False) -> str:
    year, month = (int(part) for part in iso_month.split("-"))
    name = M.template("html_months_short" if short else "html_months").split()[month - 1]
    return name if short else f"{name} {year}"


def _month_time(iso_month: str) -> str:
    return f'<time datetime="{_e(iso_month)}">{_e(_month(iso_month))}</time>'


def _width(part, whole) -> float:
    return round(1000 * float(part) / float(whole), 1) if whole else 0.0


def _bar(*segments: tuple[float, str], mark: float | None = None) -> str:
    """A thin horizontal bar, 0–1000 across: coloured segments from the left (drawn in order, so a shorter one
    after a longer one shows over it) and an optional mark (a limit). Decoration: the figures are beside it."""
    shapes = [f'<rect width="1000" height="10" fill="{TRACK}"/>']
    shapes += [f'<rect width="{width}" height="10" fill="{colour}"/>' for width, colour in segments if width > 0]
    if mark is not None:
        shapes.append(f'<line x1="{mark}" x2="{mark}" y1="0" y2="10" stroke="{INK}" stroke-width="2"'
                      ' vector-effect="non-scaling-stroke"/>')
    return ('<svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
            + "".join(shapes) + "</svg>")


def _key(colour: str) -> str:
    """A colour's square in a legend (an SVG, not a background: a browser prints backgrounds only when asked)."""
    return (f'<svg class="key" viewBox="0 0 10 10" aria-hidden="true" focusable="false">'
            f'<rect width="10" height="10" fill="{colour}"/></svg>')


def _table(head: list[tuple[str, str]], rows: list[str], foot: str = "") -> str:
    """A table in a box that scrolls sideways on a narrow screen; head: (header, css class) per column."""
    cells = "".join(f'<th scope="col" class="{css}">{_e(M.header(name))}</th>' if css else
                    f'<th scope="col">{_e(M.header(name))}</th>' for name, css in head)
    foot = f"<tfoot>{foot}</tfoot>" if foot else ""
    return (f'<div class="scroll"><table><thead><tr>{cells}</tr></thead><tbody>{"".join(rows)}</tbody>{foot}'
            "</table></div>")


def _header(session, pipelines: list, data: dict) -> str:
    start, end = data["from"], data["to"]
    if start and end:
        period = _say("html_period_between", start=_day(start), end=_day(end))
    elif start:
        period = _say("html_period_from", start=_day(start))
    elif end:
        period = _say("html_period_to", end=_day(end))
    else:
        period = _e(M.text("html_period_all"))
    moment = _local(session, data["generated_at"])
    generated = _say("html_generated_by", name=_e(data["generated_by"]["name"]),
                     moment=f'<time datetime="{_e(data["generated_at"])}">{_e(language.moment(moment))}</time>')
    rows = [("html_pipelines", _e(", ".join(p.name for p in pipelines))), ("html_period", period),
            ("html_month", _month_time(data["month"])), ("html_generated", generated)]
    items = "".join(f"<dt>{_e(M.text(label))}</dt><dd>{value}</dd>" for label, value in rows)
    return f'<header><h1>{_e(M.text("html_title"))}</h1><dl class="meta">{items}</dl></header>'


def _pipeline(pipeline, section: dict, several: bool) -> str:
    heading = f"<h2>{_e(pipeline.name)}</h2>" if several else ""
    return (f'<section class="pipeline" id="pipeline-{_e(pipeline.id)}">{heading}'
            + _funnel(pipeline, section["funnel"]) + _plan(pipeline, section["forecast"], section["forecast_weighted"])
            + _won_months(pipeline, section["won_by_month"]) + _velocity(pipeline, section["velocity"])
            + _hygiene(pipeline, section["hygiene"]) + "</section>")


def _block(kind: str, title: str, note: str, body: str) -> str:
    note = f'<p class="note">{note}</p>' if note else ""
    return f'<section class="block {kind}"><h3>{title}</h3>{note}{body}</section>'


def _funnel(pipeline, funnel: dict) -> str:
    key = f"{pipeline.id}/funnel"
    widest = max((s["entered"] for s in funnel["stages"]), default=0)
    rows = []
    for s in funnel["stages"]:
        at = f"{key}/{s['stage']}"
        bar = _bar((_width(s["entered"], widest), LIGHT), (_width(s["went_on"] or 0, widest), ACCENT))
        rows.append(f'<tr><td class="label">{_e(s["stage_label"])}{bar}</td>'
                    f'<td class="n">{_figure(f"{at}/deals", s["deals"])}</td>'
                    f'<td class="n">{_figure(f"{at}/budget", s["budget"], _money(pipeline, s["budget"]))}</td>'
                    f'<td class="n">{_figure(f"{at}/entered", s["entered"])}</td>'
                    f'<td class="n">{_figure(f"{at}/went_on", s["went_on"])}</td>'
                    f'<td class="n">{_figure(f"{at}/conversion", s["conversion"], _percent(s["conversion"]))}'
                    "</td></tr>")
    legend = (f'<p class="legend"><span>{_key(LIGHT)}{_e(M.header("entered"))}</span>'
              f'<span>{_key(ACCENT)}{_e(M.header("went on"))}</span></p>')
    table = _table([("stage", ""), ("deals now", "n"), ("budget now", "n"), ("entered", "n"), ("went on", "n"),
                    ("conversion", "n")], rows)
    lines = [_say("funnel_win_rate", rate=_figure(f"{key}/win_rate", funnel["win_rate"], _percent(funnel["win_rate"])),
                  won=_figure(f"{key}/won", funnel["won"]), lost=_figure(f"{key}/lost", funnel["lost"]))]
    if funnel["corrections"]:
        lines.append(_say("funnel_corrections", count=_figure(f"{key}/corrections", funnel["corrections"])))
    if funnel["undated_deals"]:
        lines.append(_say("report_undated", count=_figure(f"{key}/undated_deals", funnel["undated_deals"])))
    footer = "".join(f"<p>{line}</p>" for line in lines)
    return _block("funnel", _e(M.text("html_funnel")), _e(M.text("html_funnel_note")), legend + table + footer)


def _plan(pipeline, forecast: dict, weighted: dict) -> str:
    """W1 beside L6: the plan stages' open budget, and the same weighted by each stage's probability ("in the plan"),
    beside the money won this month; `forecast` is `report forecast`'s result, `weighted` its `--weighted` one."""
    key, wkey = f"{pipeline.id}/forecast", f"{pipeline.id}/forecast_weighted"
    total = Decimal(forecast["total"])
    won, planned = _width(Decimal(forecast["won"]), total), _width(Decimal(weighted["open_plan"]), total)
    bar = ('<svg class="plan" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
           f'<rect width="1000" height="10" fill="{TRACK}"/><rect width="{won}" height="10" fill="{WON}"/>'
           f'<rect x="{won}" width="{_width(Decimal(forecast["open_plan"]), total)}" height="10" fill="{LIGHT}"/>'
           f'<rect x="{won}" width="{planned}" height="10" fill="{ACCENT}"/></svg>')
    legend = (f'<p class="legend"><span>{_key(WON)}{_e(M.text("html_plan_won"))}</span>'
              f'<span>{_key(ACCENT)}{_e(M.header("in the plan"))}</span>'
              f'<span>{_key(LIGHT)}{_e(M.text("html_plan_open"))}</span></p>')

    def money(metric: str, amount: str) -> str:
        return _figure(metric, amount, _money(pipeline, amount))

    rows = []
    for s, w in zip(forecast["stages"], weighted["stages"]):
        at, wat = f"{key}/{s['stage']}", f"{wkey}/{s['stage']}"
        rows.append(f'<tr><td class="label">{_e(s["stage_label"])}</td>'
                    f'<td class="n">{_figure(f"{at}/deals", s["deals"])}</td>'
                    f'<td class="n">{money(f"{at}/budget", s["budget"])}</td>'
                    f'<td class="n">{_figure(f"{wat}/probability", w["probability"], _share(w["probability"]))}</td>'
                    f'<td class="n">{money(f"{wat}/expected", w["expected"])}</td></tr>')
    rows.append(f'<tr><th scope="row">{_e(M.text("html_plan_open"))}</th><td></td>'
                f'<td class="n">{money(f"{key}/open_plan", forecast["open_plan"])}</td><td></td>'
                f'<td class="n">{money(f"{wkey}/open_plan", weighted["open_plan"])}</td></tr>')
    rows.append(f'<tr><th scope="row">{_e(M.text("html_plan_won"))}</th>'
                f'<td class="n">{_figure(f"{key}/won_deals", forecast["won_deals"])}</td>'
                f'<td class="n">{money(f"{key}/won", forecast["won"])}</td><td></td>'
                f'<td class="n">{money(f"{wkey}/won", weighted["won"])}</td></tr>')
    foot = (f'<tr class="total"><th scope="row">{_e(M.text("html_plan_total"))}</th><td></td>'
            f'<td class="n">{money(f"{key}/total", forecast["total"])}</td><td></td>'
            f'<td class="n">{money(f"{wkey}/total", weighted["total"])}</td></tr>')
    body = legend + bar + _table([("stage", ""), ("deals", "n"), ("budget", "n"), ("probability", "n"),
                                  ("in the plan", "n")], rows, foot)
    if forecast["won_imported_undated"]:
        body += "<p>" + _say("report_won_undated", month=_month_time(forecast["month"]), count=_figure(
            f"{key}/won_imported_undated", forecast["won_imported_undated"])) + "</p>"
    return _block("plan", _say("html_plan", month=_month_time(forecast["month"])), _e(M.text("html_plan_note")), body)


def _share(probability) -> str:
    """A stage's probability (0.6) as a percentage (60.0%)."""
    return _percent(float(Decimal(str(probability)) * 100)) if probability is not None else "—"


def _won_months(pipeline, months: list[dict]) -> str:
    """Columns of the money won in each month (oldest first), the months named under them, the amounts below."""
    highest = max((Decimal(m["won"]) for m in months), default=Decimal(0))
    step = 1000 / len(months)
    columns = []
    for index, m in enumerate(months):
        height = round(280 * float(Decimal(m["won"]) / highest), 1) if highest else 0
        if height:
            columns.append(f'<rect x="{round(index * step + step * 0.18, 1)}" y="{300 - height}"'
                           f' width="{round(step * 0.64, 1)}" height="{height}" fill="{WON}"/>')
    chart = ('<svg class="columns" viewBox="0 0 1000 300" preserveAspectRatio="none" aria-hidden="true"'
             f' focusable="false"><rect width="1000" height="300" fill="#fff"/>{"".join(columns)}'
             f'<line x1="0" x2="1000" y1="300" y2="300" stroke="{MUTED}" stroke-width="2"'
             ' vector-effect="non-scaling-stroke"/></svg>')
    labels = []
    for index, m in enumerate(months):
        year = m["month"][:4]
        first_of_year = index == 0 or m["month"].endswith("-01")
        labels.append(f'<span><time datetime="{_e(m["month"])}">{_e(_month(m["month"], short=True))}</time>'
                      + (f'<time datetime="{_e(year)}" class="year">{_e(year)}</time>' if first_of_year else "")
                      + "</span>")
    amounts = []
    for m in months:
        won = _figure(f"{pipeline.id}/won_by_month/{m['month']}/won", m["won"], _money(pipeline, m["won"]))
        amounts.append(f"<li>{_month_time(m['month'])}{won}</li>")
    drawn = f'{chart}<div class="months" aria-hidden="true">{"".join(labels)}</div>' if highest else ""
    body = f'{drawn}<ul class="amounts">{"".join(amounts)}</ul>'  # nothing won: no empty chart, the amounts say so
    return _block("won-months", _e(M.text("html_won_months")), "", body)


def _velocity(pipeline, rows: list[dict]) -> str:
    key = f"{pipeline.id}/velocity"
    lines = []
    for r in rows:
        at = f"{key}/{r['stage']}"
        stage = pipeline.stage_or_none(r["stage"])
        limit = int(stage.max_stay.total_seconds()) if stage and stage.max_stay else None
        median, p90 = r["median_seconds"], r["p90_seconds"]
        scale = 1.15 * max(x for x in (median, p90, limit, 0) if x is not None)  # the limit's line stays inside
        bar = _bar((_width(p90 or 0, scale), LIGHT), (_width(median or 0, scale), ACCENT),
                   mark=_width(limit, scale) if limit else None) if scale else ""
        over = limit is not None and r["stays"] > 0
        median_shown = _figure(f"{at}/median_seconds", median, r["median"] or "—", over and median > limit)
        p90_shown = _figure(f"{at}/p90_seconds", p90, r["p90"] or "—", over and p90 > limit)
        over_now = _figure(f"{at}/over_limit_now", r["over_limit_now"], alert=bool(r["over_limit_now"]))
        lines.append(f'<tr><td class="label">{_e(r["stage_label"])}{bar}</td>'
                     f'<td class="n">{_figure(f"{at}/stays", r["stays"])}</td>'
                     f'<td class="n">{median_shown}</td><td class="n">{p90_shown}</td>'
                     f'<td class="n">{_figure(f"{at}/limit", r["limit"], r["limit"] or "—")}</td>'
                     f'<td class="n">{over_now}</td></tr>')
    table = _table([("stage", ""), ("stays", "n"), ("median", "n"), ("90%", "n"), ("limit", "n"),
                    ("over limit now", "n")], lines)
    return _block("velocity", _e(M.text("html_velocity")), _e(M.text("html_velocity_note")), table)


def _hygiene(pipeline, counts: dict) -> str:
    key = f"{pipeline.id}/check"
    most = max(counts.values(), default=0)
    rows = [f'<tr><td class="label">{_e(M.text(f"html_rule_{rule}"))}'
            f'{_bar((_width(count, most), ALERT if count else TRACK))}</td>'
            f'<td class="n">{_figure(f"{key}/{rule}", count, alert=bool(count))}</td></tr>'
            for rule, count in counts.items()]
    foot = (f'<tr><th scope="row">{_e(M.text("html_hygiene_total"))}</th>'
            f'<td class="n">{_figure(f"{key}/total", sum(counts.values()))}</td></tr>')
    table = _table([("rule", ""), ("found", "n")], rows, foot)
    return _block("hygiene", _e(M.text("html_hygiene")), _e(M.text("html_hygiene_note")), table)


def _plan_of_all(pipeline, data: dict) -> str:
    total = _figure("forecast/total", data["total"], _money(pipeline, data["total"]))
    weighted = _figure("forecast_weighted/total", data["total_weighted"], _money(pipeline, data["total_weighted"]))
    lines = [_say("forecast_total_all", month=_month_time(data["month"]), total=total),
             _say("html_plan_all_weighted", total=weighted)]
    return (f'<section class="block all" id="all"><h2>{_e(M.text("html_all_pipelines"))}</h2>'
            + "".join(f'<p class="total">{line}</p>' for line in lines) + "</section>")


def _managers(pipeline, rows: list[dict]) -> str:
    richest = max((Decimal(r["won_sum"]) for r in rows), default=Decimal(0))
    lines = []
    for r in rows:
        at = f"managers/{r['user']}"
        won_sum = _figure(f"{at}/won_sum", r["won_sum"], _money(pipeline, r["won_sum"]))
        rate = _figure(f"{at}/win_rate", r["win_rate"], _percent(r["win_rate"]))
        overdue = _figure(f"{at}/overdue_tasks", r["overdue_tasks"], alert=bool(r["overdue_tasks"]))
        lines.append(f'<tr><th scope="row">{_e(r["name"])}</th>'
                     f'<td class="n">{_figure(f"{at}/open_deals", r["open_deals"])}</td>'
                     f'<td class="n">{_figure(f"{at}/won", r["won"])}</td>'
                     f'<td class="n wide">{won_sum}{_bar((_width(Decimal(r["won_sum"]), richest), WON))}</td>'
                     f'<td class="n">{_figure(f"{at}/lost", r["lost"])}</td>'
                     f'<td class="n wide">{rate}{_bar((_width(r["win_rate"] or 0, 100), ACCENT))}</td>'
                     f'<td class="n">{overdue}</td>'
                     f'<td class="n">{_figure(f"{at}/tasks_done", r["tasks_done"])}</td></tr>')
    table = _table([("manager", ""), ("open", "n"), ("won", "n"), ("won sum", "n"), ("lost", "n"),
                    ("win rate", "n"), ("overdue tasks", "n"), ("tasks done", "n")], lines)
    return (f'<section class="team" id="managers"><h2>{_e(M.text("html_managers"))}</h2>'
            f'<p class="note">{_e(M.text("html_managers_note"))}</p>{table}</section>')
