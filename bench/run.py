"""flowctl's benchmark: every everyday command as a fresh process, beside its floor, on a big store, on SQLite
and on PostgreSQL.

    python bench/run.py                      # 100,000 deals; writes bench/out/results.md
    python bench/run.py --deals 2000 --runs 3   # a quick look (the test suite runs a tiny size)
    python bench/run.py --pg postgresql://db.local/postgres   # the PostgreSQL column against another server
    python bench/run.py --no-pg              # SQLite and JSON only
    python bench/run.py --baseline /tmp/old/bin/flowctl   # an earlier flowctl timed beside this one: before/after

Each figure is the median wall time of N fresh processes, with min–max and peak RSS, printed
beside a floor measured in the same run: `python -c pass` for start-up, and the same question
asked of the store directly, with the sqlite3 module for SQLite and with psycopg for PostgreSQL.
The ratio holds on any machine; the targets are those of the performance issue (2-core machine,
SQLite, 100k deals): start-up as a ratio to `python -c pass` in the same run (`--help` 6×, everyday
commands and completion 7×), reports and `check` under a second, every flowctl command under 150 MB.
A missed target is printed last and makes the benchmark exit 1, unless it is a smoke run (--no-warm-up). The PostgreSQL store is the generated SQLite store's rows copied into a new
database (COPY), so both columns time the same data; a command's runs on the two stores take turns,
so that a shared machine's load weighs on both alike.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import NOW, build, iso, workspace_yaml  # noqa: E402  (bench is run as a script from the repo)

PY = sys.executable
DEFAULT_PG = "postgresql://127.0.0.1:5432/postgres"
EVERYDAY_RATIO = 1.5  # issue 11: everyday commands on a loopback server within 1.5× of their SQLite time
PYTHON = "python -c pass"  # the floor of every start-up ratio
PEAK_MIB = 150  # issue 16: no flowctl command above this at 100,000 deals


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def run_once(argv: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process; a failing command stops the benchmark.

    The peak comes from GNU time when it is there: a child forked from this (larger) process
    would report this process's pages as its own peak (ru_maxrss survives exec).
    """
    import tempfile

    with tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [GNU_TIME, "-f", "%M", "-o", peak.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise SystemExit(f"benchmark command failed ({code}): {' '.join(map(str, argv))}\n"
                             f"{proc.stderr.read().decode()}")
        kib = int(peak.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
    return wall, kib / 1024


def measure(*variants: dict) -> list[dict]:
    """The figures of each variant of a command (one per store), timed in turn run by run, so that a shared
    machine's changing load weighs on each alike. A variant: argv (or a function of the run number giving it:
    mutations need a new target each run), cwd, env, and optionally prepare(run), runs, warm."""
    def once(variant: dict, run: int) -> tuple[float, float]:
        argv = variant["argv"](run) if callable(variant["argv"]) else variant["argv"]
        if variant.get("prepare"):
            variant["prepare"](run)
        return run_once(argv, variant["cwd"], variant["env"])

    for variant in variants:
        if WARM_UP and variant.get("warm", True):
            once(variant, -1)  # warm the page cache and the pipeline cache once
    samples: list[list] = [[] for _ in variants]
    for run in range(max(variant.get("runs") or RUNS for variant in variants)):
        for variant, taken in zip(variants, samples):
            if run < (variant.get("runs") or RUNS):
                taken.append(once(variant, run))
    figures = []
    for taken in samples:
        walls = [wall * 1000 for wall, _ in taken]
        figures.append({"median": statistics.median(walls), "min": min(walls), "max": max(walls),
                        "peak": max(peak for _, peak in taken)})
    return figures


def flowctl() -> list[str]:
    exe = shutil.which("flowctl")
    return [exe] if exe else [PY, "-m", "flowctl"]


def sql_floor(db: Path, script: str) -> list[str]:
    """A fresh Python process asking the store the same question with the sqlite3 module."""
    return [PY, "-c", f"import sqlite3; db = sqlite3.connect({str(db)!r}); {script}"]


def ids(db: Path, sql: str, params=()) -> list:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute(sql, params)]
    finally:
        con.close()


def import_csv(path: Path, count: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["ID", "Этап", "Бюджет", "Дата ЛИДА", "Ответственный", "Строитель/Частник", "Где строит"])
        for i in range(count):
            writer.writerow([f"EXT-{i}", "ОП ВЗЯЛ В РАБОТУ" if i % 3 else "НОВЫЙ ЛИД", f"{(i % 900 + 100) * 1000} ₽",
                             f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026", f"m{1 + i % 20:02d}",
                             "Строитель" if i % 2 else "Частник", "Званка"])


DATED_MAPPING = """\
id_column: ID
created: Создана
stage_dates: {in_work: Взята в работу}
date_format: DD.MM.YYYY
"""


def import_dated_csv(path: Path, count: int) -> None:
    """Another CRM's export with its dates: when each deal was created and, for two in three, taken into work."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["ID", "Этап", "Бюджет", "Ответственный", "Создана", "Взята в работу"])
        for i in range(count):
            day, month = 1 + i % 27, 1 + i % 12
            writer.writerow([f"OLD-{i}", "ОП ВЗЯЛ В РАБОТУ" if i % 3 else "НОВЫЙ ЛИД", f"{(i % 900 + 100) * 1000}",
                             f"m{1 + i % 20:02d}", f"{day:02d}.{month:02d}.2026 10:{i % 60:02d}",
                             f"{day + 1:02d}.{month:02d}.2026 15:00" if i % 3 else ""])
    path.with_suffix(".yaml").write_text(DATED_MAPPING, "utf-8")


class Server:
    """The PostgreSQL side: a database per workspace on the server, loaded from the generated SQLite store.

    The store's owner (the role the benchmark connects as) is olga, who imports and publishes; m01 connects as a
    role of his own that `flowctl db grant` sets up, as a team member would.
    """

    def __init__(self, admin_url: str, database: str):
        import psycopg

        from flowctl.store.postgres import WRITE_LOCK

        self.psycopg = psycopg
        self.write_lock = WRITE_LOCK  # what every writing transaction takes first
        self.admin_url = admin_url
        self.admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        self.owner, self.version = self.admin.execute("SELECT session_user, current_setting('server_version')"
                                                      ).fetchone()
        self.database = database
        self.member = f"{database}_m01"
        if not self.admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (self.member,)).fetchone():
            self.admin.execute(f'CREATE ROLE "{self.member}" LOGIN')

    def url(self, database: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        return urlunsplit(urlsplit(self.admin_url)._replace(path="/" + database))

    def env(self, base: dict, role: str) -> dict:
        """A command's environment on the server store: the role it connects as; FLOWCTL_USER is refused there."""
        env = {k: v for k, v in base.items() if k != "FLOWCTL_USER"}
        return {**env, "PGUSER": role}

    def workspace(self, folder: Path, database: str, source: Path | None, env: dict) -> None:
        """`folder`: a workspace on a new database `database` holding `source`'s rows (an SQLite store), or none;
        published, m01's role granted, the clock pinned to the benchmark's."""
        from flowctl.store import open_store

        if folder.exists():
            shutil.rmtree(folder)
        (folder / "pipelines").mkdir(parents=True)
        shutil.copyfile(ROOT / "pipelines" / "krovlya.yaml", folder / "pipelines" / "krovlya.yaml")
        url = self.url(database)
        (folder / "flowctl.yaml").write_text(
            workspace_yaml(url, {"olga": self.owner, "m01": self.member}), "utf-8")
        self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{database}"')
        store = open_store(url, create=True)
        with store.transaction():  # the schema, as flowctl makes it
            pass
        store.close()
        with self.psycopg.connect(url, autocommit=True) as db:
            if source:
                copy_rows(source, db)
            db.execute("UPDATE flowctl_store SET clock = %s", (iso(NOW),))
            db.execute("ANALYZE")
        owner = self.env(env, self.owner)
        for command in (["publish"], ["db", "grant", "m01"]):
            subprocess.run(flowctl() + command, cwd=folder, env=owner, check=True, stdout=subprocess.DEVNULL)

    def floor(self, script: str) -> list[str]:
        """A fresh Python process asking the benchmark's database the same question with psycopg."""
        return [PY, "-c", f"import psycopg; db = psycopg.connect({self.url(self.database)!r}); {script}"]

    def drop(self, database: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def copy_rows(source: Path, db) -> None:
    """Every row of the SQLite store, COPYed into the same tables (same columns) of a new PostgreSQL store."""
    lite = sqlite3.connect(source)
    try:
        with db.transaction():
            for table in ("contacts", "deals", "tasks", "events"):
                columns = ", ".join(row[1] for row in lite.execute(f"PRAGMA table_info({table})"))
                with db.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in lite.execute(f"SELECT {columns} FROM {table} ORDER BY id"):
                        copy.write_row(row)
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"
                           " HAVING MAX(id) IS NOT NULL")
    finally:
        lite.close()


def cases(ws: Path, deals: int, server: Server | None, env: dict) -> list[dict]:
    """Each case: a command on SQLite and, under `pg`, the same command on PostgreSQL (floors: the same query)."""
    db = ws / "flowctl.db"
    fl = flowctl()
    open_tasks = ids(db, "SELECT id FROM tasks WHERE responsible = 'm01' AND status = 'open' ORDER BY id")
    in_work = ids(db, "SELECT id FROM deals WHERE stage = 'in_work' AND responsible = 'm01' ORDER BY id")  # his own (F1)
    needed = (RUNS + 1) * (2 if BASELINE else 1)  # a mutation takes a new target each run (targets i + 1)
    if min(len(open_tasks), len(in_work)) < needed:
        raise SystemExit(f"--deals {deals} gives m01 {len(open_tasks)} open tasks and {len(in_work)} deals in work; "
                         f"{RUNS} runs need {needed} of each: take more deals or fewer runs")
    agenda_end = iso(NOW.replace(hour=21))  # end of the Moscow day in UTC
    mid = deals // 2
    qualify = ["-F", "site=Званка", "-F", "Этап СТРОЙКИ=коробка", "-F", "buys_when=01.12.2026", "-F", "houses=3",
               "-F", "client_type=builder"]
    fresh = ws.parent / "import-ws"
    import_file = ws.parent / "import.csv"
    import_csv(import_file, deals)
    dated = max(1, deals // 5)  # a fifth: each row writes its way through the pipeline, three times the rows
    dated_file = ws.parent / "import-dated.csv"
    import_dated_csv(dated_file, dated)

    def fresh_store(_):
        if fresh.exists():
            shutil.rmtree(fresh)
        fresh.mkdir()
        shutil.copytree(ws / "pipelines", fresh / "pipelines")
        shutil.copyfile(ws / "flowctl.yaml", fresh / "flowctl.yaml")
        from flowctl.store import open_store

        open_store(str(fresh / "flowctl.db"), create=True).close()

    def query(sql: str) -> tuple[list[str], dict | None]:
        """The floor of a read: the same SELECT through sqlite3, and through psycopg."""
        script = f"db.execute({sql!r}).fetchall()"
        return sql_floor(db, script), server and on_server(server.floor(script))

    def on_server(argv, **case) -> dict | None:
        """The same command on the PostgreSQL workspace, as m01's role (or as `role`)."""
        if not server:
            return None
        role = case.pop("role", server.member)
        return dict(argv=argv, cwd=case.pop("cwd", ws.parent / "ws-pg"), env=server.env(env, role), **case)

    fresh_pg = ws.parent / "import-ws-pg"
    import_database = f"{server.database}_import" if server else ""

    def fresh_server_store(_):
        server.workspace(fresh_pg, import_database, None, env)

    deal_by_id, deal_by_id_pg = query(f"SELECT * FROM deals WHERE id = {mid}")
    by_stage, by_stage_pg = query("SELECT * FROM deals WHERE stage = 'hot' AND responsible = 'm03'")
    due_today, due_today_pg = query("SELECT * FROM tasks t JOIN deals d ON d.id = t.deal_id WHERE t.responsible"
                                    f" = 'm01' AND t.status = 'open' AND t.due < '{agenda_end}'")
    no_task, no_task_pg = query("SELECT COUNT(*) FROM deals d WHERE stage NOT IN ('won', 'lost') AND NOT EXISTS"
                                " (SELECT 1 FROM tasks t WHERE t.deal_id = d.id AND t.status = 'open')")
    funnel_sql = ("db.execute('SELECT stage, COUNT(*), SUM(budget_minor) FROM deals GROUP BY stage').fetchall();"
                  " db.execute('SELECT deal_id, stage_to, at FROM events WHERE stage_to IS NOT NULL').fetchall()")
    complete = f"UPDATE tasks SET status = status WHERE id = {open_tasks[0]}"

    def board_floor(placeholder: str) -> str:
        """The board's questions: deals and budget per stage, then each open stage's ten biggest deals."""
        return ("db.execute('SELECT stage, responsible, COUNT(*), SUM(budget_minor) FROM deals"
                " GROUP BY stage, responsible').fetchall();"
                f" [db.execute('SELECT * FROM deals WHERE stage = {placeholder} ORDER BY budget_minor DESC LIMIT 10',"
                " (stage,)).fetchall() for stage in"
                " ('new_lead', 'in_work', 'hot', 'volumes', 'proposal_ready', 'estimate_ready')]")
    deal_show = fl + ["deal", "show", str(mid)]
    deal_list = fl + ["deal", "list", "--stage", "горячие", "--responsible", "m03"]
    agenda = fl + ["agenda", "--user", "m01"]
    html_page = fl + ["report", "html", "-o", "report.html"]  # written in the workspace folder, each run anew

    def task_done(i):
        return fl + ["task", "done", str(open_tasks[i + 1]), "--result", "Поговорили, клиент ждёт КП", "--contact",
                     "call"]

    def advance(i):
        return fl + ["deal", "advance", str(in_work[i + 1]), "горячие", *qualify]

    importer = fl + ["import", "deals", str(import_file), "--id-column", "ID"]
    return [
        dict(name="python -c pass", argv=[PY, "-c", "pass"]),
        dict(name="flowctl --help", argv=fl + ["--help"], floor="python -c pass", ratio=6),
        dict(name="flowctl completion: bash, a stage label", argv=fl, ratio=7, baseline=False,  # new in issue 16
             env={**env, "_FLOWCTL_COMPLETE": "complete_bash", "COMP_LINE": f"flowctl deal advance {mid} ГОР"}),
        dict(name="flowctl completion: fish, a command", argv=fl, ratio=7, baseline=False,
             env={**env, "_FLOWCTL_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "flowctl de",
                  "_TYPER_COMPLETE_FISH_ACTION": "get-args"}),
        dict(name="flowctl validate pipelines/krovlya.yaml", argv=fl + ["validate", "pipelines/krovlya.yaml"],
             floor="python -c pass"),
        dict(name="query: deal by id", argv=deal_by_id, pg=deal_by_id_pg),
        dict(name="flowctl deal show ID", argv=deal_show, floor="query: deal by id", ratio=7, everyday=True,
             pg=on_server(deal_show)),
        dict(name="flowctl deal show ID, in Russian", argv=deal_show, env={**env, "LANG": "ru_RU.UTF-8"},
             floor="flowctl deal show ID"),  # what loading the Russian catalog and its formats costs
        dict(name="query: deals by stage and user", argv=by_stage, pg=by_stage_pg),
        dict(name="flowctl deal list --stage горячие --responsible m03", argv=deal_list,
             floor="query: deals by stage and user", ratio=7, everyday=True, pg=on_server(deal_list)),
        dict(name="query: open tasks of a user due today", argv=due_today, pg=due_today_pg),
        dict(name="flowctl agenda --user m01", argv=agenda, floor="query: open tasks of a user due today",
             ratio=7, everyday=True, pg=on_server(agenda)),
        dict(name="query: complete a task",
             argv=sql_floor(db, f"db.execute('BEGIN IMMEDIATE'); db.execute({complete!r}); db.execute('ROLLBACK')"),
             pg=server and on_server(server.floor(f"db.execute('SELECT pg_advisory_xact_lock({server.write_lock})');"
                                                  f" db.execute({complete!r}); db.rollback()"))),
        dict(name="flowctl agenda --user m01, in Russian", argv=agenda, env={**env, "LANG": "ru_RU.UTF-8"},
             floor="flowctl agenda --user m01"),
        dict(name="flowctl task done", argv=task_done, floor="query: complete a task", ratio=7, everyday=True,
             pg=on_server(task_done)),
        dict(name="flowctl deal advance", argv=advance, floor="query: complete a task", ratio=7, everyday=True,
             pg=on_server(advance)),
        dict(name="query: deals without an open task", argv=no_task, pg=no_task_pg),
        dict(name="flowctl check", argv=fl + ["check"], floor="query: deals without an open task", target=1000,
             pg=on_server(fl + ["check"])),
        # every shipped scenario, each on its own new store (issue 17: under 10 s); independent of the store's size
        dict(name="flowctl test (the regulation's scenarios)", argv=fl + ["test", str(ROOT / "scenarios")],
             floor="python -c pass", target=10000),
        dict(name="query: deals and budget by stage", argv=sql_floor(db, funnel_sql),
             pg=server and on_server(server.floor(funnel_sql))),
        dict(name="flowctl report funnel", argv=fl + ["report", "funnel"], floor="query: deals and budget by stage",
             target=1000, pg=on_server(fl + ["report", "funnel"])),
        dict(name="query: deals and budget by stage, ten biggest of each", argv=sql_floor(db, board_floor("?")),
             pg=server and on_server(server.floor(board_floor("%s")))),
        dict(name="flowctl board", argv=fl + ["board"], floor="query: deals and budget by stage, ten biggest of each",
             target=1000, pg=on_server(fl + ["board"])),
        dict(name="flowctl report managers", argv=fl + ["report", "managers"],
             floor="query: deals and budget by stage", target=1000, pg=on_server(fl + ["report", "managers"])),
        dict(name="flowctl report velocity", argv=fl + ["report", "velocity"],
             floor="query: deals and budget by stage", target=1000, pg=on_server(fl + ["report", "velocity"])),
        # one page of every report: funnel, plan, twelve months won, managers, velocity, check
        dict(name="flowctl report html", argv=html_page, floor="query: deals and budget by stage", target=3000,
             pg=on_server(html_page)),
        dict(name=f"flowctl import deals ({deals:,} rows)", cwd=fresh, prepare=fresh_store,
             argv=fl + ["--as", "olga", "import", "deals", str(import_file), "--id-column", "ID"],
             floor="python -c pass", rate=deals,
             pg=on_server(importer, role=server and server.owner, cwd=fresh_pg, prepare=fresh_server_store,
                          runs=IMPORT_RUNS, warm=False)),  # a minute a run at 100k; the caches are warm by now
        dict(name=f"flowctl import deals ({dated:,} rows, dated)", cwd=fresh, prepare=fresh_store,
             argv=fl + ["--as", "olga", "import", "deals", str(dated_file), "--mapping",
                        str(dated_file.with_suffix(".yaml"))], floor="python -c pass", rate=dated),
    ]


def json_store_cases(folder: Path, sizes: list[int], env: dict) -> list[dict]:
    """A mutating command on JSON stores of several sizes: each is a restore of a generated SQLite store."""
    out = []
    for size in sizes:
        ws = folder / f"json-{size}"
        build(ws, size, seed=11)
        dump = folder / f"json-{size}.json"
        subprocess.run(flowctl() + ["export", "all", "-o", str(dump)], cwd=ws, env=env, check=True)
        db = sqlite3.connect(ws / "flowctl.db")
        open_deal = db.execute("SELECT id FROM deals WHERE stage NOT IN ('won', 'lost') ORDER BY id LIMIT 1 OFFSET ?",
                               (size // 20,)).fetchone()[0]  # a closed deal is frozen: set a field of an open one
        db.close()
        config = ws / "flowctl.yaml"
        config.write_text(config.read_text("utf-8").replace("store: flowctl.db", "store: store.json"), "utf-8")
        (ws / "store.json").unlink(missing_ok=True)  # a restore needs a new store: an earlier run's is replaced
        subprocess.run(flowctl() + ["--as", "olga", "import", "all", str(dump)], cwd=ws, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        target = 200 if size <= 2000 else None
        out.append(dict(name=f"JSON store, {size:,} deals: flowctl deal set", cwd=ws, target=target,
                        argv=lambda i, d=open_deal: flowctl() + ["--as", "olga", "deal", "set", str(d), f"site=Дом {i}"],
                        floor="python -c pass"))
    return out


def verdict(case: dict, r: dict, python: float) -> tuple[str, list[str]]:
    """(the target as the table shows it, the targets this command missed)."""
    shown, missed = [], []
    if case.get("ratio"):
        shown.append(f"≤ {case['ratio']}× python")
        if r["median"] / python > case["ratio"]:
            missed.append(f"{r['median'] / python:.1f}× python > {case['ratio']}×")
    if case.get("target"):
        shown.append(f"≤ {case['target']} ms")
        if r["median"] > case["target"]:
            missed.append(f"{r['median']:.0f} ms > {case['target']} ms")
    if case.get("rate"):
        per_second = case["rate"] / (r["median"] / 1000)
        shown.append(f"≥ 10,000 deals/s (got {per_second:,.0f}/s)")
        if per_second < 10_000:
            missed.append(f"{per_second:,.0f} deals/s < 10,000")
    if case["name"].startswith("flowctl") or case.get("target"):
        shown.append(f"≤ {PEAK_MIB} MiB")
        if r["peak"] > PEAK_MIB:
            missed.append(f"peak {r['peak']:.0f} MiB > {PEAK_MIB} MiB")
    return ", ".join(shown), missed


def table(results: list[tuple[dict, dict, dict | None]]) -> tuple[str, list[str]]:
    """The Markdown table, and each missed target as a line."""
    sqlite_by_name = {case["name"]: r for case, r, _ in results}
    pg_by_name = {case["name"]: pg for case, _, pg in results if pg}
    python = sqlite_by_name[PYTHON]["median"]
    lines = ["| command | SQLite ms | min–max ms | peak MiB | × python | floor | floor ms | × floor | target | met "
             "| PostgreSQL ms | min–max ms | PG × floor | PG / SQLite |",
             "|---|---:|---:|---:|---:|---|---:|---:|---|---|---:|---:|---:|---:|"]
    misses = []
    for case, r, pg in results:
        floor = case.get("floor")
        base = sqlite_by_name.get(floor) if floor != PYTHON else None  # × python has its own column
        target, missed = verdict(case, r, python)
        misses += [f"{case['name']}: {miss}" for miss in missed]
        cells = [f"`{case['name']}`", f"{r['median']:.0f}", f"{r['min']:.0f}–{r['max']:.0f}", f"{r['peak']:.0f}",
                 f"{r['median'] / python:.1f}"]
        cells += [f"`{floor}`", f"{base['median']:.0f}", f"{r['median'] / base['median']:.1f}"] if base else [""] * 3
        cells += [target, ("no" if missed else "yes") if target else ""]
        if pg:
            pg_base = pg_by_name.get(floor) or (sqlite_by_name.get(floor) if floor == PYTHON else None)
            ratio, mark = pg["median"] / r["median"], ""
            if case.get("everyday"):
                mark = f" ({'within' if ratio <= EVERYDAY_RATIO else 'over'} {EVERYDAY_RATIO}×)"
            if case.get("rate"):
                mark = f" ({case['rate'] / (pg['median'] / 1000):,.0f}/s)"
            cells += [f"{pg['median']:.0f}", f"{pg['min']:.0f}–{pg['max']:.0f}",
                      f"{pg['median'] / pg_base['median']:.1f}" if pg_base else "", f"{ratio:.2f}{mark}"]
        else:
            cells += ["", "", "", ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), misses


def baseline_variant(variant: dict, baseline: str) -> dict | None:
    """The same command run by another flowctl (`--baseline`), or None for a case that is not a flowctl command.
    A mutation takes its own targets (a task done once cannot be done again): those of the runs after this one's."""
    fl = flowctl()

    def swapped(argv: list[str]) -> list[str] | None:
        return [baseline, *argv[len(fl):]] if argv[:len(fl)] == fl else None

    argv = variant["argv"]
    if callable(argv):
        return swapped(argv(0)) and {**variant, "argv": lambda run: swapped(argv(run + RUNS + 1))}
    return swapped(argv) and {**variant, "argv": swapped(argv)}


def before_after(results: list[tuple[dict, dict, dict | None]], before: dict[str, dict]) -> str:
    python = next(r for case, r, _ in results if case["name"] == PYTHON)["median"]
    lines = ["| command | before ms | after ms | after / before | before × python | after × python "
             "| before peak MiB | after peak MiB |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for case, r, _ in results:
        b = before.get(case["name"])
        if b:
            lines.append(f"| `{case['name']}` | {b['median']:.0f} | {r['median']:.0f} | {r['median'] / b['median']:.2f}"
                         f" | {b['median'] / python:.1f} | {r['median'] / python:.1f} | {b['peak']:.0f} | {r['peak']:.0f} |")
    return "\n".join(lines)


def machine(server: Server | None) -> str:
    cpu = platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    pg = f", PostgreSQL {server.version} (psycopg {server.psycopg.__version__})" if server else ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}{pg}"


RUNS = 7
WARM_UP = True
BASELINE = False  # --baseline given: mutations take twice the targets
IMPORT_RUNS = 3  # a PostgreSQL import of 100,000 rows takes a minute: three runs, not seven


def connect_server(args) -> Server | None:
    """The server of the PostgreSQL column: the default one when it answers (else a note), or the one named."""
    if args.no_pg:
        return None
    try:
        return Server(args.pg or DEFAULT_PG, args.pg_database)
    except Exception as error:  # psycopg missing, or no server
        reason = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
        if args.pg:
            raise SystemExit(f"the PostgreSQL server {args.pg} cannot be used: {reason}") from None
        print(f"no PostgreSQL column: {DEFAULT_PG} cannot be used ({reason})", file=sys.stderr)
        return None


def main() -> None:
    global RUNS, IMPORT_RUNS, WARM_UP, BASELINE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--dir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--out", type=Path, default=None, help="the Markdown table (default: DIR/results.md)")
    parser.add_argument("--json-sizes", default="2000,10000,30000",
                        help="deal counts of the JSON stores to time a mutation on (comma-separated)")
    parser.add_argument("--pg", default=None, help=f"a PostgreSQL server's URL to make the benchmark's databases on "
                                                   f"(default {DEFAULT_PG}, skipped if it does not answer)")
    parser.add_argument("--pg-database", default="flowctl_bench",
                        help="the benchmark's database (replaced; NAME_import is the import's), and role NAME_m01")
    parser.add_argument("--no-pg", action="store_true", help="no PostgreSQL column")
    parser.add_argument("--baseline", default=None,
                        help="another flowctl executable (an earlier version's) timed beside this one, in turns, "
                             "on the SQLite store: a before/after table")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="time each command from its first run (a smoke run; the figures include a cold cache)")
    args = parser.parse_args()
    RUNS, WARM_UP, BASELINE = args.runs, not args.no_warm_up, bool(args.baseline)
    IMPORT_RUNS = min(IMPORT_RUNS, RUNS)
    ws = args.dir / "ws"
    server = connect_server(args)
    started = time.perf_counter()
    sizes = build(ws, args.deals, seed=7)
    built = time.perf_counter() - started
    env = {**os.environ, "FLOWCTL_NOW": iso(NOW), "FLOWCTL_USER": "m01",
           "XDG_CACHE_HOME": str(args.dir / "cache"), "PYTHONDONTWRITEBYTECODE": "", "NO_COLOR": "1"}
    for name in ("FLOWCTL_STORE", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        env.pop(name, None)
    env["LANG"] = "C.UTF-8"  # English, whatever this machine's locale; the Russian cases set their own
    loaded = ""
    if server:  # before any SQLite command changes a row: both stores hold the same data
        started = time.perf_counter()
        server.workspace(args.dir / "ws-pg", server.database, ws / "flowctl.db", env)
        loaded = f"; the same rows COPYed into PostgreSQL in {time.perf_counter() - started:.0f} s"
    results, before = [], {}
    json_sizes = [int(n) for n in args.json_sizes.split(",") if n.strip()]
    for case in cases(ws, args.deals, server, env) + json_store_cases(args.dir, json_sizes, env):
        on_sqlite = {"cwd": ws, "env": env, **case}
        on_server = case.get("pg") and {"cwd": ws, "env": env, **case["pg"]}
        baseline = args.baseline and case.get("baseline", True) and baseline_variant(on_sqlite, args.baseline)
        figures = measure(*filter(None, (on_sqlite, on_server, baseline)))
        lite, pg = figures[0], figures[1] if on_server else None
        if baseline:
            before[case["name"]] = figures[-1]
        results.append((case, lite, pg))
        print(f"  {case['name']}: {lite['median']:.0f} ms" + (f", PostgreSQL {pg['median']:.0f} ms" if pg else ""),
              file=sys.stderr)
    if server:
        server.drop(f"{server.database}_import")
    markdown, misses = table(results)
    if not misses:
        judged = "Every target met."
    elif WARM_UP:
        judged = f"Targets missed: {'; '.join(misses)}."
    else:
        judged = f"A smoke run (no warm-up): targets not judged; as measured, missed: {'; '.join(misses)}."
    report = (f"Machine: {machine(server)}. Store: {sizes['deals']:,} deals, {sizes['tasks']:,} tasks, "
              f"{sizes['events']:,} history events, {sizes['contacts']:,} contacts (built in {built:.0f} s{loaded}). "
              f"{RUNS} runs each ({IMPORT_RUNS} of the PostgreSQL import), a fresh process per run."
              f"{' PostgreSQL on the same machine (loopback), a role per member.' if server else ''}"
              f"\n\n{markdown}\n\n{judged}\n")
    if before:
        report += f"\nBefore (`{args.baseline}`) and after, timed in turns in this run:\n\n{before_after(results, before)}\n"
    print(report)
    out = args.out or args.dir / "results.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, "utf-8")
    if misses:
        print(f"\nTARGETS MISSED ({len(misses)}):\n" + "\n".join(f"  {miss}" for miss in misses), file=sys.stderr)
        if WARM_UP:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
