"""`flowctl report html`: one self-contained page whose every figure is the JSON reports' figure, on both local stores.

The page is read back with the standard library's html.parser: each figure stands in a
`<data value=… data-metric=…>` element, and the values are compared with `flowctl report funnel|forecast|managers|
velocity --format json` and `flowctl check --format json` run with the same options. The scenario is
test_reports.py's: thirty deals played through the real CLI from August to November (won, lost, every stage,
overdue tasks), read at its final moment.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from test_deals import QUALIFIED, call_done, new_deal, walk_to
from test_reports import FINAL_NOW, build
from test_working_day import add_fasad

def OWN_DIGITS() -> set[str]:
    """flowctl's own words that hold a digit (the 90th percentile): not figures."""
    from flowctl import messages as M

    return {M.header("90%"), M.text("html_velocity_note")}


VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "area", "base", "col", "embed", "track"}
NBSP = "\u00a0"


class Page(HTMLParser):
    """What a test asks of a page: its figures, its tags, its visible text, and whether the tags nest."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, str] = {}
        self.shown: dict[str, str] = {}
        self.tags: Counter = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []  # visible text in the body
        self.loose_digits: list[str] = []  # digits of visible text outside a figure or a <time>
        self.stack: list[str] = []
        self.unbalanced: list[str] = []
        self._figure: str | None = None
        self._marked = 0  # depth inside <data> or <time>
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._start(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)
            if tag in ("data", "time"):
                self._marked += 1

    def handle_startendtag(self, tag, attrs):
        self._start(tag, attrs)

    def _start(self, tag, attrs):
        self.tags[tag] += 1
        found = dict(attrs)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if "data-metric" in found:
            assert found["data-metric"] not in self.figures, f"{found['data-metric']} shown twice"
            self.figures[found["data-metric"]] = found["value"]
            self._figure = found["data-metric"]
            self.shown[self._figure] = ""

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.unbalanced.append(tag)
            return
        self.stack.pop()
        if tag in ("data", "time"):
            self._marked -= 1
        if tag == "data":
            self._figure = None

    def handle_data(self, data):
        if "body" not in self.stack:
            return
        self.text.append(data)
        if self._figure:
            self.shown[self._figure] += data
        if not self._marked and re.search(r"[0-9]", data) and data not in OWN_DIGITS():
            self.loose_digits.append(data)

    @property
    def visible(self) -> str:
        return "".join(self.text)


def page_of(ws, *options, user="olga") -> Page:
    path = ws.root / "report.html"
    done = ws.run("report", "html", "-o", path, *options, user=user)
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    return Page(path.read_text("utf-8"))


def machine(value) -> str:
    return "" if value is None else str(value)


def expected_figures(ws, pipelines: list[str], options: tuple = (), month: tuple = (), user="olga") -> dict:
    """Every figure the page must show, read from the JSON reports run with the same options."""
    several = len(pipelines) > 1
    named = () if several else ("--pipeline", pipelines[0])
    want: dict[str, str] = {}

    def per_pipeline(report):
        return {p["pipeline"]: p for p in report["pipelines"]} if several else {pipelines[0]: report}

    funnels = per_pipeline(ws.json("report", "funnel", *named, *options, user=user))
    forecasts = ws.json("report", "forecast", *named, *month, user=user)
    weighted = ws.json("report", "forecast", "--weighted", *named, *month, user=user)
    velocity = ws.json("report", "velocity", *named, *options, user=user)
    velocity = {p["pipeline"]: p["stages"] for p in velocity["pipelines"]} if several else {pipelines[0]: velocity}
    findings = ws.json("check", user=user)
    for pid in pipelines:
        funnel = funnels[pid]
        for s in funnel["stages"]:
            for name in ("deals", "budget", "entered", "went_on", "conversion"):
                want[f"{pid}/funnel/{s['stage']}/{name}"] = machine(s[name])
        for name in ("won", "lost", "win_rate"):
            want[f"{pid}/funnel/{name}"] = machine(funnel[name])
        for name in ("corrections", "undated_deals"):
            if funnel[name]:
                want[f"{pid}/funnel/{name}"] = machine(funnel[name])
        forecast = per_pipeline(forecasts)[pid]
        for s in forecast["stages"]:
            for name in ("deals", "budget"):
                want[f"{pid}/forecast/{s['stage']}/{name}"] = machine(s[name])
        for name in ("open_plan", "won_deals", "won", "total"):
            want[f"{pid}/forecast/{name}"] = machine(forecast[name])
        plan = per_pipeline(weighted)[pid]  # W1 weighted by the stages' probabilities
        for s in plan["stages"]:
            for name in ("probability", "expected"):
                want[f"{pid}/forecast_weighted/{s['stage']}/{name}"] = machine(s[name])
        for name in ("open_plan", "won", "total"):
            want[f"{pid}/forecast_weighted/{name}"] = machine(plan[name])
        if forecast["won_imported_undated"]:
            want[f"{pid}/forecast/won_imported_undated"] = machine(forecast["won_imported_undated"])
        for row in velocity[pid]:
            for name in ("stays", "median_seconds", "p90_seconds", "limit", "over_limit_now"):
                want[f"{pid}/velocity/{row['stage']}/{name}"] = machine(row[name])
        rules = Counter(f["rule"] for f in findings if f["pipeline"] == pid)
        for rule in ("no-task", "overdue", "stage-limit", "missing-field"):
            want[f"{pid}/check/{rule}"] = str(rules[rule])
        want[f"{pid}/check/total"] = str(sum(rules.values()))
    if several:
        want["forecast/total"] = forecasts["total"]
        want["forecast_weighted/total"] = weighted["total"]
    for row in ws.json("report", "managers", *named, *options, user=user):
        for name in ("open_deals", "won", "won_sum", "lost", "win_rate", "overdue_tasks", "tasks_done"):
            want[f"managers/{row['user']}/{name}"] = machine(row[name])
    return want


def won_by_month(page: Page, pipeline: str) -> dict[str, str]:
    prefix = f"{pipeline}/won_by_month/"
    return {metric[len(prefix):].split("/")[0]: value for metric, value in page.figures.items()
            if metric.startswith(prefix)}


def without_months(figures: dict) -> dict:
    return {metric: value for metric, value in figures.items() if "/won_by_month/" not in metric}


# --- the figures ----------------------------------------------------------------------------------------------


@pytest.fixture
def played(local_ws):
    """test_reports.py's thirty deals, played on this store; the clock left at the scenario's end."""
    build(local_ws)
    local_ws.monkeypatch.setenv("FLOWCTL_NOW", FINAL_NOW)
    return local_ws


def test_l6_every_figure_of_the_page_is_the_json_reports_figure_and_money_won_is_counted_in_its_month(played):
    page = page_of(played)
    want = expected_figures(played, ["krovlya"])
    assert without_months(page.figures) == want
    # the scenario shows what it should: won and lost deals, a conversion, overdue tasks and a stage over its limit
    assert want["krovlya/funnel/won"] == "7" and want["krovlya/funnel/lost"] == "5"
    assert int(want["krovlya/check/overdue"]) > 0 and int(want["krovlya/check/stage-limit"]) > 0
    assert any(int(v) > 0 for k, v in want.items() if k.endswith("/overdue_tasks"))
    # the last twelve months, each the money `report forecast --month` counts as won in it (L6)
    months = won_by_month(page, "krovlya")
    assert list(months) == ["2025-12"] + [f"2026-{m:02}" for m in range(1, 12)]
    for month, won in months.items():
        assert won == played.json("report", "forecast", "--month", month, user="olga")["won"], month
    assert {m: w for m, w in months.items() if w != "0.00"} == {
        "2026-08": "350000.50", "2026-09": "1254000.00", "2026-10": "1145750.99", "2026-11": "2075000.00"}
    # every number a reader sees is one of those figures (or a date, in a <time>), written as the tables write it
    assert page.loose_digits == []
    assert page.shown["krovlya/forecast/won"] == "2 075 000.00" and page.shown["krovlya/funnel/win_rate"] == "58.3%"
    assert page.shown["krovlya/velocity/hot/limit"] == "14 d" and page.shown["managers/ivan/won"] == "4"


def test_the_period_and_the_month_reach_every_report(played):
    options = ("--from", "2026-09-01", "--to", "30.10.2026")
    page = page_of(played, *options, "--month", "2026-10")
    want = expected_figures(played, ["krovlya"], options, ("--month", "2026-10"))
    assert without_months(page.figures) == want
    assert want["krovlya/forecast/won"] == "1145750.99"
    assert list(won_by_month(page, "krovlya"))[-1] == "2026-10"
    assert "2026-09-01" in [v for tag, name, v in page.attributes if name == "datetime"]
    assert page.loose_digits == []


def test_several_pipelines_a_section_each_and_the_plan_of_them_all(local_ws):
    add_fasad(local_ws, default="krovlya")
    kept = new_deal(local_ws)
    walk_to(local_ws, kept, "КП ГОТОВО")
    for _ in range(2):
        local_ws.ok("deal", "create", "-p", "fasad", "--contact", "1")
    page = page_of(local_ws)
    assert without_months(page.figures) == expected_figures(local_ws, ["krovlya", "fasad"])
    assert page.figures["forecast/total"] == "350000.50"
    ids = [v for tag, name, v in page.attributes if tag == "section" and name == "id"]
    assert ids[:2] == ["pipeline-krovlya", "pipeline-fasad"] and "managers" in ids
    assert {v for tag, name, v in page.attributes if name == "href"} == {
        "#pipeline-krovlya", "#pipeline-fasad", "#managers"}  # the contents: links inside the page only
    one = page_of(local_ws, "-p", "Фасад")
    assert without_months(one.figures) == expected_figures(local_ws, ["fasad"])
    assert not any(metric.startswith("krovlya/") for metric in one.figures)


def test_the_same_figures_on_every_store(ws):
    """The page reads the stores' shared aggregates only: on PostgreSQL too its figures are the JSON reports', and
    the money won lands in the month it was won (L6; the store's stage_entries, on every store)."""
    ws.monkeypatch.setenv("FLOWCTL_NOW", "2026-10-14T09:00:00Z")  # a deal won in October
    october = new_deal(ws)
    walk_to(ws, october, "КП ГОТОВО")
    call_done(ws, october)
    ws.ok("deal", "advance", october, "успешно реализовано")
    ws.monkeypatch.setenv("FLOWCTL_NOW", "2026-11-30T06:00:00Z")
    won = ws.json("deal", "create", "--contact", "1")["id"]
    lost, open_ = (ws.json("deal", "create", "--contact", "1")["id"] for _ in range(2))
    for deal in (won, open_):
        walk_to(ws, deal, "КП ГОТОВО")
    call_done(ws, won)
    ws.ok("deal", "advance", won, "успешно реализовано")
    ws.ok("deal", "advance", lost, "lost", "-F", "lost_reason=other")
    later = "2026-12-02T09:00:00Z"  # open tasks overdue, the new month's plan
    ws.monkeypatch.setenv("FLOWCTL_NOW", later)
    page = page_of(ws)
    want = expected_figures(ws, ["krovlya"])
    assert without_months(page.figures) == want
    assert (want["krovlya/funnel/won"], want["krovlya/funnel/lost"]) == ("2", "1")
    assert int(want["managers/ivan/overdue_tasks"]) > 0
    months = {m: w for m, w in won_by_month(page, "krovlya").items() if w != "0.00"}
    assert months == {"2026-10": "350000.50", "2026-11": "350000.50"}
    for month, won_money in months.items():
        assert won_money == ws.json("report", "forecast", "--month", month, user="olga")["won"], month
    assert page.loose_digits == []


# --- a page that stands alone ---------------------------------------------------------------------------------


def test_the_page_stands_alone_no_network_no_script(played):
    path = played.root / "report.html"
    played.ok("report", "html", "-o", path, user="olga")
    text = path.read_text("utf-8")
    page = Page(text)
    assert page.unbalanced == [] and page.stack == []
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject", "base"):
        assert page.tags[tag] == 0, tag
    assert not [a for a in page.attributes if a[1].startswith("on")]  # no event handlers
    assert [value for _, name, value in page.attributes if name in ("href", "src", "xlink:href", "action")] == []
    assert not re.search(r"https?:|//[a-z]|url\(|@import|@font-face", text)
    # responsive and printable: charts scale with the page, tables scroll sideways, and a print style
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "@media print" in text and "@media (max-width:" in text and ".scroll{overflow-x:auto" in text
    svgs = [dict(a for a in re.findall(r'(\w[\w-]*)="([^"]*)"', tag)) for tag in re.findall(r"<svg[^>]*>", text)]
    assert svgs and all("viewBox" in svg for svg in svgs)
    assert "svg.bar{display:block;width:100%" in text and "svg.columns{display:block;width:100%" in text
    # the charts are shapes; every word is HTML text a reader can select
    assert not re.search(r"<svg[^>]*>(?:(?!</svg>).)*<text", text, re.S)
    assert page.tags["table"] == 5 and "Sales report" in page.visible  # funnel, plan, velocity, hygiene, managers


def test_the_colours_keep_their_contrast_on_white():
    from flowctl import render_html

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(colour: str) -> float:
        return 1.05 / (luminance(colour) + 0.05)

    assert min(contrast(c) for c in render_html.TEXT_COLOURS) >= 4.5  # WCAG AA for text
    assert min(contrast(c) for c in render_html.CHART_COLOURS) >= 3  # WCAG 1.4.11 for graphics
    assert re.findall(r"color:(#[0-9a-f]{6})", render_html.STYLE) and all(
        c in render_html.TEXT_COLOURS for c in re.findall(r"(?<![-\w])color:(#[0-9a-f]{6})", render_html.STYLE))


def test_user_text_is_escaped_and_stays_inert(local_ws):
    """A member's name, a stage label and a pipeline's name holding markup are shown as the text they are."""
    hostile = '<script>alert("x")</script>'
    config = local_ws.root / "flowctl.yaml"
    config.write_text(config.read_text("utf-8").replace("name: Иван", f"name: '{hostile}'"), "utf-8")
    pipeline = local_ws.root / "pipelines" / "krovlya.yaml"
    text = pipeline.read_text("utf-8")
    text = text.replace("name: Кровля", "name: Кровля <img src=x onerror=alert(1)>", 1)
    text = text.replace("label: ГОРЯЧИЕ", "label: ГОРЯЧИЕ & <b>тёплые</b>", 1)
    pipeline.write_text(text, "utf-8")
    local_ws.republish()
    deal = new_deal(local_ws)
    walk_to(local_ws, deal, "ОП ВЗЯЛ В РАБОТУ")
    call_done(local_ws, deal)
    local_ws.ok("deal", "advance", deal, "ГОРЯЧИЕ & <b>тёплые</b>", *QUALIFIED)
    html = (local_ws.root / "report.html")
    local_ws.ok("report", "html", "-o", html, user="olga")
    page = Page(html.read_text("utf-8"))
    assert page.tags["script"] == page.tags["img"] == page.tags["b"] == 0
    assert hostile in page.visible and "Кровля <img src=x onerror=alert(1)>" in page.visible
    assert "ГОРЯЧИЕ & <b>тёплые</b>" in page.visible
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html.read_text("utf-8")


def test_the_page_in_russian(played, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    path = played.root / "report.html"
    played.ok("report", "html", "-o", path, "--month", "10.2026", user="olga")
    text = path.read_text("utf-8")
    page = Page(text)
    assert '<html lang="ru">' in text and "Отчёт по продажам" in page.visible
    assert page.figures["krovlya/forecast/won"] == "1145750.99"  # the values stay machine-readable
    assert page.shown["krovlya/forecast/won"] == f"1{NBSP}145{NBSP}750,99{NBSP}₽"
    assert page.shown["krovlya/funnel/win_rate"] == f"58,3{NBSP}%"
    assert "План на октябрь 2026" in page.visible and "Время в стадии" in page.visible
    assert "20.11.2026 12:00, Ольга" in page.visible  # when and by whom, in Moscow time
    velocity = played.json("report", "velocity", user="olga")  # the limit as the Russian report writes it
    assert {page.shown[f"krovlya/velocity/{r['stage']}/limit"] for r in velocity} >= {"14 дн", "15 мин"}
    assert page.loose_digits == []
    assert not re.search(r"\b(won|deals|stage|month)\b", page.visible)


# --- writing the file -----------------------------------------------------------------------------------------


def test_the_page_replaces_an_earlier_file_whole(local_ws):
    path = local_ws.root / "report.html"
    path.write_text("an earlier report", "utf-8")
    done = local_ws.run("report", "html", "--output", path)
    assert done.exit_code == 0 and done.stdout == ""
    assert path.read_text("utf-8").startswith("<!DOCTYPE html>") and path.read_text("utf-8").endswith("</html>\n")
    assert sorted(p.name for p in local_ws.root.iterdir() if p.name.startswith(".report")) == []
    shown = local_ws.run("report", "html")  # no -o: the page on standard output
    assert shown.exit_code == 0 and shown.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("where", ["no/such/folder/report.html", ".", "/dev/full"])
def test_an_unwritable_path_is_refused_in_one_line_and_leaves_nothing(local_ws, where):
    def files():
        return sorted(p.name for p in local_ws.root.rglob("*") if ".cache" not in p.parts)

    if where.startswith("/dev/") and not os.path.exists(where):
        if os.environ.get("CI"):
            pytest.fail(f"CI runs on Linux, which has {where}")
        pytest.skip(f"needs {where}")
    before = files()
    refused = local_ws.run("report", "html", "-o", where)
    assert refused.exit_code == 2, refused.stderr
    assert refused.stderr.startswith(f"flowctl: cannot write {where}: ") and refused.stderr.count("\n") == 1
    assert files() == before


def test_a_refused_report_leaves_no_file_and_an_earlier_one_as_it_was(local_ws):
    path = local_ws.root / "report.html"
    refused = local_ws.run("report", "html", "-o", path, "--from", "2026-11-30", "--to", "2026-11-01")
    assert refused.exit_code == 2 and "swap them" in refused.stderr
    assert not path.exists()
    path.write_text("kept", "utf-8")
    assert local_ws.run("report", "html", "-o", path, "--month", "13.2026").exit_code == 2
    assert local_ws.run("report", "html", "-o", path, "-p", "окна").exit_code == 4
    assert path.read_text("utf-8") == "kept"
    assert [p.name for p in local_ws.root.iterdir() if p.name.endswith(".tmp")] == []
