"""The benchmark runs end to end at a tiny size, so it cannot rot (its figures are read from a real run, not here)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_benchmark_suite_runs_at_a_tiny_size(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--deals", "300", "--runs", "1",
                             "--dir", str(tmp_path), "--json-sizes", "200"], capture_output=True, text=True,
                            timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    table = (tmp_path / "results.md").read_text("utf-8")
    for command in ("flowctl --help", "flowctl deal show ID", "flowctl agenda --user m01", "flowctl task done",
                    "flowctl deal advance", "flowctl check", "flowctl report funnel", "flowctl report managers",
                    "flowctl validate", "flowctl import deals (300 rows)", "python -c pass", "sqlite3: deal by id",
                    "JSON store, 200 deals: flowctl deal set"):
        assert f"`{command}" in table, command
    assert "300 deals" in table
