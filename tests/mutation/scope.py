"""Which mutants the mutation run covers: the rules' core (issue 18).

mutmut's `only_mutate` (pyproject.toml) picks whole files; within the two store modules only the
transaction machinery is in scope: opening and recognising a store, migrating it, locking, committing
or rolling back, writing the file, and turning a failure into the right error. Their queries and the
JSON file's row layout are out of scope (the store contract tests cover those).

`python tests/mutation/scope.py patterns` prints the mutant-name patterns run.sh hands to `mutmut run`;
score.py counts only the mutants matching them.
"""

from __future__ import annotations

import sys
from fnmatch import fnmatchcase

# Whole modules: every mutant of these files is in scope.
WHOLE_MODULES = (
    "flowctl.pipeline.machine",
    "flowctl.services.deals",
    "flowctl.services.tasks",
    "flowctl.services.contacts",
    "flowctl.services.transfer",
    "flowctl.services.restore",
    "flowctl.services.migrate",
    "flowctl.services.given",
    "flowctl.services.session",
    "flowctl.fields",
    "flowctl.text",
)

# The stores: the transaction machinery only, by function. `transaction()` and the JSON store's `_lock()`
# are decorated (@contextmanager), which mutmut never mutates: tests/mutation/decorated.py mutates them.
STORE_FUNCTIONS = {
    "flowctl.store.sqlite": (
        "_statements",  # a migration split into statements (executescript would commit)
        "SqliteStore.__init__", "SqliteStore._open", "SqliteStore._check_header", "SqliteStore._recognise",
        "SqliteStore._connect_read_only", "SqliteStore._shared_lock", "SqliteStore._wait",
        "SqliteStore._error", "SqliteStore._migrate", "SqliteStore.close", "SqliteStore._run",
        "SqliteStore._rows",
    ),
    "flowctl.store.jsonfile": (
        "JsonFileStore.__init__", "JsonFileStore._file_stamp", "JsonFileStore._load", "JsonFileStore._parse_whole",
        "JsonFileStore._read", "_read_all", "JsonFileStore._io_error", "JsonFileStore._write",
        "JsonFileStore._replace_file", "JsonFileStore._remove_stale_temp_files", "JsonFileStore._mode",
        "JsonFileStore.close",
    ),
}


def _mangled(module: str, function: str) -> str:
    """mutmut's name for a function: `module.x_name`, or `module.xǁClassǁname` for a method."""
    if "." in function:
        cls, name = function.split(".")
        return f"{module}.x\u01c1{cls}\u01c1{name}"
    return f"{module}.x_{function}"


def patterns() -> list[str]:
    """fnmatch patterns over mutant names (`<mangled function>__mutmut_<n>`)."""
    found = [f"{module}.*" for module in WHOLE_MODULES]
    for module, functions in STORE_FUNCTIONS.items():
        found += [_mangled(module, f) + "__mutmut_*" for f in functions]
    return found


def module_of(mutant: str) -> str:
    return mutant.split(".x_")[0].split(".x\u01c1")[0]


def in_scope(mutant: str) -> bool:
    return any(fnmatchcase(mutant, p) for p in patterns())


if __name__ == "__main__":
    if sys.argv[1:] == ["patterns"]:
        print("\n".join(patterns()))
    else:
        sys.exit("usage: scope.py patterns")
