"""The HTML report in a real browser: Debian's Chromium, headless, with every request but the file refused.

Driven by tests/browser/open.mjs (playwright-core, never a downloaded browser). `.ci/run` installs Chromium and
the npm package; elsewhere the test skips, saying what is missing, but in CI it must run.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).parent / "browser"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """The page opener, when Chromium, node and playwright-core are here (npm installs the package where it can)."""
    missing = [what for what, there in (("Debian's chromium", Path(CHROMIUM).is_file()), ("node", shutil.which("node")))
               if not there]
    if not missing and not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(BROWSER_DIR)],
                       check=False, capture_output=True, timeout=300)
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        missing.append("the npm package playwright-core (npm install --prefix tests/browser)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI must open the report in Chromium; missing: " + ", ".join(missing))
        pytest.skip("cannot open the report in a browser here; missing: " + ", ".join(missing))

    def open_pages(*pages: tuple[Path, Path, int]) -> list[dict]:
        """(page, screenshot, width) each, in one browser: what each page logged, asked for and showed."""
        argv = [str(part) for page in pages for part in page]
        done = subprocess.run(["node", str(BROWSER_DIR / "open.mjs"), *argv], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "CHROMIUM": CHROMIUM})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return open_pages


def png_colours(path: Path) -> int:
    """How many different byte values the PNG's pixel rows hold: a blank page holds a handful (its one colour and
    the rows' filter bytes), a drawn one hundreds. Read with the standard library (zlib), no imaging package."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    return len(set(zlib.decompress(idat)))


def demo_report(tmp_path: Path, language: str) -> tuple[Path, Path]:
    """The report of the demo's data (the worked example E1–E4), written by the command a head of sales runs."""
    env = {**os.environ, "FLOWCTL_NOW": "2026-11-30T06:00:00Z", "LANG": language}
    env.pop("FLOWCTL_USER", None)
    workspace = tmp_path / "demo"
    subprocess.run([sys.executable, "-m", "flowctl", "demo", "--keep", str(workspace)], env=env, check=True,
                   capture_output=True)
    report = tmp_path / "report.html"
    subprocess.run([sys.executable, "-m", "flowctl", "--as", "olga", "report", "html", "-o", str(report)], cwd=workspace,
                   env=env, check=True, capture_output=True)
    return workspace, report


def test_the_report_opens_offline_without_errors_or_requests_and_shows_its_figures(browser, tmp_path):
    """In Russian, the head of sales' language, on a screen and on a phone's width."""
    _, report = demo_report(tmp_path, "ru_RU.UTF-8")
    shots = [tmp_path / f"shot-{width}.png" for width in (1280, 375)]
    for seen, shot in zip(browser((report, shots[0], 1280), (report, shots[1], 375)), shots):
        assert seen["consoleErrors"] == [] and seen["pageErrors"] == []
        assert seen["refused"] == []  # nothing left the file: no font, script, style or image from elsewhere
        text = " ".join(seen["text"].replace("\u00a0", " ").replace("\u202f", " ").split())
        for figure in ("1 254 000,00 ₽", "752 400,00 ₽"):  # КП ГОТОВО's open budget and the weighted plan (W1)
            assert figure in text, (figure, text[:500])
        assert png_colours(shot) > 50  # drawn, not blank


def test_the_browser_check_catches_a_blank_page_and_a_page_that_reaches_out(browser, tmp_path):
    """The harness itself: a blank page is told from a drawn one; a stylesheet from a CDN, a remote image and a
    console error are reported."""
    blank, drawn, leaky = tmp_path / "blank.html", tmp_path / "drawn.html", tmp_path / "leaky.html"
    blank.write_text("<!doctype html><html><body></body></html>", "utf-8")
    drawn.write_text("<!doctype html><html><body><h1>Воронка</h1><svg width='300' height='80'>"
                     "<rect width='200' height='40' fill='#2b5d8a'/></svg></body></html>", "utf-8")
    leaky.write_text("<!doctype html><html><head><link rel='stylesheet' href='https://cdn.example.com/x.css'></head>"
                     "<body><img src='http://example.com/x.png'><script>console.error('boom')</script></body></html>",
                     "utf-8")
    _, _, seen = browser(*[(page, page.with_suffix(".png"), 800) for page in (blank, drawn, leaky)])
    assert png_colours(tmp_path / "blank.png") <= 10 < 50 < png_colours(tmp_path / "drawn.png")
    assert seen["refused"] == ["https://cdn.example.com/x.css", "http://example.com/x.png"]
    assert "boom" in seen["consoleErrors"]
