"""Where the pipelines live: the workspace's `pipelines/` folder, else the ones flowctl ships."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flowctl import messages as M
from flowctl.errors import NotFound

PIPELINES_DIR = "pipelines"


def shipped_pipelines_dir() -> Path:
    return Path(str(resources.files("flowctl").joinpath("pipelines")))


def workspace_pipeline_files(cwd: Path | None = None) -> list[Path]:
    folder = (cwd or Path.cwd()) / PIPELINES_DIR
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")) if folder.is_dir() else []


def pipeline_file(name: str, cwd: Path | None = None) -> Path:
    """A pipeline by id (its file's stem) or by path: the workspace's first, then the shipped ones."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") and as_path.is_file():
        return as_path
    candidates = workspace_pipeline_files(cwd) + sorted(shipped_pipelines_dir().glob("*.yaml"))
    for path in candidates:
        if path.stem == name:
            return path
    raise NotFound(M.text("pipeline_unknown", name=name, hint=M.did_you_mean(name, {p.stem for p in candidates})))
