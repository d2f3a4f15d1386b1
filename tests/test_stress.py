"""Stress: many writers at once, and SIGKILL at random moments, against every store (SQLite, JSON, PostgreSQL).

1. Eight processes (w1..w8) each run a stream of mutating commands in-process at the same time;
   every command must succeed (0) or say the store is busy (6), and the store must hold exactly
   the effects of the successes, with one history event per change.
2. (a) A long `import deals` is killed at random moments: the store is never half-imported, never
   damaged, and a final re-run converges to the state of an uninterrupted import.
   (b) Short mutating commands are killed at random moments: the store stays sound and every deal,
   task and field agrees with its history.

On PostgreSQL each process connects as its member's database role (PGUSER), and the pinned clock is
the store's (`flowctl_store.clock`), since FLOWCTL_NOW does not apply to a server store.

All counts scale with FLOWCTL_STRESS_SCALE (default 1.0); FLOWCTL_STRESS_SEED changes the seed.
The figures are printed (`pytest -s`) and written to `stress.txt` in each test's tmp_path.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import Workspace

SCALE = float(os.environ.get("FLOWCTL_STRESS_SCALE") or 1.0)
SEED = int(os.environ.get("FLOWCTL_STRESS_SEED") or 20261130)
STORES = ["sqlite", "json", "postgres"]
WORKERS = 8


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, round(n * SCALE))


@pytest.fixture
def new_workspace(request, tmp_path, monkeypatch):
    """new_workspace(kind, members=()): a workspace on that store; a PostgreSQL database is dropped afterwards."""
    def make(kind: str, members=()) -> Workspace:
        server = request.getfixturevalue("pg_server") if kind == "postgres" else None
        ws = Workspace(tmp_path / "ws", kind, monkeypatch, server)
        if server:
            request.addfinalizer(lambda: server.drop(ws.store_name))
        if members:
            with open(ws.root / "flowctl.yaml", "a", encoding="utf-8") as config:
                for login in members:
                    # head as well: they write each other's deals, and F1 ownership is not what is stressed here
                    config.write(f"  - {{login: {login}, name: {login.upper()}, roles: [manager, head]}}\n")
            ws.ok("publish", user="olga")  # the team everybody works under now has them
        return ws

    return make


def member(ws: Workspace, login: str) -> tuple[list[str], dict]:
    """(the arguments that say who acts, the environment) for processes of our own acting as `login`: `--as` on
    a local store, the member's database role (PGUSER) on PostgreSQL, whose store clock is pinned meanwhile."""
    identity, env = ws.child(login)
    for name in ("FLOWCTL_USER", "FLOWCTL_STORE", "FLOWCTL_TRACEBACK"):
        env.pop(name, None)
    return identity, env


def report(tmp_path: Path, lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    with open(tmp_path / "stress.txt", "a", encoding="utf-8") as out:
        out.write(text)
    print()
    print(text, end="")


def database(url: str) -> str:
    return url.rsplit("/", 1)[1]


def server_sessions(ws: Workspace) -> list:
    """flowctl's sessions on the workspace's PostgreSQL database, with what they are doing and the locks they hold."""
    from flowctl.store.postgres import WRITE_LOCK

    return ws.server.admin.execute(
        "SELECT a.pid, a.state, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory'"
        " AND l.objid = %s AND l.granted) FROM pg_stat_activity a WHERE a.datname = %s"
        " AND a.application_name = 'flowctl'", (WRITE_LOCK, database(ws.store_name))).fetchall()


def assert_store_sound(ws: Workspace) -> None:
    """SQLite passes its integrity and foreign-key checks; the JSON store is one whole JSON document; on
    PostgreSQL (which checks keys itself) the server has ended every session of a finished or killed command
    within a few seconds, so nothing is left holding the write lock or an open transaction."""
    if ws.server:
        deadline = time.monotonic() + 5
        while (left := server_sessions(ws)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert left == [], f"sessions of finished or killed commands are still on the server: {left}"
    elif ws.store_name.endswith(".db"):
        db = sqlite3.connect(ws.store_path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            db.close()
    else:
        data = json.loads(ws.store_path.read_text("utf-8"))  # never truncated, never half of two files
        assert data.get("format") and isinstance(data.get("events"), list)


def export_all(ws: Workspace) -> dict:
    result = ws.run("export", "all", user="olga")  # a read through the real CLI: the store opens
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def children():
    """The processes a test starts; any still running when it ends (a failed assertion) are killed."""
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def wait_ready(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline().strip() if ready else "(nothing)"
    if line != "ready":
        proc.kill()
        proc.wait()
        pytest.fail(f"a worker did not start: it said {line!r}; stderr: {proc.stderr.read()}")


# ------------------------------------------------------------------------------------------------
# 1. Concurrent writers
# ------------------------------------------------------------------------------------------------

WORKER = r'''
import contextlib, io, json, random, sys

login, count, log_path, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
identity = sys.argv[5:]  # --as LOGIN on a local store; nothing on a server store, where PGUSER says who
from flowctl.cli.app import app


def run(*argv):
    argv = [*identity, *[str(a) for a in argv]]
    out, err = io.StringIO(), io.StringIO()
    raised = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = app(args=argv, prog_name="flowctl", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # whatever got past the error boundary
            raised = f"{type(exc).__name__}: {exc}"
            code = getattr(exc, "exit_code", None)
            code = "exception" if code is None else code
    return argv, (0 if code is None else code), out.getvalue(), err.getvalue(), raised


run("deal", "list", "--limit", "1", "--format", "json")  # warm up: every lazy import done before the start
rng = random.Random(seed)
print("ready", flush=True)
sys.stdin.readline()  # everyone starts together

log = open(log_path, "w", encoding="utf-8")
step, deal, task, newest = "create", None, None, 0
for k in range(count):
    record = {"k": k, "op": step, "deal": None, "task": None, "value": None, "created": None}
    if step == "create":
        argv, code, out, err, raised = run("deal", "create", "--format", "json")
        if code == 0:
            deal = record["created"] = json.loads(out)["id"]
            newest = max(newest, deal)
            step = "set"
    elif step == "set":  # half on its own new deal, half on any deal that exists (another worker's too)
        target = deal if rng.random() < 0.5 else rng.randint(1, newest)
        value = f"{login}-{k}"
        record.update(deal=target, value=value)
        argv, code, out, err, raised = run("deal", "set", target, f"site={value}", "--format", "json")
        step = "add"
    elif step == "add":
        record["deal"] = deal
        argv, code, out, err, raised = run("task", "add", deal, "--type", "call", "--due", "+2h", "--text",
                                           f"Перезвонить {login}-{k}", "--format", "json")
        if code == 0:
            task = record["created"] = json.loads(out)["id"]
            step = "done"
    elif step == "done":
        value = f"Дозвонился {login}-{k}"
        record.update(deal=deal, task=task, value=value)
        argv, code, out, err, raised = run("task", "done", task, "--result", value, "--contact", "call",
                                           "--format", "json")
        if code == 0:
            step = "advance"
    else:
        record["deal"] = deal
        argv, code, out, err, raised = run("deal", "advance", deal, "ОП ВЗЯЛ В РАБОТУ", "--format", "json")
        if code != 6:  # retried only when busy
            step = "create"
    record.update(argv=argv, code=code, stderr=err[-500:], raised=raised)
    log.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.flush()
log.close()
'''


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_concurrent_writers_lose_nothing(kind, new_workspace, tmp_path, children):
    logins = [f"w{n}" for n in range(1, WORKERS + 1)]
    ws = new_workspace(kind, logins)
    per_worker = scaled(50, minimum=5)
    started = time.monotonic()
    procs = []
    for n, login in enumerate(logins):
        log = tmp_path / f"{login}.jsonl"
        identity, env = member(ws, login)
        procs.append((login, log, subprocess.Popen(
            [sys.executable, "-c", WORKER, login, str(per_worker), str(log), str(SEED + n), *identity], cwd=ws.root,
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        children.append(procs[-1][2])
    for login, _, proc in procs:
        wait_ready(proc)
    for _, _, proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.close()
    for login, _, proc in procs:
        proc.wait(timeout=300)
        errors = proc.stderr.read()
        assert proc.returncode == 0 and not errors.strip(), f"worker {login} exited {proc.returncode}: {errors}"
    elapsed = time.monotonic() - started

    records = [dict(json.loads(line), login=login)
               for login, log, _ in procs for line in log.read_text("utf-8").splitlines()]
    assert len(records) == WORKERS * per_worker  # one line per command: none vanished
    codes = Counter(r["code"] for r in records)
    wrong = [r for r in records if r["code"] not in (0, 6) or r["raised"]]
    assert not wrong, "commands that neither succeeded nor said busy:\n" + "\n".join(
        f"{r['argv']} → exit {r['code']}: {r['stderr'] or r['raised']}" for r in wrong[:20])
    for r in records:
        if r["code"] == 6:
            assert "busy" in r["stderr"], r

    assert_store_sound(ws)
    dump = export_all(ws)
    ok = [r for r in records if r["code"] == 0]
    by_op = defaultdict(list)
    for r in ok:
        by_op[r["op"]].append(r)
    failed = [r for r in records if r["code"] != 0]
    deals = {d["id"]: d for d in dump["deals"]}
    tasks = {t["id"]: t for t in dump["tasks"]}
    events = dump["history"]
    kinds = Counter(e["kind"] for e in events)

    created = {r["created"] for r in by_op["create"]}
    added = {r["created"] for r in by_op["add"]}
    done = {r["task"] for r in by_op["done"]}
    advanced = {r["deal"] for r in by_op["advance"]}
    field_events = [e for e in events if e["kind"] == "deal.field"]
    set_event = {(e["deal_id"], e["data"]["new"]): e for e in field_events}
    lost = {  # a success whose effect is not in the store
        "deals": len(created - set(deals)),
        "sets": sum((r["deal"], r["value"]) not in set_event for r in by_op["set"]),
        "tasks": len(added - set(tasks)),
        "done": sum(tasks.get(t, {}).get("status") != "done" for t in done),
        "advances": sum(deals.get(d, {}).get("stage") != "in_work" for d in advanced),
    }
    failed_values = {r["value"] for r in failed if r["op"] == "set"}
    phantom = {  # an effect no successful command explains (a failure that wrote, or a double write)
        "deals": len(set(deals) - created),
        "sets": sum(e["data"]["new"] in failed_values for e in field_events) + len(field_events) - len(set_event),
        "tasks": len(tasks) - len(created) - len(added),
        "done": sum(t["status"] == "done" and t["id"] not in done for t in tasks.values()),
        "advances": sum(d["stage"] == "in_work" and d["id"] not in advanced for d in deals.values()),
    }
    summary = (f"concurrency[{kind}]: {len(records)} commands by {WORKERS} processes in {elapsed:.1f} s: "
               f"succeeded {len(ok)}, busy {codes[6]}, other {len(records) - len(ok) - codes[6]}, "
               f"lost {sum(lost.values())}, phantom {sum(phantom.values())}")
    report(tmp_path, [
        summary,
        "  successes by command: " + ", ".join(f"{op} {len(by_op[op])}" for op in
                                                ("create", "set", "add", "done", "advance")),
        f"  store: {len(deals)} deals, {len(tasks)} tasks, {len(events)} events: " +
        ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
        f"  lost {lost}", f"  phantom {phantom}",
    ])
    assert lost == dict.fromkeys(lost, 0)
    assert phantom == dict.fromkeys(phantom, 0)

    # the store holds exactly what the successes did
    assert set(deals) == created
    assert set(tasks) == added | {t["id"] for t in tasks.values() if t["stage"] == "new_lead"}
    assert sum(t["stage"] == "new_lead" for t in tasks.values()) == len(created)  # one on-enter call each
    assert {t["id"] for t in tasks.values() if t["status"] == "done"} == done
    for r in by_op["done"]:
        assert tasks[r["task"]]["result"] == r["value"] and tasks[r["task"]]["contact_kind"] == "call"
    assert {d["id"] for d in deals.values() if d["stage"] == "in_work"} == advanced
    assert {d["id"] for d in deals.values() if d["stage"] == "new_lead"} == created - advanced
    # leaving НОВЫЙ ЛИД cancelled exactly the on-enter call of each advanced deal
    assert {t["deal_id"] for t in tasks.values() if t["status"] == "cancelled"} == advanced
    assert all(t["stage"] == "new_lead" for t in tasks.values() if t["status"] == "cancelled")
    # each deal's site is the value of the last successful set on it (history order), or none
    last_site: dict[int, tuple[int, str]] = {}
    for e in field_events:
        assert e["data"]["field"] == "site"
        if e["deal_id"] not in last_site or e["id"] > last_site[e["deal_id"]][0]:
            last_site[e["deal_id"]] = (e["id"], e["data"]["new"])
    for deal_id, deal in deals.items():
        assert deal["fields"].get("site") == last_site.get(deal_id, (0, None))[1], deal_id
    # one worker's sets on one deal reach the history in the order it made them
    mine = defaultdict(list)
    for r in by_op["set"]:
        mine[(r["login"], r["deal"])].append((r["k"], set_event[(r["deal"], r["value"])]["id"]))
    for pairs in mine.values():
        assert [event_id for _, event_id in sorted(pairs)] == sorted(event_id for _, event_id in pairs)

    # one history event per change, and nothing else
    assert kinds["deal.created"] == len(by_op["create"])
    assert {e["deal_id"] for e in events if e["kind"] == "deal.created"} == created
    assert kinds["deal.field"] == len(by_op["set"])
    assert kinds["task.added"] == len(by_op["create"]) + len(by_op["add"])
    assert kinds["task.done"] == len(by_op["done"])
    assert {e["task_id"] for e in events if e["kind"] == "task.done"} == done
    assert kinds["deal.stage"] == len(by_op["advance"])
    assert kinds["task.cancelled"] == len(by_op["advance"])
    assert set(kinds) <= {"deal.created", "deal.field", "task.added", "task.done", "deal.stage", "task.cancelled"}
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})


# ------------------------------------------------------------------------------------------------
# 2a. SIGKILL during a long import
# ------------------------------------------------------------------------------------------------

IMPORT_ROWS = 4000
SERVER_IMPORT_ROWS = 1000  # a round trip per statement makes PostgreSQL's import ~4× slower: the same window


def write_import_csv(path: Path, rows: int) -> None:
    lines = ["ID,Этап,Бюджет,Ответственный"]
    lines += [f"AMO-{n},ОП ВЗЯЛ В РАБОТУ,{n * 1000},ivan" for n in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def empty_store(ws: Workspace) -> None:
    """The workspace's store, emptied: a new file, or a new database from the server's template."""
    if ws.server:
        ws.server.drop(ws.store_name)
        ws.server.admin.execute(f"CREATE DATABASE {database(ws.store_name)} TEMPLATE {ws.server.template}")
        member(ws, "olga")  # pins the new database's clock
        return
    from flowctl.store import open_store

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(ws.store_path) + suffix).unlink(missing_ok=True)
    open_store(str(ws.store_path), create=True).close()


def writing(ws: Workspace) -> bool:
    """Whether a command holds the store's write lock right now (SQLite's RESERVED lock, the JSON store's flock,
    PostgreSQL's advisory lock)."""
    if ws.server:
        return any(holds for _, _, holds in server_sessions(ws))
    store = ws.store_path
    if store.suffix == ".json":
        import fcntl

        with open(store.with_name(store.name + ".lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False
    db = sqlite3.connect(store, timeout=0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_sigkill_during_import_never_leaves_half(kind, new_workspace, tmp_path, children):
    from flowctl.store import open_store

    ws = new_workspace(kind)
    rows = SERVER_IMPORT_ROWS if ws.server else IMPORT_ROWS
    source = ws.root / "deals.csv"
    write_import_csv(source, rows)
    identity, env = member(ws, "olga")
    if ws.server:
        reference = ws.server.new_database()
        ws.server.pin_clock(reference, os.environ["FLOWCTL_NOW"])
    else:
        reference = "reference.db" if kind == "sqlite" else "reference.json"
        open_store(str(ws.root / reference), create=True).close()

    def importer(*store):
        return [sys.executable, "-m", "flowctl", *identity, *store, "import", "deals", "--owner", "olga", source.name,
                "--id-column", "ID"]

    started = time.monotonic()
    done = subprocess.run(importer("--store", reference), cwd=ws.root, env=env, capture_output=True,
                          text=True, timeout=120)

    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected_deals = ws.json("--store", reference, "export", "deals", user="olga")
    expected_history = ws.json("--store", reference, "export", "history", user="olga")
    assert len(expected_deals) == rows
    if ws.server:
        ws.server.drop(reference)

    rng = random.Random(SEED)
    runs = scaled(10, minimum=2)
    killed = finished = committed = resets = in_write = 0
    delays, reach = [], 0.6
    for attempt in range(runs):
        held = False
        proc = subprocess.Popen(importer(), cwd=ws.root, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        children.append(proc)
        started = time.monotonic()
        while proc.poll() is None and not writing(ws) and time.monotonic() - started < 60:
            time.sleep(0.005)  # until the import holds the store's write lock: its transaction has begun
        delay = rng.uniform(0, reach * max(duration - (time.monotonic() - started), 0.05))  # inside the writing
        delays.append(delay)
        try:
            proc.wait(timeout=delay)
            finished += 1
            reach /= 2  # the writing was shorter than the uninterrupted run said (a loaded machine then): aim earlier
        except subprocess.TimeoutExpired:
            held = writing(ws)  # the write lock held at the kill (or a closing checkpoint's)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
        errors = proc.stderr.read()
        proc.stderr.close()
        if proc.returncode != -signal.SIGKILL:
            assert proc.returncode == 0, f"run {attempt}: the import exited {proc.returncode}: {errors}"

        assert_store_sound(ws)
        listed = ws.run("deal", "list", "--format", "json", user="olga")  # any read: the store opens
        assert listed.exit_code == 0, f"run {attempt} (killed after {delay:.3f} s): {listed.stderr}"
        count = len(json.loads(listed.stdout))
        assert count in (0, rows), f"run {attempt}: a kill after {delay:.3f} s left {count} deals"
        in_write += held and count == 0  # killed inside the import's transaction, which left nothing
        if count:
            committed += 1
            history = ws.json("export", "history", user="olga")
            assert Counter(e["kind"] for e in history) == {"deal.imported": rows}
            if attempt < runs - 1:  # start again from empty, so that the next kill can hit an import again
                empty_store(ws)
                resets += 1

    leftovers = sorted(p.name for p in ws.root.iterdir() if p.name.endswith(".tmp"))
    rerun = subprocess.run(importer(), cwd=ws.root, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert_store_sound(ws)
    report(tmp_path, [
        f"import kills[{kind}]: {runs} runs of a {rows}-row import ({duration:.2f} s uninterrupted): "
        f"killed {killed} ({in_write} inside the import's transaction), finished before the kill {finished}, "
        f"store full afterwards {committed} "
        f"(reset to empty {resets}), half-imported 0; kill delays {min(delays):.2f}–{max(delays):.2f} s",
        f"  temporary files left behind by killed commands: {len(leftovers)} {leftovers[:3]}",
    ])
    assert in_write >= runs // 2, f"only {in_write} of {runs} kills landed while the import was writing"
    deals, history = ws.json("export", "deals", user="olga"), ws.json("export", "history", user="olga")
    if ws.server:  # its sequences are not transactional: a rolled-back import used up ids, so compare without them
        deals, history = without_ids(deals, history)
        expected_deals, expected_history = without_ids(expected_deals, expected_history)
    assert deals == expected_deals  # ids and all on a local store: nothing partial was kept
    assert history == expected_history


def without_ids(deals: list[dict], history: list[dict]) -> tuple[list[dict], list[dict]]:
    """Deals and their history with each deal named by its external id instead of its number."""
    external = {deal["id"]: deal["external_id"] for deal in deals}
    return ([{**deal, "id": None} for deal in deals],
            [{**event, "id": None, "deal_id": external[event["deal_id"]]} for event in history])


# ------------------------------------------------------------------------------------------------
# 2b. SIGKILL during short mutating commands
# ------------------------------------------------------------------------------------------------

LOOPER = r'''
import contextlib, io, json, random, sys

login, seed = sys.argv[1], int(sys.argv[2])
identity = sys.argv[3:]  # --as LOGIN on a local store; nothing on a server store, where PGUSER says who
from flowctl.cli.app import app


def run(*argv, counted=True):
    argv = [*identity, *[str(a) for a in argv]]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = app(args=argv, prog_name="flowctl", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:
            err.write(f"{type(exc).__name__}: {exc}")
            code = "exception"
    code = 0 if code is None else code
    if code not in (0, 6):
        sys.stderr.write(f"UNEXPECTED exit {code}: {argv}: {err.getvalue()}\n")
        sys.stderr.flush()
    if counted:  # one line per finished command, for the report
        sys.stdout.write(f"{code}\n")
        sys.stdout.flush()
    return code, out.getvalue()


rng = random.Random(seed)
code, out = run("deal", "list", "--format", "json", counted=False)  # warm up, and learn the deals there are
ids = [d["id"] for d in json.loads(out) if d["responsible"] == login] if code == 0 else []  # one's own (F1)
print("ready", flush=True)
k = 0
while True:  # until killed
    k += 1
    tag = f"{login}-{seed}-{k}"
    code, out = run("deal", "create", "-F", f"site={tag}", "--format", "json")
    deal = json.loads(out)["id"] if code == 0 else None
    if deal:
        ids.append(deal)
    if ids:
        run("deal", "set", rng.choice(ids), f"site={tag}-set", f"houses={k}", "--format", "json")
    if deal is None:
        continue
    code, out = run("task", "list", "--deal", deal, "--format", "json")
    calls = json.loads(out) if code == 0 else []
    if rng.random() < 0.3:
        run("task", "add", deal, "--type", "call", "--due", "+1d", "--format", "json")
    if calls:
        code, _ = run("task", "done", calls[0]["id"], "--result", f"Дозвонился {tag}", "--contact", "call",
                      "--format", "json")
        if code == 0:
            run("deal", "advance", deal, "in_work", "--format", "json")
'''


def assert_history_agrees(dump: dict) -> None:
    """Every deal, task and field value is exactly what its history says."""
    deals = {d["id"]: d for d in dump["deals"]}
    tasks = {t["id"]: t for t in dump["tasks"]}
    events = dump["history"]
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert {e["deal_id"] for e in events} <= set(deals)
    assert {e["task_id"] for e in events if e["task_id"] is not None} <= set(tasks)
    per_deal = defaultdict(list)
    per_task = defaultdict(Counter)
    for e in events:
        per_deal[e["deal_id"]].append(e)
        if e["task_id"] is not None:
            per_task[e["task_id"]][e["kind"]] += 1
    for deal_id, deal in deals.items():
        history = per_deal[deal_id]
        created = [e for e in history if e["kind"] == "deal.created"]
        assert len(created) == 1, f"deal {deal_id} has {len(created)} deal.created events"
        fields, stage = dict(created[0]["data"]["fields"]), created[0]["data"]["stage"]
        for e in history:
            if e["kind"] == "deal.field":
                if e["data"]["new"] is None:
                    fields.pop(e["data"]["field"], None)
                else:
                    fields[e["data"]["field"]] = e["data"]["new"]
            elif e["kind"] == "deal.stage":
                stage = e["data"]["to"]
        assert deal["fields"] == fields, f"deal {deal_id}: fields {deal['fields']} but history says {fields}"
        assert deal["stage"] == stage, f"deal {deal_id}: stage {deal['stage']} but history says {stage}"
    for task_id, task in tasks.items():
        seen = per_task[task_id]
        assert seen["task.added"] == 1, f"task {task_id}: {seen}"
        assert seen["task.done"] == (task["status"] == "done"), f"task {task_id} is {task['status']}: {seen}"
        assert seen["task.cancelled"] == (task["status"] == "cancelled"), f"task {task_id}: {seen}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_sigkill_during_short_commands_keeps_store_and_history_agreed(kind, new_workspace, tmp_path, children):
    ws = new_workspace(kind)
    rng = random.Random(SEED + 1)
    kills = scaled(30, minimum=2)
    survived = commands = 0
    started = time.monotonic()
    for round_start in range(0, kills, 2):  # two at a time: a kill may also land while the other waits for the lock
        procs = []
        for n, login in enumerate(("ivan", "olga")[: min(2, kills - round_start)]):
            identity, env = member(ws, login)
            procs.append(subprocess.Popen([sys.executable, "-c", LOOPER, login, str(SEED + round_start + n),
                                           *identity], cwd=ws.root, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
            children.append(procs[-1])
        deadlines = []
        for proc in procs:
            wait_ready(proc)
            deadlines.append(time.monotonic() + rng.uniform(0.0, 0.15))
        for proc, deadline in sorted(zip(procs, deadlines), key=lambda pair: pair[1]):
            time.sleep(max(0.0, deadline - time.monotonic()))
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            proc.wait()
            out, errors = proc.stdout.read(), proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
            assert proc.returncode == -signal.SIGKILL, f"a worker died by itself ({proc.returncode}): {errors}"
            assert not errors.strip(), errors
            commands += len(out.split())
        assert_store_sound(ws)
        assert_history_agrees(export_all(ws))
        survived += len(procs)
    elapsed = time.monotonic() - started

    after = ws.json("deal", "create")  # nothing stale (a lock, a journal) stops the next writer
    dump = export_all(ws)
    assert_history_agrees(dump)
    leftovers = sorted(p.name for p in ws.root.iterdir() if p.name.endswith(".tmp"))
    assert leftovers == []  # the next writer removed what killed ones left
    report(tmp_path, [
        f"command kills[{kind}]: {survived} of {kills} kills survived in {elapsed:.1f} s; "
        f"{commands} commands finished between start and kill; store now {len(dump['deals'])} deals "
        f"(last #{after['id']}), {len(dump['tasks'])} tasks, {len(dump['history'])} events",
        f"  temporary files left behind by killed commands: {len(leftovers)}",
    ])
    assert survived == kills
