"""The command tree built lazily (only the command that runs), and shell completion as bash, zsh and fish ask for
it: commands, options, and values read from the workspace (stage and field labels, logins, pipelines)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import Workspace

PROBE = ("import sys; sys.argv = ['flowctl', *sys.argv[1:]]\n"
         "import flowctl.cli.app as a\ntry: a.main()\nexcept SystemExit: pass\n"
         "print(' '.join(sorted(m for m in sys.modules if m.startswith('flowctl.cli.'))), file=sys.stderr)")


def cli_modules(*argv, cwd) -> tuple[str, set[str]]:
    """(standard output, the flowctl.cli modules imported) of flowctl run in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True, timeout=60)
    return done.stdout, set(done.stderr.strip().splitlines()[-1].split())


def test_the_root_help_lists_every_command_without_importing_one(tmp_path):
    from flowctl.cli.app import COMMANDS

    out, imported = cli_modules("--help", cwd=tmp_path)
    assert imported == {"flowctl.cli.app", "flowctl.cli.common", "flowctl.cli.complete"}
    for name, (_, _, summary) in COMMANDS.items():
        assert f"  {name} " in out and summary in out, name


def test_a_command_imports_only_its_own_module(tmp_path):
    _, imported = cli_modules("deal", "show", "--help", cwd=tmp_path)
    assert "flowctl.cli.deal" in imported
    assert not imported & {"flowctl.cli.task", "flowctl.cli.report", "flowctl.cli.data", "flowctl.cli.demo",
                           "flowctl.cli.board", "flowctl.cli.init", "flowctl.cli.validate", "flowctl.cli.db"}


def test_every_command_has_its_help_under_its_name(cli, tmp_path, monkeypatch):
    import typer.main

    from flowctl.cli.app import COMMANDS, app

    monkeypatch.chdir(tmp_path)
    root = typer.main.get_command(app).every_command()
    assert sorted(root.commands) == sorted(COMMANDS)
    for name, command in root.commands.items():
        for path in [(name,), *((name, sub) for sub in getattr(command, "commands", {}))]:
            result = cli(*path, "--help")
            assert result.exit_code == 0, path
            assert result.stdout.split(" ", 2)[2].startswith(f"{' '.join(path)} "), path  # Usage: PROG path


@pytest.fixture
def team_ws(tmp_path, monkeypatch):
    return Workspace(tmp_path / "ws", "sqlite", monkeypatch)


def complete(shell: str, line: str, action: str = "get-args") -> tuple[int, str]:
    """What flowctl answers the shell completing `line` (the cursor at its end), as each shell's script asks."""
    from flowctl.cli.app import app

    env = {"_FLOWCTL_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env["COMP_LINE"] = line
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
        env["_TYPER_COMPLETE_FISH_ACTION"] = action
    result = CliRunner().invoke(app, [], env=env, prog_name="flowctl")
    return result.exit_code, result.stdout


def bash(line: str) -> list[str]:
    code, out = complete("bash", line)
    assert code == 0
    return [value for value in out.splitlines() if value]


def test_bash_completes_commands_and_options_without_a_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert bash("flowctl de") == ["demo", "deal"]
    assert bash("flowctl deal ad") == ["advance"]
    assert "--responsible" in bash("flowctl deal list --")
    assert bash("flowctl deal advance 1 ГОР") == []  # no workspace: no labels to offer, and no error


def test_bash_completes_stage_labels_in_any_case_and_quotes_their_spaces(team_ws):
    assert bash("flowctl deal advance 1 ГОР") == ["ГОРЯЧИЕ"]
    assert bash("flowctl deal advance 1 гор") == ["горЯЧИЕ"]  # what was typed is kept: labels take any case
    assert bash("flowctl deal advance 1 ОБ") == [r"ОБЪЕМЫ\ У\ ТУРАЛА"]
    assert bash("flowctl deal advance 1 объё") == [r"объёМЫ\ У\ ТУРАЛА"]  # ё and е alike
    assert len(bash("flowctl deal list --stage ")) == 8


def test_bash_completes_a_field_label_then_its_options_after_the_equals_sign(team_ws):
    assert bash("flowctl deal create -F Строитель/Ч") == ["Строитель/Частник="]
    # bash's word begins after `=`: the answer is the value alone
    assert sorted(bash("flowctl deal create -F Строитель/Частник=")) == ["Строитель", "Частник"]
    assert bash("flowctl deal set 3 client_type=ча") == ["частник"]
    assert bash("flowctl contact set 1 Те") == ["Телефон="]  # a contact's own fields


def test_logins_and_pipelines_complete_from_the_workspace(team_ws):
    assert bash("flowctl --as ") == ["ivan", "tural", "olga"]
    assert bash("flowctl task reassign 5 --to t") == ["tural"]
    assert bash("flowctl agenda --user o") == ["olga"]
    assert bash("flowctl report funnel -p KR") == ["KRovlya"]
    assert bash("flowctl pipeline show ") == ["krovlya"]


def test_zsh_and_fish_get_values_with_their_help(team_ws):
    code, out = complete("zsh", "flowctl deal advance 1 ГОР")
    assert (code, out.strip()) == (0, """_arguments '*: :(("ГОРЯЧИЕ":"hot"))'""")
    code, out = complete("fish", "flowctl --as tu")
    assert (code, out.strip()) == (0, "tural\tТурал")
    code, out = complete("fish", "flowctl de")
    assert out.splitlines() == ["demo\tPlay the worked example (E1–E4) on a throwaway store.",
                                "deal\tDeals and their moves through the pipeline."]


def test_completion_never_imports_rich(team_ws):
    """typer renders zsh's and fish's help with rich when it is installed: 100 ms, more than the whole answer."""
    probe = "import sys, flowctl.cli.app as a\ntry: a.main()\nexcept SystemExit: pass\nprint('rich' in sys.modules)"
    env = {**os.environ, "_FLOWCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "flowctl deal advance 1 Г"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=team_ws.root, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.splitlines()[-1] == "False", done.stdout + done.stderr


def install(tmp_path, *argv, lang="C.UTF-8"):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "LANG": lang, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run([sys.executable, "-m", "flowctl", *argv], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    return done, home


@pytest.mark.parametrize("shell, script", [("bash", ".bash_completions/flowctl.sh"), ("zsh", ".zfunc/_flowctl"),
                                           ("fish", ".config/fish/completions/flowctl.fish")])
def test_install_completion_writes_the_shells_script(tmp_path, shell, script):
    done, home = install(tmp_path, "--install-completion", shell)
    assert done.returncode == 0, done.stderr
    assert f"{shell} completion installed in {home / script}" in done.stdout
    assert "_FLOWCTL_COMPLETE=complete_" + shell in (home / script).read_text()


def test_install_completion_speaks_russian(tmp_path):
    done, home = install(tmp_path, "--install-completion", "bash", lang="ru_RU.UTF-8")
    assert done.returncode == 0
    assert done.stdout.startswith("дополнение для bash установлено в ")
    assert f"source '{home / '.bash_completions/flowctl.sh'}'" in (home / ".bashrc").read_text()


def test_install_completion_for_another_shell_is_refused_and_writes_nothing(tmp_path):
    done, home = install(tmp_path, "--install-completion", "powershell")
    assert done.returncode == 2
    assert done.stderr == "flowctl: flowctl completes bash, zsh and fish, not powershell (bash, zsh, fish)\n"
    assert list(home.iterdir()) == []


def test_the_installed_bash_script_completes_a_label_with_spaces_and_stops_after_equals(tmp_path, team_ws):
    """The script bash sources, run by bash itself: the line up to the cursor goes to flowctl, labels come back as
    one word each, and no space follows a `KEY=`."""
    done, home = install(tmp_path, "--show-completion", "bash")
    script = tmp_path / "flowctl.sh"
    script.write_text(done.stdout)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "flowctl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flowctl "$@"\n')
    (bin_dir / "flowctl").chmod(0o755)
    probe = (f"source {script}\n"
             'for COMP_LINE in "flowctl deal advance 7 ОБ" "flowctl deal create -F Строитель/Ч"; do\n'
             '  COMP_POINT=${#COMP_LINE}; _flowctl_completion flowctl 2>/dev/null\n'
             '  printf "%s|" "${COMPREPLY[@]}"; echo; done\n')
    out = subprocess.run(["bash", "--norc", "-c", probe], cwd=team_ws.root, capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, timeout=60).stdout
    assert out.splitlines() == [r"ОБЪЕМЫ\ У\ ТУРАЛА|", "Строитель/Частник=|"]
