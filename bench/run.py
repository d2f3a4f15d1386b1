"""flowctl's benchmark: each everyday command as a fresh process, beside its floor.

    python bench/run.py [--runs N] [--out bench/out/results.md]

Every figure is the median wall time of N fresh processes (plus min–max and
peak RSS), printed beside a floor measured in the same run (`python -c pass`
for start-up), so the ratio holds on any machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(argv: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"benchmark command failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss / 1024


def measure(argv: list[str], runs: int, cwd: Path = ROOT, env: dict | None = None) -> dict:
    env = env or os.environ.copy()
    run_once(argv, cwd, env)  # warm the page cache and bytecode once; every timed run is a new process
    samples = [run_once(argv, cwd, env) for _ in range(runs)]
    walls = [s[0] * 1000 for s in samples]
    return {"median_ms": statistics.median(walls), "min_ms": min(walls), "max_ms": max(walls),
            "peak_mib": max(s[1] for s in samples)}


def flowctl_argv() -> list[str]:
    exe = shutil.which("flowctl")
    return [exe] if exe else [sys.executable, "-m", "flowctl"]


def startup_cases() -> list[tuple[str, list[str], str]]:
    """(name, argv, floor name)."""
    fl = flowctl_argv()
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], ""),
        ("flowctl --help", fl + ["--help"], "python -c pass"),
        ("flowctl validate pipelines/krovlya.yaml", fl + ["validate", "pipelines/krovlya.yaml"], "python -c pass"),
        ("flowctl pipeline show krovlya", fl + ["pipeline", "show", "krovlya"], "python -c pass"),
    ]


def table(results: list[tuple[str, dict, str]]) -> str:
    by_name = {name: r for name, r, _ in results}
    lines = ["| command | median ms | min–max ms | peak MiB | floor | × floor |", "|---|---:|---:|---:|---|---:|"]
    for name, r, floor in results:
        ratio = f"{r['median_ms'] / by_name[floor]['median_ms']:.1f}" if floor else ""
        lines.append(f"| `{name}` | {r['median_ms']:.0f} | {r['min_ms']:.0f}–{r['max_ms']:.0f} | "
                     f"{r['peak_mib']:.0f} | {floor and f'`{floor}`'} | {ratio} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here (Markdown)")
    args = parser.parse_args()
    results = [(name, measure(argv, args.runs), floor) for name, argv, floor in startup_cases()]
    report = f"Machine: {machine()}; {args.runs} runs each, fresh process per run.\n\n{table(results)}\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, "utf-8")


if __name__ == "__main__":
    main()
