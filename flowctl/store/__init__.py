"""Stores: the only package that speaks SQL or touches the JSON file. `open_store` picks the backend."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from flowctl import messages as M
from flowctl.errors import StoreError, UsageError
from flowctl.store.base import Store

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT_BUSY_SECONDS = 5.0


def busy_timeout() -> float:
    """How long a command waits for another one holding the store: FLOWCTL_BUSY_TIMEOUT seconds, default 5."""
    import os

    try:
        return max(0.0, float(os.environ.get("FLOWCTL_BUSY_TIMEOUT", DEFAULT_BUSY_SECONDS)))
    except ValueError:
        return DEFAULT_BUSY_SECONDS


def open_store(location: str, create: bool = False) -> Store:
    """A store by path (`.db`/`.sqlite` → SQLite, `.json` → JSON file) or URL (sqlite:///abs, sqlite://rel.db).

    A missing store is created only when `create` is set (init, demo, restoring an export): a typo in
    --store must not leave a new empty store behind and answer "not found".
    """
    scheme, path = "", location
    if "://" in location:
        url = urlparse(location)
        scheme, path = url.scheme, url.netloc + url.path  # sqlite://rel.db has its path in the "host" part
    lowered = path.lower()
    if scheme == "sqlite" or (not scheme and lowered.endswith(SQLITE_SUFFIXES)):
        from flowctl.store.sqlite import SqliteStore as backend
    elif scheme == "json" or (not scheme and lowered.endswith(".json")):
        from flowctl.store.jsonfile import JsonFileStore as backend
    else:
        raise UsageError(M.text("store_unknown_kind", store=location))
    if not path:
        raise UsageError(M.text("store_unknown_kind", store=location))
    if not create and not Path(path).exists():
        raise StoreError(M.text("store_missing", store=path))
    return backend(path, busy_timeout())
