"""Every rule has a valid and an invalid example; each invalid file fails with exactly the rules it names."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import DATA, ROOT

from flowctl.pipeline.compile import check
from flowctl.pipeline.lint import RULES

FIXTURES = DATA / "pipelines"
LOADER_RULES = {"yaml-syntax", "yaml-duplicate-key", "yaml-encoding", "yaml-limits", "schema"}
EXPECT = re.compile(rb"^# expect: ([a-z-]+) (\d+)\s*$", re.MULTILINE)


def _expected(path) -> Counter:
    return Counter((m.group(1).decode(), int(m.group(2))) for m in EXPECT.finditer(path.read_bytes()))


@pytest.mark.parametrize("path", sorted((FIXTURES / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_file_fails_with_exactly_its_rules(path):
    expected = _expected(path)
    assert expected, f"{path.name} declares no '# expect: rule line'"
    problems, _ = check(path)
    assert Counter((p.rule, p.line) for p in problems) == expected


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.yaml")), ids=lambda p: p.stem)
def test_valid_file_has_no_problems(path):
    assert check(path)[0] == []


@pytest.mark.parametrize("rule_id", sorted(set(RULES) | LOADER_RULES))
def test_every_rule_has_both_examples_and_docs(rule_id):
    assert (FIXTURES / "valid" / f"{rule_id}.yaml").is_file()
    assert (FIXTURES / "invalid" / f"{rule_id}.yaml").is_file()
    assert f"`{rule_id}`" in (ROOT / "docs" / "lint-rules.md").read_text("utf-8")
