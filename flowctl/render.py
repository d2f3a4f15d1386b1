"""One render() for every command that prints data: table, json or csv.

Only this module imports tabulate (slow to import, so only when a table is drawn).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

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
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def safe_csv_cell(text: str) -> str:
    """A spreadsheet runs cells starting with = + - @ as formulas; a leading ' keeps them text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def render(rows: list[dict], fmt: str = "table", columns: list[tuple[str, str]] | None = None,
           footer: str | None = None) -> str:
    """rows: dicts; columns: (key, header) pairs to show in table/csv (json always has every key)."""
    if fmt == "json":
        return to_json(rows)
    columns = columns or [(k, k) for k in (rows[0] if rows else {})]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([h for _, h in columns])
        for row in rows:
            writer.writerow([safe_csv_cell(_cell(row.get(k))) for k, _ in columns])
        return out.getvalue().rstrip("\n")
    from tabulate import tabulate

    table = tabulate([[_cell(row.get(k)) for k, _ in columns] for row in rows],
                     headers=[h for _, h in columns], tablefmt="simple", disable_numparse=True)
    return table + (f"\n{footer}" if footer else "")
