"""Mutants of the stores' transactions, which mutmut itself never mutates.

mutmut 3 skips every decorated function (its trampoline cannot wrap one), and the heart of each store's
transaction is a `@contextmanager`: `SqliteStore.transaction` (BEGIN IMMEDIATE, COMMIT, ROLLBACK, the
nesting depth, the application-id mark) and `JsonFileStore.transaction` and `JsonFileStore._lock` (the
exclusive lock, re-reading under it, writing the new file, forgetting a failed change). This script gives
them the same treatment with mutmut's own mutation operators:

1. the decorators of those functions are taken off, mutmut's `create_mutations` lists the mutations
   inside them, and each mutant is the whole module with one mutation applied and the decorators back;
2. each mutant runs in its own copy of the repository (under mutants/decorated/) with the same pytest
   arguments as mutmut ([tool.mutmut] pytest_add_cli_args), on the tests that open a store of its kind
   (mutmut's own record of the tests that reach `SqliteStore._open` or `JsonFileStore._load`), the
   quickest first, stopping at the first failure;
3. the verdicts go to mutants/decorated.json with mutmut's exit codes (0 survived, 1 killed, 36 timeout),
   named `<module>.xǁ<Class>ǁ<function>__decorated_<n>`, where score.py counts them with their module.

    python tests/mutation/decorated.py run [--max-children N] [NAME ...]
    python tests/mutation/decorated.py show NAME
    python tests/mutation/decorated.py list

Run it after `mutmut run` (run.sh does): it reads the test mapping from mutants/mutmut-stats.json.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parent.parent.parent
WORK = ROOT / "mutants" / "decorated"
RESULTS = ROOT / "mutants" / "decorated.json"
STATS = ROOT / "mutants" / "mutmut-stats.json"

# file → (class, functions, the function whose tests are the tests that open this kind of store)
TARGETS = {
    "flowctl/store/sqlite.py": ("SqliteStore", ("transaction",), "_open"),
    "flowctl/store/jsonfile.py": ("JsonFileStore", ("transaction", "_lock"), "_load"),
}
TIMEOUT_FACTOR, TIMEOUT_CONSTANT = 5, 60  # seconds: five times the clean run of the same tests, plus a minute
SURVIVED, KILLED, TIMEOUT, NO_TESTS = 0, 1, 36, 33


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


class _Decorators(cst.CSTTransformer):
    """Takes the decorators off the target methods (`strip`), or puts the saved ones back."""

    def __init__(self, cls: str, functions: tuple[str, ...], saved: dict | None = None):
        self.cls, self.functions, self.saved = cls, functions, saved
        self.taken: dict = {}
        self._in_class = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._in_class = node.name.value == self.cls
        return self._in_class

    def leave_ClassDef(self, original, updated):
        self._in_class = False
        return updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        name = updated.name.value
        if not self._in_class or name not in self.functions:
            return updated
        if self.saved is None:
            self.taken[name] = updated.decorators
            return updated.with_changes(decorators=())
        return updated.with_changes(decorators=self.saved[name])


def generate() -> dict[str, tuple[str, str]]:
    """{mutant name: (source file, mutated source)} for every mutation mutmut makes inside the targets."""
    from mutmut.mutation.file_mutation import create_mutations

    mutants: dict[str, tuple[str, str]] = {}
    for path, (cls, functions, _) in TARGETS.items():
        source = (ROOT / path).read_text("utf-8")
        strip = _Decorators(cls, functions)
        bare = cst.parse_module(source).visit(strip)
        module, mutations, _, _ = create_mutations(path, bare.code)
        counters = dict.fromkeys(functions, 0)
        for mutation in mutations:
            owner = mutation.contained_by_top_level_function
            if not isinstance(owner, cst.FunctionDef) or owner.name.value not in functions:
                continue
            mutated = module.deep_replace(mutation.original_node, mutation.mutated_node)
            code = mutated.visit(_Decorators(cls, functions, saved=strip.taken)).code
            if code == source:
                continue
            counters[owner.name.value] += 1
            name = f"{_module_name(path)}.x\u01c1{cls}\u01c1{owner.name.value}__decorated_{counters[owner.name.value]}"
            mutants[name] = (path, code)
    return mutants


def diff(path: str, code: str) -> str:
    source = (ROOT / path).read_text("utf-8")
    return "".join(difflib.unified_diff(source.splitlines(True), code.splitlines(True), f"a/{path}", f"b/{path}", n=2))


def _tests_for(path: str) -> list[str]:
    """The tests that open this kind of store, the quickest first: the run stops at the first failure."""
    cls, _, proxy = TARGETS[path]
    stats = json.loads(STATS.read_text("utf-8"))
    tests = stats["tests_by_mangled_function_name"].get(f"{_module_name(path)}.x\u01c1{cls}\u01c1{proxy}", ())
    return sorted(tests, key=lambda test: (stats["duration_by_test"].get(test, float("inf")), test))


def _mutmut_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]


def _pytest_args() -> list[str]:
    return ["-x", "-q", *_mutmut_config().get("pytest_add_cli_args", [])]


def _copy(worker: int) -> Path:
    base = WORK / f"worker-{worker}"
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    config = _mutmut_config()  # what mutmut copies into its own mutants/ folder
    for name in (*config["source_paths"], "tests", *config.get("also_copy", ()), "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, base / name, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        elif source.exists():
            shutil.copy2(source, base / name)
    return base


def _pytest(base: Path, tests: list[str], timeout: float | None) -> tuple[int, float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", *_pytest_args(), *tests], cwd=base, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return TIMEOUT, time.monotonic() - started
    return done.returncode, time.monotonic() - started


def _verdict(returncode: int) -> int:
    if returncode == 0:
        return SURVIVED
    if returncode == 5:
        return NO_TESTS
    return returncode if returncode == TIMEOUT else KILLED


def run(names: list[str], max_children: int) -> int:
    mutants = generate()
    chosen = [n for n in mutants if not names or n in names]
    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() and names else {}
    bases = [_copy(i) for i in range(max_children)]
    clean: dict[str, float] = {}
    for path in TARGETS:  # the unmutated copy passes these tests, and a broken transaction fails them
        tests = _tests_for(path)
        code, seconds = _pytest(bases[0], tests, None)
        if code != 0:
            print(f"clean run of the tests for {path} failed (exit {code}): fix that first", file=sys.stderr)
            return 1
        clean[path] = seconds
        broken = (ROOT / path).read_text("utf-8").replace(
            "    @contextmanager\n    def transaction(self):\n",
            "    @contextmanager\n    def transaction(self):\n        raise RuntimeError('forced failure')\n", 1)
        target = bases[0] / path
        target.write_text(broken, "utf-8")
        code, _ = _pytest(bases[0], tests, None)
        shutil.copy2(ROOT / path, target)
        if code == 0:
            print(f"a forced failure in {path} was not noticed: the copy is not what the tests import",
                  file=sys.stderr)
            return 1
    free = list(bases)

    def one(name: str) -> tuple[str, int]:
        base = free.pop()
        path, code = mutants[name]
        target = base / path
        try:
            target.write_text(code, "utf-8")
            returncode, _ = _pytest(base, _tests_for(path), clean[path] * TIMEOUT_FACTOR + TIMEOUT_CONSTANT)
        finally:
            shutil.copy2(ROOT / path, target)
            free.append(base)
        return name, _verdict(returncode)

    with ThreadPoolExecutor(max_children) as pool:
        for name, verdict in pool.map(one, chosen):
            results[name] = verdict
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True), "utf-8")
            print(f"{'killed' if verdict in (KILLED, TIMEOUT) else 'SURVIVED'}\t{name}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--max-children", type=int, default=2)
    run_parser.add_argument("names", nargs="*")
    show_parser = sub.add_parser("show")
    show_parser.add_argument("name")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # mutmut reads its configuration from ./pyproject.toml
    if args.command == "run":
        return run(args.names, args.max_children)
    mutants = generate()
    if args.command == "list":
        print("\n".join(mutants))
        return 0
    path, code = mutants[args.name]
    print(diff(path, code))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
