"""A problem found in a configuration file, with the place it points at."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
