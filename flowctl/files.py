"""Reading a file the user named, bounded while reading: a device like /dev/zero or a runaway file stops at the
limit instead of filling memory."""

from __future__ import annotations

from pathlib import Path


class TooLarge(Exception):
    """The file holds more than the limit allowed; nothing past the limit was read."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


def read_limited(path: str | Path, limit: int) -> bytes:
    """The file's bytes, or TooLarge once more than `limit` bytes have been read (OSError as open raises it)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit)
    return data
