"""Regenerates docs/report.png, README's picture of `flowctl report html` on the demo's data:
python docs/screenshot.py (needs Debian's chromium and `npm install --prefix tests/browser`, as .ci/run does).

The demo plays in a fresh temporary workspace with the clock pinned, in Russian (the head of sales' language);
the page is opened by tests/browser/open.mjs, the same opener the browser test uses, with the network cut.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-30T06:00:00Z"  # Monday 09:00 in Moscow, as the README sessions


def main() -> None:
    env = {**os.environ, "FLOWCTL_NOW": NOW, "LANG": "ru_RU.UTF-8", "PYTHONPATH": str(ROOT)}
    env.pop("FLOWCTL_USER", None)
    with tempfile.TemporaryDirectory() as folder:
        workspace, report = Path(folder) / "demo", Path(folder) / "report.html"
        flowctl = [sys.executable, "-m", "flowctl"]
        subprocess.run([*flowctl, "demo", "--keep", str(workspace)], env=env, check=True, capture_output=True)
        subprocess.run([*flowctl, "--as", "olga", "report", "html", "-o", str(report)], cwd=workspace, env=env,
                       check=True)
        subprocess.run(["node", str(ROOT / "tests" / "browser" / "open.mjs"), str(report),
                        str(ROOT / "docs" / "report.png"), "1100"], check=True, stdout=subprocess.DEVNULL)
    print("docs/report.png written")


if __name__ == "__main__":
    main()
