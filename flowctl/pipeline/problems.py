"""A problem found in a configuration file, and the loaded document whose positions problems point at.

Kept free of yaml so that a cached document is rebuilt without importing the YAML parser; records, not
dataclasses, since every command rebuilds its workspace's document (records.py).
"""

from __future__ import annotations

from typing import Literal

from flowctl.records import FrozenRecord, Record

Severity = Literal["error", "warning"]


class Problem(FrozenRecord):
    __slots__ = ("path", "line", "column", "severity", "rule", "message", "yaml_path")

    def __init__(self, path: str, line: int, column: int, severity: Severity, rule: str, message: str,
                 yaml_path: str = ""):
        self._set(path, line, column, severity, rule, message, yaml_path)  # line and column 1-based


class ProblemsFound(Exception):
    """Raised when a file cannot be turned into a model; carries every problem."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message if problems else "")
        self.problems = problems


def format_yaml_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Document(Record):
    """Plain data (dicts, lists, scalars) plus the position of every value and key."""

    __slots__ = ("path", "data", "positions", "key_positions")

    def __init__(self, path: str, data: object, positions: dict | None = None, key_positions: dict | None = None):
        self.path = path
        self.data = data
        self.positions = {} if positions is None else positions  # tuple → (line, col) of the value
        self.key_positions = {} if key_positions is None else key_positions  # tuple → (line, col) of its key

    def position(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """The nearest known position: the node itself, else its closest ancestor."""
        table = self.key_positions if key else self.positions
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            if key and path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: tuple, rule: str, message: str,
                severity: str = "error", key: bool = False) -> Problem:
        line, col = self.position(path, key)
        return Problem(self.path, line, col, severity, rule, message, format_yaml_path(path))
