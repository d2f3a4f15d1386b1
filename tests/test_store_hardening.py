"""The store's part of issue 10: what opening, reading and failing to write do to a store, and to a file that
is not one (items 11, 12, 13, 14, 16). Both stores wherever a store is involved (the `ws` fixture)."""

from __future__ import annotations

import re


# ------------------------------------------------------------------------------------------------------------
# item 16: a stay is never negative
# ------------------------------------------------------------------------------------------------------------

def test_16_a_stay_is_never_negative_when_the_clock_is_moved_back(ws):
    """Created on the 30th, closed by a machine whose clock said the 29th: the stay in «НОВЫЙ ЛИД» is 0, in the
    JSON (was -86400) as in the table."""
    deal = ws.json("deal", "create", now="2026-11-30T06:00:00Z")["id"]
    ws.ok("deal", "advance", deal, "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО", "-F", "lost_reason=no_contact",
          now="2026-11-29T06:00:00Z")
    rows = {r["stage"]: r for r in ws.json("report", "velocity")}
    assert (rows["new_lead"]["stays"], rows["new_lead"]["median_seconds"], rows["new_lead"]["p90_seconds"]) == (1, 0, 0)
    table = ws.ok("report", "velocity").stdout
    assert re.search(r"НОВЫЙ ЛИД.*\b0 min", table)
