"""Reading another CRM's CSV file: its header and its rows, nothing else (mapping and writing are transfer.py's).

Quoting is standard CSV in the whole file, never guessed: a cell may be quoted with ", a " inside a quoted cell
is doubled, and ' is an ordinary character. Only two things are detected:
- the delimiter, from the header line: whichever of , ; and tab splits it into the most cells (on a tie, tab
  before ; before ,: the rarer a character is in ordinary text, the more its presence says);
- the encoding: UTF-8, with or without BOM, unless the first line that is not plain ASCII is not UTF-8; then
  cp1251, as Russian spreadsheets save. A later line that is not in the file's encoding refuses the file.
A quote that breaks the rules (never closed, or text right after a closing quote) would swallow or shift the rows
after it, so it refuses the whole file with its line, as a file too large, a line too long or a cell over csv's
field limit do. The file is read line by line within those limits, so /dev/zero or a runaway file stops with a
message instead of filling memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import UsageError

MAX_BYTES = 512 * 2**20  # a 100,000-deal export is ~20 MB; more is a mistake or not a CSV file
MAX_LINE_BYTES = 16 * 2**20  # room for a header of a million columns
DELIMITERS = ("\t", ";", ",")  # in order of preference on a tie
_BOM = b"\xef\xbb\xbf"


@contextmanager
def read_csv(path: Path, progress: Callable[[int], None] | None = None
             ) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """The header's cells, stripped, and (line number, cells) for each row that is not blank, read as they are
    needed while the file is open; a row is named by the line it starts on. `progress` hears the bytes read."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise UsageError(f"{path}: {M.text('file_unreadable', reason=error.strerror or error)}")
    with handle:
        lines = _lines(handle, path, progress)
        first = next(lines, "")
        reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first), strict=True)
        header = [c.strip() for c in _next_row(reader, path, 1) or []]
        if not header:
            raise UsageError(M.text("import_empty", path=path))

        def rows():
            while True:
                start = reader.line_num + 1
                cells = _next_row(reader, path, start)
                if cells is None:
                    return
                if any(c.strip() for c in cells):
                    yield start, cells

        yield header, rows()


def _lines(handle, path: Path, progress) -> Iterator[str]:
    """The file's lines, decoded, each with its line break (a quoted cell may hold one)."""
    # latin-1 maps bytes to characters one to one: the wrapper splits lines at \n, \r\n or \r and bounds each
    # line; no byte of a UTF-8 or cp1251 character is \r or \n, so each line is then decoded on its own.
    raw = io.TextIOWrapper(handle, encoding="latin-1", newline="")
    encoding, read, number = None, 0, 0
    while line := raw.readline(MAX_LINE_BYTES + 1):
        number += 1
        read += len(line)
        if len(line) > MAX_LINE_BYTES:
            raise UsageError(M.text("csv_line_too_long", path=path, line=number, limit=f"{MAX_LINE_BYTES:,}"))
        if read > MAX_BYTES:
            raise UsageError(M.text("csv_too_large", path=path, limit=f"{MAX_BYTES:,}"))
        if progress:
            progress(read)
        if line.isascii():
            yield line
            continue
        data = line.encode("latin-1")
        if number == 1 and data.startswith(_BOM):
            data, encoding = data[len(_BOM):], "utf-8"
        if encoding is None:
            try:
                data.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "cp1251"
        try:
            yield data.decode(encoding)
        except UnicodeDecodeError as error:
            raise UsageError(M.text("csv_encoding", path=path, line=number, byte=data[error.start],
                                    encoding="UTF-8" if encoding == "utf-8" else encoding))


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _delimiter(header_line: str) -> str:
    def cells(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:  # a quoted header cell that goes on to the next line: this line says less
            return 0

    return max(DELIMITERS, key=cells)  # max keeps the first of equals: the preference order


def _next_row(reader, path: Path, start: int) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as error:
        if str(error).startswith("field larger than field limit"):
            raise UsageError(M.text("csv_cell_too_long", path=path, line=start,
                                    limit=f"{csv.field_size_limit():,}")) from None
        raise UsageError(M.text("csv_quoting", path=path, line=start, reason=error)) from None
