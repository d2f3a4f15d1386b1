"""The one place flowctl reads the time: tests and the demo pin it with FLOWCTL_NOW."""

from __future__ import annotations

import os
from datetime import datetime, timezone


def now() -> datetime:
    """The current moment, aware, in UTC. FLOWCTL_NOW (ISO 8601, e.g. 2026-11-30T06:00:00Z) pins it."""
    pinned = os.environ.get("FLOWCTL_NOW")
    if pinned:
        moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return datetime.now(timezone.utc)
