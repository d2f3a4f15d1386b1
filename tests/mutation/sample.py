"""A seeded sample of the mutants in scope, the same share of each module: for a score of an older commit (the
"before" of issue 18), where a whole run would take hours.

    mutmut run "none*"                                  # generates the mutants and the test map, runs none
    mutmut run --max-children 2 $(python tests/mutation/sample.py 0.2)
    python tests/mutation/score.py                      # the score of the mutants that were run

score.py reports the rest as "not run" and exits 1: the table is a sample's, and says so.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scope  # noqa: E402

SEED = 18  # the number: the same sample every time


def names() -> list[str]:
    found = []
    for meta in sorted((HERE.parent.parent / "mutants").rglob("*.py.meta")):
        found += json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return sorted(n for n in found if scope.in_scope(n))


def sample(share: float) -> list[str]:
    by_module: dict[str, list[str]] = {}
    for name in names():
        by_module.setdefault(scope.module_of(name), []).append(name)
    chosen = []
    for module in sorted(by_module):
        group = by_module[module]
        chosen += random.Random(f"{SEED}:{module}").sample(group, max(1, round(len(group) * share)))
    return sorted(chosen)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sample.py SHARE   (0 < SHARE <= 1)")
    print("\n".join(sample(float(sys.argv[1]))))
