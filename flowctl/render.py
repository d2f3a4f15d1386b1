"""One render() for every command that prints data: table, json or csv.

Tables are drawn here rather than with tabulate: every everyday command prints one, and
importing tabulate costs 20–30 ms per command (0.10 pulls in importlib.metadata), a fifth of
the start-up budget, for the one plain layout we use. Widths count what a terminal shows:
combining marks take no column, East Asian wide characters take two.
"""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from flowctl import language
from flowctl import messages as M

FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_jsonable)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, (date, datetime)):
        return language.moment(value) if isinstance(value, datetime) else language.day(value)
    return str(value)


def safe_csv_cell(text: str) -> str:
    """A spreadsheet runs cells starting with = + - @ as formulas; a leading ' keeps them text. A value that
    already starts with ' and then one of those gets one ' more, so that plain_csv_cell gives every value back."""
    return "'" + text if text.lstrip("'").startswith(_FORMULA_START) else text


def plain_csv_cell(text: str) -> str:
    """The value safe_csv_cell wrote: a ' followed (after any further ') by = + - @ tab or CR is flowctl's own
    mark and is dropped. A file from elsewhere rarely holds such a cell, and then the ' is one a spreadsheet
    user typed to keep the value text, so dropping it gives the value they meant (+7912…, not '+7912…)."""
    return text[1:] if text[:1] == "'" and text.lstrip("'").startswith(_FORMULA_START) else text


def cut_list(items: list[str], limit: int = 10) -> str:
    """`items` joined by commas, the first `limit` of them and a count of the rest: one line, however many."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} {M.text('list_more', count=f'{len(items) - limit:,}')}"


def render(rows: list[dict], fmt: str = "table", columns: list[tuple[str, str]] | None = None,
           footer: str | None = None) -> str:
    """rows: dicts; columns: (key, header) pairs to show in table/csv (json always has every key). A table's
    headers are in the user's language; csv keeps the English ones, which programs read."""
    if fmt == "json":
        return to_json(rows)
    if fmt == "table" and columns:
        columns = [(key, M.header(head)) for key, head in columns]
    columns = columns or [(k, k) for k in (rows[0] if rows else {})]
    if fmt == "csv":
        import csv  # only for csv: every command renders, few in csv

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([h for _, h in columns])
        for row in rows:
            writer.writerow([safe_csv_cell(_cell(row.get(k))) for k, _ in columns])
        return out.getvalue().rstrip("\n")
    table = _simple_table([h for _, h in columns], [[_cell(row.get(k)) for k, _ in columns] for row in rows])
    return table + (f"\n{footer}" if footer else "")


def char_width(ch: str) -> int:
    """Terminal columns one character takes: a combining mark none, an East Asian wide character two."""
    return 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _simple_table(headers: list[str], body: list[list[str]]) -> str:
    """Columns padded to their widest cell, a dashed rule under the header, multi-line cells kept aligned. Text may
    come from a file or a command line: escape sequences and direction marks are shown escaped, as in messages."""
    headers = [M.visible(h) for h in headers]
    lines_of = [[[M.visible(line) for line in cell.split("\n")] for cell in row] for row in body]
    widths = [max([display_width(h)] + [display_width(line) for row in lines_of for line in row[i]])
              for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - display_width(c)) for c, w in zip(cells, widths)).rstrip()

    out = [line(headers), "  ".join("-" * max(w, 1) for w in widths)]
    for row in lines_of:
        for depth in range(max((len(c) for c in row), default=1)):
            out.append(line([c[depth] if depth < len(c) else "" for c in row]))
    return "\n".join(out)
