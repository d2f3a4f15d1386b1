"""Reading a file the user named, bounded while reading: a device like /dev/zero or a runaway file stops at the
limit instead of filling memory."""

from __future__ import annotations

from pathlib import Path


class TooLarge(Exception):
    """The file holds more than the limit allowed; nothing past the limit was read."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


CHUNK = 1 << 20


def read_limited(path: str | Path, limit: int) -> bytes:
    """The file's bytes, or TooLarge once more than `limit` bytes have been read (OSError as open raises it).

    Read in chunks: one read(limit) would reserve the whole limit in memory up front, whatever the file's size."""
    chunks, size = [], 0
    with open(path, "rb") as handle:
        while chunk := handle.read(min(CHUNK, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
    return b"".join(chunks)
