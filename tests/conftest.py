from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
KROVLYA = ROOT / "pipelines" / "krovlya.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def cli():
    """Run flowctl in-process through the real error boundary; returns the click Result."""
    from flowctl.cli.app import app

    runner = CliRunner()

    def run(*args, env=None, input=None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def krovlya():
    from flowctl.pipeline.compile import compile_file

    return compile_file(KROVLYA)
