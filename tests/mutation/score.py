"""The mutation score of each core module, from the results of the last run (tests/mutation/run.sh).

Reads mutmut's result files (`mutants/**/*.py.meta`: an exit code per mutant) and, for the functions
mutmut cannot mutate, tests/mutation/decorated.py's `mutants/decorated.json`; counts only the mutants
in scope (tests/mutation/scope.py); and prints per module:

    killed      a test failed (mutmut's "killed"), timed out ("timeout": the mutant made a test hang or
                loop, which a user would notice too), or the type checker refused it;
    survived    every test passed ("survived"), or no test reaches the mutated function ("no tests"),
                or mutmut could not tell ("suspicious", "segfault", "skipped", "interrupted"), and the
                mutant is not listed in tests/mutation/equivalent.md;
    equivalent  survived, and listed in tests/mutation/equivalent.md with the reason it is equivalent or
                harmless (a listed mutant that was killed is not equivalent: reported as an error);
    total       every mutant in scope: killed + survived + equivalent (+ any not run);
    score       killed ÷ (total − equivalent).

A mutant in scope that was never run ("not checked") makes the table incomplete: it is counted and the
script exits 1, so a run cut short is never reported as a score.

    python tests/mutation/score.py              # the table
    python tests/mutation/score.py --survivors  # the survivors not listed as equivalent, one per line
    python tests/mutation/score.py --only FILE  # the table of the mutants named in FILE (a sample.py sample)
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import scope  # noqa: E402

EQUIVALENT_FILE = HERE / "equivalent.md"
DECORATED_RESULTS = ROOT / "mutants" / "decorated.json"
NAME = re.compile(r"`(flowctl\.[\w.\u01c1]+__(?:mutmut|decorated)_\d+)`")

KILLED = {"killed", "timeout", "caught by type check"}
NOT_RUN = {"not checked"}


def statuses() -> dict[str, str]:
    """{mutant name: mutmut's status} for every mutant of the last run, decorated ones included."""
    from mutmut.stats import status_by_exit_code

    found: dict[str, str] = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            found[name] = status_by_exit_code[code]
    if DECORATED_RESULTS.exists():
        for name, code in json.loads(DECORATED_RESULTS.read_text("utf-8")).items():
            found[name] = status_by_exit_code[code]
    return found


def equivalent_names() -> dict[str, str]:
    """{mutant name: category} from equivalent.md's table rows: | `name` | category | diff | reason |."""
    listed: dict[str, str] = {}
    if not EQUIVALENT_FILE.exists():
        return listed
    for line in EQUIVALENT_FILE.read_text("utf-8").splitlines():
        match = NAME.search(line)
        if match and line.lstrip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            listed[match.group(1)] = cells[1] if len(cells) > 1 else ""
    return listed


def table(found: dict[str, str], listed: dict[str, str]):
    rows: dict[str, Counter] = {}
    errors = []
    for name, status in sorted(found.items()):
        if not (scope.in_scope(name) or "__decorated_" in name):
            continue
        row = rows.setdefault(scope.module_of(name), Counter())
        row["total"] += 1
        if status in NOT_RUN:
            row["not run"] += 1
        elif status in KILLED:
            row["killed"] += 1
            if name in listed:
                errors.append(f"{name} is listed as equivalent but was killed")
        elif name in listed:
            row["equivalent"] += 1
        else:
            row["survived"] += 1
    unknown = sorted(n for n in listed if n not in found)
    errors += [f"{n} is listed as equivalent but is no mutant of this run" for n in unknown]
    return rows, errors


def main(argv: list[str]) -> int:
    found, listed = statuses(), equivalent_names()
    if argv[:1] == ["--only"]:
        wanted = set(Path(argv[1]).read_text("utf-8").split())
        found = {name: status for name, status in found.items() if name in wanted}
        listed = {name: category for name, category in listed.items() if name in wanted}
        argv = argv[2:]
    if not found:
        print("no results: run tests/mutation/run.sh first", file=sys.stderr)
        return 1
    if argv == ["--survivors"]:
        for name, status in sorted(found.items()):
            if (scope.in_scope(name) or "__decorated_" in name) and status not in KILLED | NOT_RUN \
                    and name not in listed:
                print(f"{name}\t{status}")
        return 0
    rows, errors = table(found, listed)
    header = ("module", "killed", "survived", "equivalent", "total", "score")
    lines = []
    totals = Counter()
    for module in sorted(rows):
        row = rows[module]
        totals.update(row)
        lines.append(_line(module, row))
    lines.append(_line("all", totals))
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    for cells in [header, *lines]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))))
    categories = Counter(listed[n] for n in listed if found.get(n) not in KILLED | NOT_RUN and n in found)
    if categories:
        print("equivalent or harmless, by category: "
              + ", ".join(f"{c or '?'} {n}" for c, n in sorted(categories.items())))
    if totals["not run"]:
        print(f"{totals['not run']} mutants in scope were not run: the run is incomplete", file=sys.stderr)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if totals["not run"] or errors else 0


def _line(module: str, row: Counter) -> tuple:
    judged = row["total"] - row["equivalent"] - row["not run"]
    score = f"{row['killed'] / judged:.1%}" if judged else "—"
    return (module, row["killed"], row["survived"], row["equivalent"], row["total"], score)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
