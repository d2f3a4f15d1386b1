"""A problem found in a configuration file, and the loaded document whose positions problems point at.

Kept free of yaml so that a cached document is rebuilt without importing the YAML parser.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    path: str
    line: int  # 1-based
    column: int  # 1-based
    severity: Severity
    rule: str
    message: str
    yaml_path: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


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


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) plus the position of every value and key."""

    path: str
    data: object
    positions: dict = field(default_factory=dict)  # tuple → (line, col) of the value
    key_positions: dict = field(default_factory=dict)  # tuple → (line, col) of its key

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
