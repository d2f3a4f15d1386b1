"""`flowctl demo`: the regulation's worked example (E1–E4) played on an embedded store, command by command."""

import os
import shlex
import sys
import tempfile
from contextlib import contextmanager, redirect_stderr
from datetime import timedelta
from pathlib import Path

import typer

from flowctl.cli.common import echo

DEMO_WORKSPACE = """\
version: 1
store: demo.db
pipelines: [pipelines]
timezone: Europe/Moscow
powers: {import: [head], restore: [head], migrate: [head], publish: [head]}
team:
  - {login: anna, name: Анна (менеджер ОП), roles: [manager]}
  - {login: tural, name: Турал (инженер), roles: [engineer]}
  - {login: olga, name: Ольга (руководитель ОП), roles: [head, manager]}
"""


def _steps(buys_when: str) -> list[tuple[str, list[str], int]]:
    """(what the step shows, the command, the exit code it must give), as a user of the language types it."""
    from flowctl import messages as M

    call, tomorrow = M.text("demo_contact_call"), M.text("demo_tomorrow")
    return [
        (M.text("demo_e1_contact"),
         ["contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "Строитель/Частник=Строитель"], 0),
        (M.text("demo_lead"),
         ["deal", "create", "--pipeline", "krovlya", "--contact", "1", "--field", "Где строит=п. Званка",
          "--field", "Сколько домов=4"], 0),
        (M.text("demo_first_call"),
         ["task", "done", "1", "--result", "Первый звонок: строит 4 дома, нужна кровля", "--contact", call], 0),
        (M.text("demo_to_s2"), ["deal", "advance", "1", "ОП ВЗЯЛ В РАБОТУ"], 0),
        (M.text("demo_to_s3"),
         ["deal", "advance", "1", "ГОРЯЧИЕ", "--field", "Этап СТРОЙКИ=коробка, стропила",
          "--field", f"Когда ПОКУПАЕТ={buys_when}"], 0),
        (M.text("demo_e2_task"), ["task", "list", "--deal", "1"], 0),
        (M.text("demo_e3_no_result"), ["task", "done", "2", "--contact", call], 1),
        (M.text("demo_e3_no_contact"), ["task", "done", "2", "--result", "План получен"], 1),
        (M.text("demo_e3_done"),
         ["task", "done", "2", "--result", "Получил план кровли с размерами", "--contact", call], 0),
        (M.text("demo_e3_to_s4"),
         ["deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА", "--field", "Проект/план кровли=План кровли",
          "--field", "Покрытие=металлочерепица", "--field", "Толщина=0,5 мм"], 0),
        (M.text("demo_m1_refused"),
         ["deal", "advance", "1", "КП ГОТОВО", "--field", "Бюджет=1 254 000"], 5),
        (M.text("demo_e4_engineer"),
         ["--as", "tural", "deal", "advance", "1", "КП ГОТОВО", "--field", "Бюджет=1 254 000"], 0),
        (M.text("demo_e4_postpone"),
         ["task", "postpone", "4", "--due", f"{tomorrow} 11:00", "--reason", "Клиент изучает КП, созвон завтра в 11"], 0),
        (M.text("demo_f11_card"), ["contact", "show", "1"], 0),
        (M.text("demo_new_lead"), ["contact", "add", "name=Марина", "phone=+7 (922) 111-22-33",
                                          "client_type=Частник"], 0),
        ("", ["deal", "create", "--contact", "2"], 0),
        (M.text("demo_agenda"),
         ["agenda", "--date", tomorrow], 0),
        (M.text("demo_check"), ["check"], 0),
        (M.text("demo_history"), ["deal", "history", "1"], 0),
    ]


def _demo_moment(workspace):
    """When the demo plays: the moment FLOWCTL_NOW pins, else a working morning, 10:00 in the workspace's zone today
    (or on the next working day), so that the tasks it creates fall due as on any working day and the agenda it
    shows for tomorrow holds the same tasks whatever day it is run."""
    from datetime import datetime, time, timezone

    from flowctl import clock

    now = clock.now()
    if os.environ.get("FLOWCTL_NOW"):
        return now
    hours, today = workspace.working_hours, now.astimezone(workspace.tz).date()
    day = today if hours.is_working_day(today) else hours.next_working_day(today)
    return datetime.combine(day, time(10, 0), workspace.tz).astimezone(timezone.utc)


@contextmanager
def _demo_environment(folder: Path, now: str):
    """Run inside the demo workspace as the manager at the demo's moment, whatever the user's own FLOWCTL_* say."""
    saved = {k: os.environ.get(k) for k in ("FLOWCTL_STORE", "FLOWCTL_USER", "FLOWCTL_NOW")}
    cwd = Path.cwd()
    os.environ.pop("FLOWCTL_STORE", None)
    os.environ["FLOWCTL_USER"] = "anna"
    os.environ["FLOWCTL_NOW"] = now
    os.chdir(folder)
    try:
        with redirect_stderr(sys.stdout):  # a refusal is shown in its place, right under its command
            yield
    finally:
        os.chdir(cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _play(folder: Path) -> int:
    import shutil

    from flowctl import messages as M
    from flowctl.cli.app import app
    from flowctl.services.publish import publish_first
    from flowctl.store import open_store
    from flowctl.when import to_iso_utc
    from flowctl.workspace import CONFIG_NAME, load, shipped_pipelines_dir

    (folder / "pipelines").mkdir(parents=True, exist_ok=True)
    for pipeline in shipped_pipelines_dir().glob("*.yaml"):
        shutil.copyfile(pipeline, folder / "pipelines" / pipeline.name)
    (folder / "flowctl.yaml").write_text(DEMO_WORKSPACE, "utf-8")
    workspace = load(folder / CONFIG_NAME)
    now = _demo_moment(workspace)
    store = open_store(str(folder / "demo.db"), create=True)
    try:  # the head of sales publishes the rules the team works under
        publish_first(workspace, store, workspace.member("olga"), now)
    finally:
        store.close()
    buys_when = (now + timedelta(days=14)).astimezone(workspace.tz).strftime("%d.%m.%Y")
    failures = 0
    with _demo_environment(folder, to_iso_utc(now)):
        echo(M.text("demo_intro") + "\n")
        for title, args, expected in _steps(buys_when):
            if title:
                echo(f"# {title}")
            echo("$ flowctl " + shlex.join(args))
            code = app(args=args, prog_name="flowctl", standalone_mode=False) or 0
            if code != expected:
                failures += 1
                echo(M.text("demo_unexpected", expected=expected, code=code))
            elif code:
                echo(M.text("demo_refused", code=code))
            echo("")
    return failures


def demo(keep: Path = typer.Option(None, "--keep", help="Keep the demo workspace in this folder to explore it.")):
    """Play the regulation's worked example (E1–E4) on an embedded store; your own store is not touched."""
    from flowctl import messages as M
    from flowctl.errors import RuleRefused

    if keep:
        from flowctl.workspace import CONFIG_NAME

        if keep.exists() and any(keep.iterdir()):
            raise RuleRefused(M.text("demo_keep_not_empty", path=keep, name=CONFIG_NAME))
        failures = _play(keep)
        echo(M.text("demo_kept", path=keep))
    else:
        with tempfile.TemporaryDirectory(prefix="flowctl-demo-") as folder:
            failures = _play(Path(folder))
    if failures:
        raise RuleRefused(M.text("demo_failed", failures=failures))
