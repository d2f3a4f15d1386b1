"""Faults on a PostgreSQL store (issue 11, "Concurrency and faults on the server"): the server ends a command's
session in the middle of a write (what a restart does to every session), the connection drops while the change
is being committed, the client is killed or frozen inside its transaction, the network goes silent, the server
never answers, another client holds the write lock. Each fault leaves no half-applied change, ends the command
with exit 6 and one line that says which fault it was, and no command waits past the busy timeout.

The shared server is never restarted: ending a session with pg_terminate_backend is what a fast restart does
to each session (the same FATAL "terminating connection due to administrator command"), without disturbing
the other tests that use the server."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import Workspace
from test_stress import children, server_sessions  # noqa: F401  (children is a fixture)


@pytest.fixture
def pg(request, tmp_path, monkeypatch, pg_server):
    workspace = Workspace(tmp_path / "ws", "postgres", monkeypatch, pg_server)
    request.addfinalizer(lambda: pg_server.drop(workspace.store_name))
    return workspace


def flowctl(pg: Workspace, children: list, *argv, user: str = "olga", env: dict | None = None) -> subprocess.Popen:
    """flowctl as a child process, connected as the member's database role."""
    identity, base = pg.child(user)
    proc = subprocess.Popen([sys.executable, "-m", "flowctl", *identity, *map(str, argv)], cwd=pg.root,
                            env={**base, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    children.append(proc)
    return proc


def finished(proc: subprocess.Popen, timeout: float = 30) -> tuple[int, str]:
    """(exit code, stderr) of a command that must end within `timeout`."""
    proc.wait(timeout=timeout)
    return proc.returncode, proc.stderr.read()


def long_import(pg: Workspace, rows: int = 3000) -> list[str]:
    """An import that holds the write lock for a second or more: a round trip per row."""
    lines = ["ID,Этап,Бюджет,Ответственный"] + [f"AMO-{n},ОП ВЗЯЛ В РАБОТУ,{n * 1000},ivan" for n in range(1, rows + 1)]
    (pg.root / "deals.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return ["import", "deals", "--owner", "olga", "deals.csv", "--id-column", "ID"]


def lock_held(pg: Workspace) -> bool:
    return any(holds for _, _, holds in server_sessions(pg))


def lock_holder(pg: Workspace, proc: subprocess.Popen) -> int:
    """The server pid of the command's session, once it is inside its writing transaction."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the command ended (exit {proc.returncode}) before it held the lock: {proc.stderr.read()}")
        holders = [pid for pid, _, holds in server_sessions(pg) if holds]
        if holders:
            return holders[0]
        time.sleep(0.005)
    pytest.fail("the command never took the write lock")


def seconds_until_no_session(pg: Workspace, limit: float) -> float:
    """How long until no flowctl session is left on the database (the server has ended and rolled back)."""
    started = time.monotonic()
    while server_sessions(pg):
        assert time.monotonic() - started < limit, f"sessions still on the server after {limit} s"
        time.sleep(0.01)
    return time.monotonic() - started


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- the server ends the session ----------------------------------------------------------------

def test_the_server_ending_a_session_mid_write_leaves_nothing_and_says_so_in_one_line(pg, children):
    """A restart (or an administrator) ends the session of an import halfway through its rows: exit 6, one line
    naming the fault, nothing written, and the next command works."""
    before = pg.snapshot()
    proc = flowctl(pg, children, *long_import(pg))
    pid = lock_holder(pg, proc)
    pg.server.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    code, stderr = finished(proc)
    assert code == 6, stderr
    # the reason is libpq's: the server's FATAL message when the client reads it before the socket closes, else
    # the closed socket (seen on a loaded machine)
    assert re.fullmatch(f"flowctl: the connection to the store {re.escape(pg.store_name)} was lost in the middle of "
                        r"the command \((terminating connection due to administrator command|consuming input failed: "
                        r"server closed the connection unexpectedly)\); nothing was changed", one_line(stderr)), stderr
    assert pg.snapshot() == before
    assert pg.json("deal", "create")["id"]


def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(pg, pg_server, children):
    """Lost during COMMIT, a change may or may not have been saved: the message says so rather than "nothing
    was changed". A deferred trigger holds the commit open long enough to end the session inside it."""
    db = pg_server.connection(pg.store_name)
    db.execute("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
               " $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$")
    db.execute("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON deals DEFERRABLE INITIALLY DEFERRED"
               " FOR EACH ROW EXECUTE FUNCTION slow_commit()")
    before = pg.snapshot()
    proc = flowctl(pg, children, "deal", "create", user="ivan")
    deadline = time.monotonic() + 30
    while not (committing := db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'flowctl'"
            " AND query = 'COMMIT' AND wait_event = 'PgSleep'").fetchall()):
        assert proc.poll() is None and time.monotonic() < deadline, "the command never reached its COMMIT"
        time.sleep(0.01)
    db.execute("SELECT pg_terminate_backend(%s)", (committing[0][0],))
    code, stderr = finished(proc)
    assert code == 6, stderr
    assert "was lost while it was saving the change (terminating connection due to administrator command): the " \
           "change may or may not have been saved; look before you run the command again" in one_line(stderr)
    assert pg.snapshot() == before  # here it was not: the session ended before the commit was written


# -- the client dies or freezes ------------------------------------------------------------------

def test_a_client_killed_mid_write_is_rolled_back_and_the_next_command_goes_straight_through(pg, children):
    before = pg.snapshot()
    proc = flowctl(pg, children, *long_import(pg))
    lock_holder(pg, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert seconds_until_no_session(pg, limit=2) < 2  # the server saw the socket close and rolled back
    assert pg.snapshot() == before
    started = time.monotonic()
    pg.ok("deal", "create")
    assert time.monotonic() - started < 2  # no lock left behind to wait for (the busy timeout is 5 s)


@pytest.mark.slow
def test_a_frozen_client_holds_the_store_no_longer_than_the_idle_limit(pg, children, monkeypatch):
    """A client that stops inside its transaction (its machine gone, suspended, or SIGSTOPped here) would hold
    every writer off until the server's TCP keepalive gave up (2 hours by default); the server ends its session
    after the idle limit instead (twelve busy timeouts, at least 5 s). Resumed, the client learns its change was
    not made."""
    from flowctl.store.postgres import idle_limit_ms

    monkeypatch.setenv("FLOWCTL_BUSY_TIMEOUT", "0.25")
    limit = idle_limit_ms(0.25) / 1000
    before = pg.snapshot()
    proc = flowctl(pg, children, *long_import(pg))
    lock_holder(pg, proc)
    proc.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    waiting = pg.run("deal", "create", user="ivan")
    assert waiting.exit_code == 6 and "busy" in waiting.stderr  # the frozen client still holds the lock
    while lock_held(pg):
        assert time.monotonic() - frozen < limit + 5, "the frozen client's session was never ended"
        time.sleep(0.05)
    assert time.monotonic() - frozen >= limit - 1.5  # ended for its silence, not by accident
    assert pg.snapshot() == before
    created = pg.json("deal", "create", user="ivan")
    proc.send_signal(signal.SIGCONT)
    code, stderr = finished(proc)
    assert code == 6 and "was lost in the middle of the command" in one_line(stderr)
    assert "nothing was changed" in stderr
    assert [deal["id"] for deal in pg.json("deal", "list")] == [created["id"]]


# -- the server never answers, the network goes silent, the lock is held ------------------------

@pytest.fixture
def silent_server():
    """A port on 127.0.0.1 that accepts connections and never says a word (a hung server, a black hole)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:  # closed: the test is over
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in accepted:
        connection.close()


@pytest.mark.parametrize("busy", ["2", "3"])
def test_a_server_that_accepts_but_never_answers_fails_within_the_busy_timeout(pg, children, silent_server, busy):
    proc = flowctl(pg, children, "--store", f"postgresql://127.0.0.1:{silent_server}/flowctl", "deal", "list",
                   user="ivan", env={"FLOWCTL_BUSY_TIMEOUT": busy})
    started = time.monotonic()
    code, stderr = finished(proc)
    waited = time.monotonic() - started
    assert code == 6 and "cannot be reached: connection timeout expired" in one_line(stderr)
    assert int(busy) <= waited < int(busy) + 2, waited  # the margin: Python's start-up on a busy machine


def test_a_busy_timeout_of_zero_means_do_not_wait_on_a_server_too(pg, pg_server, children):
    """FLOWCTL_BUSY_TIMEOUT=0 fails at once when another client holds the lock, as on SQLite; PostgreSQL's own
    lock_timeout = 0 would mean "wait for ever"."""
    from flowctl.store.postgres import WRITE_LOCK

    holder = pg_server.psycopg.connect(pg.store_name)  # another client inside a writing transaction
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    try:
        before = pg.snapshot()
        started = time.monotonic()
        code, stderr = finished(flowctl(pg, children, "deal", "create", user="ivan",
                                        env={"FLOWCTL_BUSY_TIMEOUT": "0"}), timeout=20)
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert code == 6 and "busy" in one_line(stderr)
    assert waited < 3  # a fresh process's start-up, not a wait
    assert pg.snapshot() == before


CUT = r'''
"""Run flowctl in a network namespace of its own, reaching the server through a proxy in this process; on a line
"cut" on stdin, take the namespace's loopback down: the command's connection goes silent, as if the network were
gone, while the proxy's connection to the server stays open and says nothing."""
import ctypes, os, socket, subprocess, sys, threading

server_host, server_port, database = sys.argv[1], int(sys.argv[2]), sys.argv[3]
upstream = socket.create_connection((server_host, server_port))  # made before leaving the machine's network
if ctypes.CDLL(None, use_errno=True).unshare(0x40000000):  # CLONE_NEWNET
    print("skip:", os.strerror(ctypes.get_errno()), flush=True)
    sys.exit()
try:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
except (OSError, subprocess.CalledProcessError) as error:
    print("skip: ip link:", error, flush=True)
    sys.exit()
listener = socket.create_server(("127.0.0.1", 0))
child = subprocess.Popen([sys.executable, "-m", "flowctl", "--store",
                          f"postgresql://127.0.0.1:{listener.getsockname()[1]}/{database}", *sys.argv[4:]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
downstream, _ = listener.accept()


def pump(source, target):
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass


for pair in ((downstream, upstream), (upstream, downstream)):
    threading.Thread(target=pump, args=pair, daemon=True).start()
print("started", child.pid, flush=True)
sys.stdin.readline()
subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
print("cut", flush=True)
error = child.stderr.read()
print("exit", child.wait(), error.strip(), flush=True)
sys.stdin.readline()  # the proxy's connection to the server stays open, and silent, until the test ends
'''


@pytest.mark.slow
def test_a_network_cut_mid_write_fails_within_the_busy_timeout_and_frees_the_store(pg, children, tmp_path):
    """The network between flowctl and the server goes silent in the middle of an import (no reset, no answer:
    a cable pulled, a laptop out of range). flowctl gives up within the busy timeout (TCP user timeout and
    keepalives) instead of TCP's quarter of an hour; the server, hearing nothing, ends the session after the idle
    limit, so the write lock is free again and nothing of the import was kept."""
    from urllib.parse import urlsplit

    from flowctl.store.postgres import idle_limit_ms

    before = pg.snapshot()
    url = urlsplit(pg.store_name)
    identity, env = pg.child("olga")
    script = tmp_path / "cut.py"
    script.write_text(CUT, "utf-8")
    proc = subprocess.Popen([sys.executable, str(script), url.hostname, str(url.port or 5432), url.path[1:],
                             *identity, *long_import(pg, rows=20_000)], cwd=pg.root,
                            env={**env, "FLOWCTL_BUSY_TIMEOUT": "0.5"}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    children.append(proc)
    started = proc.stdout.readline().split()
    if started[:1] == ["skip:"]:
        pytest.skip(f"a network namespace of its own is needed to cut the network (root): {' '.join(started[1:])}")
    assert started[:1] == ["started"], started
    reported = False
    try:
        lock_holder(pg, proc)
        proc.stdin.write("cut\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "cut"
        cut = time.monotonic()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "flowctl still waits 30 s after the network went silent"
        exited = proc.stdout.readline()
        gave_up, reported = time.monotonic() - cut, True
        assert exited.startswith("exit 6 ") and "was lost in the middle of the command" in exited, exited
        assert gave_up < 1 + 2, gave_up  # the TCP user timeout (the busy timeout, at least 1 s), a probe's second
        while lock_held(pg):  # the server still waits for the silent client
            assert time.monotonic() - cut < idle_limit_ms(0.5) / 1000 + 5, "the silent client's session lingers"
            time.sleep(0.05)
        assert pg.snapshot() == before
        pg.ok("deal", "create")
    finally:
        if not reported:  # the helper's flowctl would outlive it
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(started[1]), signal.SIGKILL)
