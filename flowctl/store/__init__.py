"""Stores: the only package that speaks SQL or touches the JSON file. `open_store` picks the backend."""

from __future__ import annotations

from urllib.parse import urlparse

from flowctl import messages as M
from flowctl.errors import UsageError
from flowctl.store.base import Store

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def open_store(location: str) -> Store:
    """A store by path (`.db`/`.sqlite` → SQLite, `.json` → JSON file) or URL (sqlite:///p, json:///p)."""
    scheme, path = "", location
    if "://" in location:
        url = urlparse(location)
        scheme, path = url.scheme, url.path
    lowered = path.lower()
    if scheme == "sqlite" or (not scheme and lowered.endswith(SQLITE_SUFFIXES)):
        from flowctl.store.sqlite import SqliteStore

        return SqliteStore(path)
    if scheme == "json" or (not scheme and lowered.endswith(".json")):
        from flowctl.store.jsonfile import JsonFileStore

        return JsonFileStore(path)
    raise UsageError(M.text("store_unknown_kind", store=location))
