"""Start-up of the everyday commands (issue 16): `deal show`, `agenda`, `task done` and `deal advance`, run as a
manager runs them (a fresh process, the compiled pipeline cached), import nothing they have no use for."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from test_deals import QUALIFIED, call_done, new_deal, walk_to

# flowctl as a fresh process; after the command it lists every module the process imported, on stderr.
PROBE = """\
import sys
sys.argv = ["flowctl", *sys.argv[1:]]
from flowctl.cli.app import main
try:
    main()
    code = 0
except SystemExit as end:
    code = end.code or 0
print("exit", code, "imported", *sorted(sys.modules), file=sys.stderr)
"""

# What an everyday command on a local store has no use for, each a few milliseconds (or tens) of its start-up.
UNUSED = (
    "yaml", "jsonschema",  # the pipeline and the workspace file come from the compile cache
    "psycopg",  # a server store's driver
    "graphviz", "tabulate", "rich", "pydantic",  # diagrams; tables are drawn by render.py
    "hashlib",  # loads OpenSSL: digests are taken with flowctl.digest
    "csv",  # --format csv only
    "importlib.resources", "importlib.metadata", "email", "http", "urllib.request",
    "flowctl.pipeline.loader", "flowctl.pipeline.schema", "flowctl.pipeline.lint",  # checking a file, cached
    "flowctl.services.transfer", "flowctl.services.restore", "flowctl.services.csv_source",  # data in and out
    "flowctl.services.rules", "flowctl.queries.reports", "flowctl.render_html", "flowctl.store.postgres",
)
MOVES = ("transitions", "flowctl.pipeline.machine")  # the state machine: for a move only
STORE = {"sqlite": "flowctl.store.sqlite", "json": "flowctl.store.jsonfile"}


def imported_by(ws, *args: str) -> set[str]:
    """The modules `flowctl ARGS` imported, run as ivan in a fresh process; the command must succeed."""
    identity, env = ws.child("ivan")
    env = {**env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *identity, *args], cwd=ws.root, env=env,
                          capture_output=True, text=True, timeout=60)
    words = done.stderr.strip().splitlines()[-1].split()
    assert words[:3] == ["exit", "0", "imported"], done.stderr
    return set(words[3:])


def within(modules: set[str], packages) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


@pytest.fixture
def day(local_ws):
    """A workspace with a new deal and its open task, and another deal ready to be moved to «горячие»."""
    shown = new_deal(local_ws)
    moved = local_ws.json("deal", "create", "--pipeline", "krovlya", "--contact", "1")["id"]
    walk_to(local_ws, moved, "ОП ВЗЯЛ В РАБОТУ")
    call_done(local_ws, moved)
    task = local_ws.json("task", "list", "--deal", shown)[0]["id"]
    return local_ws, {
        "deal show": ["deal", "show", str(shown)],
        "agenda": ["agenda", "--user", "ivan"],
        "task done": ["task", "done", str(task), "--result", "Поговорили, клиент ждёт КП", "--contact", "call"],
        "deal advance": ["deal", "advance", str(moved), "горячие", *QUALIFIED],
    }


@pytest.mark.parametrize("command", ["deal show", "agenda", "task done", "deal advance"])
def test_an_everyday_command_imports_only_what_it_uses(day, command):
    ws, commands = day
    modules = imported_by(ws, *commands[command])
    assert within(modules, STORE.values()) == [STORE[ws.kind]]  # the listing sees what a command does use
    assert within(modules, UNUSED + (() if command == "deal advance" else MOVES)) == []
    assert ("transitions" in modules) == (command == "deal advance")
