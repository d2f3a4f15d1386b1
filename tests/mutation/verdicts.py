"""The verdicts of mutation runs, kept in the repository so that a later run continues where one stopped.

A whole run takes longer than a working session, and mutmut keeps its verdicts in mutants/, which a fresh
checkout does not have. tests/mutation/verdicts.json keeps them: per mutated function, mutmut's hash of the
function's code and the numbers of its mutants by verdict; per decorated target (decorated.py), the hash of
its source file. `run.sh --resume` restores every verdict whose code is unchanged and runs the rest.

    python tests/mutation/verdicts.py save      # mutants/ → verdicts.json (what has a verdict; any time)
    python tests/mutation/verdicts.py restore   # verdicts.json → mutants/ (after mutmut generated the mutants)
    python tests/mutation/verdicts.py pending   # the mutants in scope still to run, one per line

Restored: a verdict whose function (or decorated file) is byte for byte the one it was given for, by the same
mutmut version. Still to run: a mutant with no such verdict, and a survivor not listed in equivalent.md (a test
added since may kill it). A killed verdict is kept even though the tests changed since: tests are added to
kill mutants, not taken away; `run.sh` without `--resume` judges every mutant again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import decorated  # noqa: E402
import scope  # noqa: E402
import score  # noqa: E402

VERDICTS = HERE / "verdicts.json"
MUTANTS = ROOT / "mutants"
SEPARATORS = ("__mutmut_", "__decorated_")


def _mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def _metas() -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(MUTANTS.rglob("*.py.meta")):
        for _ in range(3):  # mutmut rewrites a meta file after each verdict: a read can meet half a file
            try:
                found.append((path, json.loads(path.read_text("utf-8"))))
                break
            except ValueError:
                continue
    return found


def _split(name: str) -> tuple[str, str, int]:
    """(function, separator, number) of a mutant name."""
    for separator in SEPARATORS:
        if separator in name:
            function, number = name.rsplit(separator, 1)
            return function, separator, int(number)
    raise ValueError(name)


def _module_prefix(meta_path: Path) -> str:
    return str(meta_path.relative_to(MUTANTS)).removesuffix(".py.meta").replace("/", ".")


def _file_hash(path: str) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()[:16]


def _decorated_hashes() -> dict[str, str]:
    """{decorated function prefix: hash of its source file}."""
    hashes = {}
    for path, (cls, functions, _) in decorated.TARGETS.items():
        for function in functions:
            hashes[f"{decorated._module_name(path)}.x\u01c1{cls}\u01c1{function}"] = _file_hash(path)
    return hashes


def _current_hashes(metas) -> dict[str, str]:
    """{function: hash of its code now}, for mutmut's functions and the decorated ones."""
    hashes = _decorated_hashes()
    for path, meta in metas:
        prefix = _module_prefix(path)
        for function, digest in meta.get("hash_by_function_name", {}).items():
            hashes[f"{prefix}.{function}"] = digest
    return hashes


def save() -> int:
    metas = _metas()
    found = score.statuses()
    hashes = _current_hashes(metas)
    functions: dict[str, dict] = {}
    for name, status in sorted(found.items()):
        if status in score.NOT_RUN or not (scope.in_scope(name) or "__decorated_" in name):
            continue
        function, _, number = _split(name)
        entry = functions.setdefault(function, {"hash": hashes[function]})
        entry.setdefault(status, []).append(number)
    kept = json.loads(VERDICTS.read_text("utf-8"))["functions"] if VERDICTS.exists() else {}
    for function, entry in kept.items():  # a verdict of this code this run did not reach stays
        if function not in functions and hashes.get(function) == entry["hash"]:
            functions[function] = entry
    for entry in functions.values():
        for status in entry.keys() - {"hash"}:
            entry[status] = sorted(set(entry[status]))
    lines = [f"  {json.dumps(f, ensure_ascii=False)}: {json.dumps(functions[f], sort_keys=True)}"
             for f in sorted(functions)]
    VERDICTS.write_text('{"mutmut": %s, "functions": {\n%s\n}}\n'
                        % (json.dumps(_mutmut_version()), ",\n".join(lines)), "utf-8")
    count = sum(len(v) for e in functions.values() for k, v in e.items() if k != "hash")
    print(f"{count} verdicts of {len(functions)} functions in {VERDICTS.relative_to(ROOT)}")
    return 0


def _kept() -> dict[str, dict]:
    """The saved verdicts that hold for the code as it is: {function: entry}."""
    if not VERDICTS.exists():
        return {}
    saved = json.loads(VERDICTS.read_text("utf-8"))
    if saved["mutmut"] != _mutmut_version():
        print(f"verdicts.json is mutmut {saved['mutmut']}'s, this is {_mutmut_version()}: every mutant runs",
              file=sys.stderr)
        return {}
    hashes = _current_hashes(_metas())
    return {f: e for f, e in saved["functions"].items() if hashes.get(f) == e["hash"]}


def _status_of(kept: dict[str, dict], name: str) -> str | None:
    function, _, number = _split(name)
    for status, numbers in kept.get(function, {}).items():
        if status != "hash" and number in numbers:
            return status
    return None


def restore() -> int:
    from mutmut.stats import status_by_exit_code

    code_of = {}
    for code, status in status_by_exit_code.items():
        code_of.setdefault(status, code)
    kept = _kept()
    restored = 0
    for path, meta in _metas():
        for name in meta["exit_code_by_key"]:
            status = _status_of(kept, name)
            if status is not None:
                meta["exit_code_by_key"][name] = code_of[status]
                restored += 1
        path.write_text(json.dumps(meta, indent=4), "utf-8")
    results = {}
    for name in decorated.generate():
        status = _status_of(kept, name)
        if status is not None:
            results[name] = code_of[status]
            restored += 1
    decorated.RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True), "utf-8")
    print(f"{restored} verdicts restored from {VERDICTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


def pending() -> int:
    found, listed = score.statuses(), score.equivalent_names()
    names = [n for n in found if scope.in_scope(n) or "__decorated_" in n]
    names += [n for n in decorated.generate() if n not in found]
    for name in sorted(names):
        status = found.get(name, "not checked")
        if status in score.NOT_RUN or (status not in score.KILLED and name not in listed):
            print(name)
    return 0


if __name__ == "__main__":
    commands = {"save": save, "restore": restore, "pending": pending}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: verdicts.py save|restore|pending")
    sys.exit(commands[sys.argv[1]]())
