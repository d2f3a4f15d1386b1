"""`flowctl demo`: the regulation's worked example (E1–E4), the shipped scenario e1-e4-worked-example.yaml played
on a throwaway store with its narration, command by command. The story lives in that file, which ops read and
`flowctl test` proves like every other scenario; this module only shows it."""

import tempfile
from pathlib import Path

import typer

from flowctl.cli.common import echo

DEMO_SCENARIO = "e1-e4-worked-example.yaml"


def _show(first_member: str):
    """How the demo prints a step that ended: its narration, the command as its member types it, what it printed,
    and a refusal marked as the regulation's."""
    from flowctl import language
    from flowctl import messages as M
    from flowctl.scenario import say

    def show(step, shown, failure) -> None:
        narration = say(step.say, language.current())
        if narration:
            echo(f"# {narration}")
        echo("$ flowctl " + (f"--as {step.actor} " if step.actor != first_member else "") + step.run)
        if shown.text.strip():
            echo(shown.text.rstrip("\n"))
        if failure:
            echo(M.text("demo_unexpected", problems="; ".join(failure.problems)))
        elif shown.code:
            echo(M.text("demo_refused", code=shown.code))
        echo("")

    return show


def _play(folder: Path) -> bool:
    """Whether the story went as the regulation says."""
    from flowctl import messages as M
    from flowctl import scenario
    from flowctl.cli.play import compiled, play
    from flowctl.workspace import shipped_pipelines_dir, yaml_files

    story = scenario.build(scenario.load(scenario.SHIPPED_DIR / DEMO_SCENARIO)[1])
    echo(M.text("demo_intro") + "\n")
    outcome = play(story, compiled(yaml_files(shipped_pipelines_dir())), folder, show=_show(story.first_member))
    return outcome.failure is None


def demo(keep: Path = typer.Option(None, "--keep", help="Keep the demo workspace in this folder to explore it.")):
    """Play the regulation's worked example (E1–E4) on an embedded store; your own store is not touched."""
    from flowctl import messages as M
    from flowctl.errors import RuleRefused

    if keep:
        from flowctl.workspace import CONFIG_NAME

        if keep.exists() and any(keep.iterdir()):
            raise RuleRefused(M.text("demo_keep_not_empty", path=keep, name=CONFIG_NAME))
        played = _play(keep)
        echo(M.text("demo_kept", path=keep))
    else:
        with tempfile.TemporaryDirectory(prefix="flowctl-demo-") as folder:
            played = _play(Path(folder))
    if not played:
        raise RuleRefused(M.text("demo_failed"))
