"""The one place flowctl reads the time: tests and the demo pin it with FLOWCTL_NOW."""

from __future__ import annotations

import os
from datetime import datetime, timezone

YEARS = (1900, 9998)  # the calendar flowctl computes in: a day's or a month's bounds around any moment stay valid dates


def now() -> datetime:
    """The current moment, aware, in UTC. FLOWCTL_NOW (ISO 8601, e.g. 2026-11-30T06:00:00Z) pins it."""
    pinned = os.environ.get("FLOWCTL_NOW")
    if pinned:
        try:
            moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is None or not YEARS[0] <= moment.year <= YEARS[1]:
            from flowctl import messages as M
            from flowctl.errors import UsageError

            raise UsageError(M.text("clock_pinned", value=pinned, first=YEARS[0], last=YEARS[1]))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return datetime.now(timezone.utc)
