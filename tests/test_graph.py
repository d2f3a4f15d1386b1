"""`flowctl graph`: the pipeline drawn by transitions' diagram support, accepted by Mermaid itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MERMAID_DIR = Path(__file__).parent / "mermaid"


def test_mermaid_has_russian_labels_and_closed_stages_marked(cli, krovlya):
    result = cli("graph", "krovlya", "--format", "mermaid")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("---\ntitle: Кровля\n---\nstateDiagram-v2")
    assert 'state "ОБЪЕМЫ У ТУРАЛА" as volumes' in out
    assert 'state "УСПЕШНО РЕАЛИЗОВАНО ✔" as won' in out and "Class won s_won" in out
    assert 'state "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО ✘" as lost' in out and "Class lost s_lost" in out
    assert "volumes --> proposal_ready: Инженер" in out  # M1
    assert out.count("-->") == len(krovlya.transitions) + 1  # every move, plus [*] --> initial


def test_dot_is_graphviz_source(cli):
    result = cli("graph", "krovlya", "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout.startswith('digraph "Кровля" {')
    assert 'volumes -> estimate_ready [label="Инженер"]' in result.stdout


def test_unknown_graph_format_is_usage_error(cli):
    result = cli("graph", "krovlya", "--format", "png")
    assert result.exit_code == 2 and "mermaid or dot" in result.stderr


@pytest.fixture(scope="session")
def mermaid_parser():
    """Mermaid's own parser: installed with npm where npm exists (as .ci/run does); only a machine without node
    skips, and never in CI."""
    import os

    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(MERMAID_DIR)],
                       capture_output=True, timeout=600)
    if (MERMAID_DIR / "node_modules" / "mermaid").is_dir() and shutil.which("node"):
        return MERMAID_DIR / "parse.mjs"
    if os.environ.get("CI") == "true":
        pytest.fail("CI must check the diagram with Mermaid itself: node and npm are needed")
    pytest.skip("node and npm are not installed: the diagram is not checked with Mermaid's parser")


def test_mermaid_accepts_the_diagram(cli, krovlya, tmp_path, mermaid_parser):
    diagram = tmp_path / "krovlya.mmd"
    diagram.write_text(cli("graph", "krovlya").stdout, "utf-8")
    parsed = subprocess.run(["node", str(mermaid_parser), str(diagram)],
                            capture_output=True, text=True, timeout=120)
    assert parsed.returncode == 0, parsed.stderr
    understood = json.loads(parsed.stdout)
    assert {sid: s["labels"][0] for sid, s in understood["states"].items() if krovlya.stage_or_none(sid)} == {
        s.id: s.label + {"won": " ✔", "lost": " ✘"}.get(s.kind, "") for s in krovlya.stages}
    assert understood["states"]["won"]["classes"] == ["s_won"]
    moves = {(a, b) for a, b in understood["relations"]}
    assert moves >= {(t.source, t.dest) for t in krovlya.transitions}
