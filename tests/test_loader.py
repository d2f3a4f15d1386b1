"""The loader: positions, duplicate keys, and hostile files answered with a problem, not a crash."""

from __future__ import annotations

import pytest

from flowctl.pipeline import loader
from flowctl.pipeline.problems import ProblemsFound


def _problem(text: str):
    with pytest.raises(ProblemsFound) as caught:
        loader.load_text(text, "p.yaml")
    return caught.value.problems[0]


def test_positions_are_kept():
    doc = loader.load_text("a:\n  b:\n    - x\n    - {c: 1}\n", "p.yaml")
    assert doc.position(("a", "b", 1, "c")) == (4, 11)
    assert doc.position(("a", "b", 1, "c"), key=True) == (4, 8)
    assert doc.position(("a", "b", 0)) == (3, 7)


def test_duplicate_key_is_an_error_with_both_lines():
    p = _problem("stages:\n  hot: 1\n  cold: 2\n  hot: 3\n")
    assert (p.rule, p.line, p.column) == ("yaml-duplicate-key", 4, 3)
    assert "line 2" in p.message


def test_syntax_error_points_at_line():
    p = _problem("a: [1, 2\nb: 3\n")
    assert p.rule == "yaml-syntax" and p.line >= 2


def test_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = _problem("\n".join(lines) + "\n")
    assert p.rule == "yaml-limits"


def test_deep_nesting_is_refused():
    p = _problem("a: " + "[" * 200 + "]" * 200 + "\n")
    assert p.rule in ("yaml-limits", "yaml-syntax")


def test_not_utf8_is_refused_with_position():
    with pytest.raises(ProblemsFound) as caught:
        loader.decode("name: ok\nlabel: \xff\xfe\n".encode("latin-1"), "p.yaml")
    p = caught.value.problems[0]
    assert (p.rule, p.line, p.column) == ("yaml-encoding", 2, 8)


def test_too_large_is_refused(tmp_path):
    big = tmp_path / "p.yaml"
    big.write_bytes(b"#" * (loader.MAX_BYTES + 1))
    with pytest.raises(ProblemsFound) as caught:
        loader.load_file(big)
    assert caught.value.problems[0].rule == "yaml-limits"


def test_endless_file_stops_at_the_size_limit_while_reading(cli):
    """Issue 10 item 11: `validate /dev/zero` reads a megabyte and stops, instead of reading until memory runs out."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = cli("validate", "/dev/zero")
    assert result.exit_code == 1
    assert "yaml-limits" in result.stdout and "larger than 1000000 bytes" in result.stdout
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: a few MB read at most


def test_control_characters_are_a_syntax_problem():
    p = _problem("name: a\x07b\n")
    assert p.rule == "yaml-syntax"


def test_merge_keys_and_anchors_work():
    doc = loader.load_text("base: &b {x: 1}\nmore:\n  <<: *b\n  y: 2\n", "p.yaml")
    assert doc.data["more"] == {"x": 1, "y": 2}


def test_utf8_bom_is_accepted():
    assert loader.decode("\ufeffname: Кровля\n".encode("utf-8"), "p.yaml") == "name: Кровля\n"
