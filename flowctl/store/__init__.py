"""Stores: the only package that speaks SQL or touches the JSON file. `open_store` picks the backend."""

from __future__ import annotations

import os
import stat

from flowctl import messages as M
from flowctl.errors import StoreError, UsageError
from flowctl.store.base import Store

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
DEFAULT_BUSY_SECONDS = 5.0
MAX_BUSY_SECONDS = 86400.0  # a day: more is a typo (or inf), and SQLite counts the wait in int milliseconds


def busy_timeout() -> float:
    """How long a command waits for another one holding the store: FLOWCTL_BUSY_TIMEOUT seconds, default 5.

    A value that is not a number of seconds from 0 to a day is a usage error, not silently replaced: a typo
    would otherwise turn "wait a minute" into "wait 5 seconds" (or inf into an overflow)."""
    raw = os.environ.get("FLOWCTL_BUSY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_BUSY_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= MAX_BUSY_SECONDS:  # nan fails every comparison
        raise UsageError(M.text("busy_timeout_invalid", value=raw, limit=int(MAX_BUSY_SECONDS)))
    return seconds


SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server(location: str) -> bool:
    """A PostgreSQL store: identity and time come from the server, not from this machine."""
    return location.lower().startswith(SERVER_SCHEMES)


def open_store(location: str, create: bool = False, read_only: bool = False) -> Store:
    """A store by path (`.db`/`.sqlite` → SQLite, `.json` → JSON file) or URL (sqlite:///abs, sqlite://rel.db,
    postgresql://… for a team's server: a libpq URL, with PG* variables, ~/.pgpass and services as psql has them).

    A missing store is created only when `create` is set (init, demo, restoring an export): a typo in
    --store must not leave a new empty store behind and answer "not found". A `read_only` store is opened
    for reading alone: it never migrates, locks for writing or creates a file (read commands use it).
    """
    if is_server(location):
        from flowctl.store.postgres import PostgresStore

        return PostgresStore(location, busy_timeout(), create=create, read_only=read_only)
    scheme, path = "", location
    if "://" in location:
        from urllib.parse import urlparse

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
    seconds = busy_timeout()
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if not create or read_only:
            raise StoreError(M.text("store_missing", store=path)) from None
    except OSError as error:
        raise StoreError(M.text("store_damaged", store=path, reason=error.strerror or str(error))) from None
    else:
        if not stat.S_ISREG(info.st_mode):  # a device, folder or pipe: reading it may never end, and
            raise StoreError(M.text("store_not_file", store=path))  # SQLite would create a journal beside it
    return backend(path, seconds, create=create, read_only=read_only)
