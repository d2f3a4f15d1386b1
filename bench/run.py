"""flowctl's benchmark: every everyday command as a fresh process, beside its floor, on a big store.

    python bench/run.py                      # 100,000 deals; writes bench/out/results.md
    python bench/run.py --deals 2000 --runs 3   # a quick look (the test suite runs a tiny size)

Each figure is the median wall time of N fresh processes, with min–max and peak RSS, printed
beside a floor measured in the same run: `python -c pass` for start-up, and the same question
asked of the store directly with the sqlite3 module for queries and writes. The ratio holds on
any machine; the targets are those of the performance issue (2-core machine, SQLite, 100k deals).
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

from bench.generate import NOW, build, iso  # noqa: E402  (bench is run as a script from the repo)

PY = sys.executable


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


def measure(argvs, cwd: Path, env: dict, prepare=None) -> dict:
    """argvs: one argv, or a function of the run number giving it (mutations need a new target each run)."""
    make = argvs if callable(argvs) else (lambda i: argvs)
    if prepare:
        prepare(-1)
    run_once(make(-1), cwd, env)  # warm the page cache and the pipeline cache once
    samples = []
    for i in range(RUNS):
        if prepare:
            prepare(i)
        samples.append(run_once(make(i), cwd, env))
    walls = [s[0] * 1000 for s in samples]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "peak": max(s[1] for s in samples)}


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


def cases(ws: Path, deals: int) -> list[dict]:
    db = ws / "flowctl.db"
    fl = flowctl()
    open_tasks = ids(db, "SELECT id FROM tasks WHERE responsible = 'm01' AND status = 'open' ORDER BY id")
    in_work = ids(db, "SELECT id FROM deals WHERE stage = 'in_work' ORDER BY id")
    agenda_end = iso(NOW.replace(hour=21))  # end of the Moscow day in UTC
    mid = deals // 2
    qualify = ["-F", "site=Званка", "-F", "Этап СТРОЙКИ=коробка", "-F", "buys_when=01.12.2026", "-F", "houses=3",
               "-F", "client_type=builder"]
    fresh = ws.parent / "import-ws"
    import_file = ws.parent / "import.csv"
    import_csv(import_file, deals)

    def fresh_store(_):
        if fresh.exists():
            shutil.rmtree(fresh)
        fresh.mkdir()
        shutil.copytree(ws / "pipelines", fresh / "pipelines")
        shutil.copyfile(ws / "flowctl.yaml", fresh / "flowctl.yaml")
        from flowctl.store import open_store

        open_store(str(fresh / "flowctl.db"), create=True).close()

    return [
        dict(name="python -c pass", argv=[PY, "-c", "pass"]),
        dict(name="flowctl --help", argv=fl + ["--help"], floor="python -c pass", target=80),
        dict(name="flowctl validate pipelines/krovlya.yaml", argv=fl + ["validate", "pipelines/krovlya.yaml"],
             floor="python -c pass"),
        dict(name="sqlite3: deal by id", argv=sql_floor(db, f"db.execute('SELECT * FROM deals WHERE id = {mid}').fetchall()")),
        dict(name="flowctl deal show ID", argv=fl + ["deal", "show", str(mid)], floor="sqlite3: deal by id", target=150),
        dict(name="sqlite3: deals by stage and user",
             argv=sql_floor(db, "db.execute(\"SELECT * FROM deals WHERE stage = 'hot' AND responsible = 'm03'\").fetchall()")),
        dict(name="flowctl deal list --stage горячие --responsible m03",
             argv=fl + ["deal", "list", "--stage", "горячие", "--responsible", "m03"],
             floor="sqlite3: deals by stage and user", target=150),
        dict(name="sqlite3: open tasks of a user due today",
             argv=sql_floor(db, "db.execute(\"SELECT * FROM tasks t JOIN deals d ON d.id = t.deal_id WHERE t.responsible"
                                f" = 'm01' AND t.status = 'open' AND t.due < '{agenda_end}'\").fetchall()")),
        dict(name="flowctl agenda --user m01", argv=fl + ["agenda", "--user", "m01"],
             floor="sqlite3: open tasks of a user due today", target=150),
        dict(name="sqlite3: complete a task",
             argv=sql_floor(db, "db.execute('BEGIN IMMEDIATE'); db.execute(\"UPDATE tasks SET status = status WHERE id"
                                f" = {open_tasks[0]}\"); db.execute('ROLLBACK')")),
        dict(name="flowctl task done", argv=lambda i: fl + ["task", "done", str(open_tasks[i + 1]), "--result",
                                                            "Поговорили, клиент ждёт КП", "--contact", "call"],
             floor="sqlite3: complete a task", target=150),
        dict(name="flowctl deal advance", argv=lambda i: fl + ["deal", "advance", str(in_work[i + 1]), "горячие",
                                                               *qualify],
             floor="sqlite3: complete a task", target=150),
        dict(name="sqlite3: deals without an open task",
             argv=sql_floor(db, "db.execute(\"SELECT COUNT(*) FROM deals d WHERE stage NOT IN ('won', 'lost') AND NOT"
                                " EXISTS (SELECT 1 FROM tasks t WHERE t.deal_id = d.id AND t.status = 'open')\").fetchall()")),
        dict(name="flowctl check", argv=fl + ["check"], floor="sqlite3: deals without an open task", target=1500),
        dict(name="sqlite3: deals and budget by stage",
             argv=sql_floor(db, "db.execute('SELECT stage, COUNT(*), SUM(budget_minor) FROM deals GROUP BY stage')"
                                ".fetchall(); db.execute('SELECT deal_id, stage_to, at FROM events WHERE stage_to IS NOT"
                                " NULL').fetchall()")),
        dict(name="flowctl report funnel", argv=fl + ["report", "funnel"], floor="sqlite3: deals and budget by stage",
             target=1000),
        dict(name="flowctl report managers", argv=fl + ["report", "managers"],
             floor="sqlite3: deals and budget by stage", target=1000),
        dict(name="flowctl report velocity", argv=fl + ["report", "velocity"],
             floor="sqlite3: deals and budget by stage"),
        dict(name=f"flowctl import deals ({deals:,} rows)", cwd=fresh, prepare=fresh_store,
             argv=fl + ["--as", "olga", "import", "deals", str(import_file), "--id-column", "ID"],
             floor="python -c pass", rate=deals),
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
        subprocess.run(flowctl() + ["--as", "olga", "import", "all", str(dump)], cwd=ws, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        target = 200 if size <= 2000 else None
        out.append(dict(name=f"JSON store, {size:,} deals: flowctl deal set", cwd=ws, target=target,
                        argv=lambda i, d=open_deal: flowctl() + ["deal", "set", str(d), f"site=Дом {i}"],
                        floor="python -c pass"))
    return out


def table(results: list[tuple[dict, dict]]) -> str:
    by_name = {case["name"]: r for case, r in results}
    lines = ["| command | median ms | min–max ms | peak MiB | floor | floor ms | × floor | target | met |",
             "|---|---:|---:|---:|---|---:|---:|---|---|"]
    for case, r in results:
        floor = case.get("floor")
        base = by_name.get(floor)
        target, met = "", ""
        if case.get("target"):
            target = f"≤ {case['target']} ms"
            met = "yes" if r["median"] <= case["target"] else "no"
        if case.get("rate"):
            per_second = case["rate"] / (r["median"] / 1000)
            target, met = f"≥ 10,000 deals/s (got {per_second:,.0f}/s)", "yes" if per_second >= 10_000 else "no"
        lines.append(f"| `{case['name']}` | {r['median']:.0f} | {r['min']:.0f}–{r['max']:.0f} | {r['peak']:.0f} | "
                     f"{floor and f'`{floor}`' or ''} | {base['median']:.0f} | {r['median'] / base['median']:.1f} | "
                     f"{target} | {met} |" if base else
                     f"| `{case['name']}` | {r['median']:.0f} | {r['min']:.0f}–{r['max']:.0f} | {r['peak']:.0f} | | | | "
                     f"{target} | {met} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


RUNS = 7


def main() -> None:
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--dir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--out", type=Path, default=None, help="the Markdown table (default: DIR/results.md)")
    parser.add_argument("--json-sizes", default="2000,10000,30000",
                        help="deal counts of the JSON stores to time a mutation on (comma-separated)")
    args = parser.parse_args()
    RUNS = args.runs
    ws = args.dir / "ws"
    started = time.perf_counter()
    sizes = build(ws, args.deals, seed=7)
    built = time.perf_counter() - started
    env = {**os.environ, "FLOWCTL_NOW": iso(NOW), "FLOWCTL_USER": "m01",
           "XDG_CACHE_HOME": str(args.dir / "cache"), "PYTHONDONTWRITEBYTECODE": "", "NO_COLOR": "1"}
    env.pop("FLOWCTL_STORE", None)
    results = []
    json_sizes = [int(n) for n in args.json_sizes.split(",") if n.strip()]
    for case in cases(ws, args.deals) + json_store_cases(args.dir, json_sizes, env):
        results.append((case, measure(case["argv"], case.get("cwd", ws), env, case.get("prepare"))))
        print(f"  {case['name']}: {results[-1][1]['median']:.0f} ms", file=sys.stderr)
    report = (f"Machine: {machine()}. Store: {sizes['deals']:,} deals, {sizes['tasks']:,} tasks, "
              f"{sizes['events']:,} history events, {sizes['contacts']:,} contacts (built in {built:.0f} s). "
              f"{RUNS} runs each, a fresh process per run.\n\n{table(results)}\n")
    print(report)
    out = args.out or args.dir / "results.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, "utf-8")


if __name__ == "__main__":
    main()
