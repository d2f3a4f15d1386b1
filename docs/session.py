"""Regenerates the console sessions quoted in README.md from real runs: python docs/session.py > /tmp/s.md
(the English session, the Russian one, the working day, the reports on the demo's data, the board in Russian,
`flowctl test` against a pull request's pipeline).

Each session runs in a fresh temporary workspace with the clock pinned (FLOWCTL_NOW) and the locale set, so the
output is what any machine prints.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

NOW = "2026-11-30T06:00:00Z"  # Monday 09:00 in Moscow

DEALS = [
    ["init", "--user", "ivan", "--name", "Иван"],
    ["publish"],
    ["contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "Строитель/Частник=Строитель"],
    ["deal", "create", "--contact", "1", "-F", "Где строит=Званка", "-F", "houses=4"],
    ["deal", "advance", "1", "горячие"],
    ["deal", "advance", "1", "оп взял в работу"],
    ["task", "done", "1", "--result", "Дозвонился: строит 4 дома", "--contact", "call"],
    ["deal", "advance", "1", "оп взял в работу"],
    ["deal", "advance", "1", "горячие", "-F", "Этап СТРОЙКИ=коробка", "-F", "Когда ПОКУПАЕТ=14.12.2026"],
    ["task", "done", "2", "--contact", "call"],
    ["task", "done", "2", "--result", "План кровли получен", "--contact", "call"],
    ["deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА", "-F", "coating=металлочерепица", "-F", "thickness=0,5"],
    ["deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА", "-F", "roof_plan=план кровли", "-F", "coating=металлочерепица",
     "-F", "thickness=0,5"],
    ["deal", "advance", "1", "КП ГОТОВО", "-F", "budget=1 254 000"],
    ["--as", "tural", "deal", "advance", "1", "КП ГОТОВО", "-F", "budget=1 254 000"],
    ["deal", "advance", "1", "ЗАКРЫТО И НЕ РЕАЛИЗОВАНО"],
    ["--as", "mallory", "deal", "list"],
    ["deal", "show", "1"],
    ["deal", "list"],
    ["deal", "history", "1"],
    ["contact", "show", "1"],
    ["agenda", "--date", "tomorrow"],
    ["check"],
]


RUSSIAN_DAY = [
    ["init", "--user", "anna", "--name", "Анна"],
    ["publish"],
    ["contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "Строитель/Частник=Строитель"],
    ["deal", "create", "--contact", "1", "-F", "Где строит=Званка", "-F", "Сколько домов=4"],
    ["agenda"],
    ["task", "done", "1", "--result", "Дозвонился: строит 4 дома"],
    ["task", "done", "1", "--result", "Дозвонился: строит 4 дома", "--contact", "звонок"],
    ["deal", "advance", "1", "оп взял в работу"],
    ["deal", "advance", "1", "горячие"],
    ["deal", "advance", "1", "горячие", "-F", "Этап СТРОЙКИ=коробка", "-F", "Когда ПОКУПАЕТ=14.12.2026"],
    ["deal", "set", "1", "Бюджет=1 254 000,50"],
    ["deal", "show", "1"],
    ["agenda", "--date", "завтра"],
    ["check"],
]

# The working day around the rules: fixing tasks, hand-overs, corrections, the engineer's queue, finding a
# client, working hours. The head of sales (olga) set up the workspace; ivan and petr sell, tural calculates.
TEAM = ["  - {login: ivan, name: Иван, roles: [manager]}", "  - {login: petr, name: Пётр, roles: [manager]}",
        "  - {login: tural, name: Турал, roles: [engineer]}"]
QUALIFY = ["-F", "Этап СТРОЙКИ=коробка", "-F", "Когда ПОКУПАЕТ=14.12.2026"]
TECH = ["-F", "Проект/план кровли=план кровли", "-F", "Покрытие=металлочерепица", "-F", "Толщина=0,5"]
WORKING_DAY = [
    [
        ["init", "--user", "olga", "--name", "Ольга", "--roles", "head,manager"],
        ["publish"],
        ["contact", "add", "name=Алмаз", "phone=8 912 345-67-89", "Строитель/Частник=Строитель"],
        ["contact", "add", "name=Марина", "phone=+7 (922) 111-22-33", "client_type=Частник"],
        ["contact", "add", "name=Алмаз Петров", "phone=+79123456789"],
        ["contact", "find", "912 345"],
        ["contact", "show", "марина"],
    ],
    [
        ["--as", "ivan", "deal", "create", "--contact", "1", "-F", "Где строит=Званка", "-F", "Сколько домов=4"],
        ["--as", "ivan", "task", "add", "1", "--type", "call", "--due", "today 15:00"],
        ["--as", "ivan", "task", "cancel", "2"],
        ["--as", "ivan", "task", "cancel", "2", "--reason", "Задвоилась: звонок уже стоит"],
        ["--as", "ivan", "task", "reassign", "1", "--to", "Пётр", "--reason", "Иван на объекте до обеда"],
        ["--as", "petr", "task", "done", "1", "--result", "Дозвонился: строит 4 дома", "--contact", "звонок"],
    ],
    [
        ["--as", "ivan", "deal", "advance", "1", "оп взял в работу"],
        ["--as", "ivan", "deal", "advance", "1", "горячие", *QUALIFY],
        ["--as", "petr", "deal", "set", "1", "Где строит=Мурино"],
        ["--as", "ivan", "deal", "set", "1", "Ответственный=Пётр"],
        ["deal", "set", "1", "Ответственный=Пётр"],
        ["--as", "petr", "task", "list", "--deal", "1"],
    ],
    [
        ["--as", "petr", "task", "done", "3", "--result", "План кровли получен", "--contact", "переписка"],
        ["--as", "petr", "deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА", *TECH],
        ["--as", "tural", "agenda", "--date", "завтра"],
        ["--as", "tural", "deal", "advance", "1", "КП ГОТОВО", "-F", "Бюджет=1 254 000"],
        ["--as", "petr", "deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА"],
        ["--as", "petr", "deal", "advance", "1", "ОБЪЕМЫ У ТУРАЛА", "--comment", "Клиент сменил покрытие на мягкую кровлю"],
        ["--as", "petr", "deal", "history", "1"],
        ["report", "funnel"],
    ],
    [
        ["FLOWCTL_NOW=2026-12-04T17:30:00Z", "--as", "ivan", "deal", "create", "--contact", "2"],
        ["--as", "ivan", "task", "list", "--deal", "2"],
    ],
]

ENGLISH, RUSSIAN = "C.UTF-8", "ru_RU.UTF-8"


def split_settings(args: list[str]) -> tuple[dict, list[str]]:
    """`VAR=value ... flowctl-arguments` → ({VAR: value}, the arguments), as a shell reads a command line."""
    settings = {}
    while args and "=" in args[0] and args[0].split("=", 1)[0].isupper():
        key, value = args[0].split("=", 1)
        settings[key], args = value, args[1:]
    return settings, args


def play_sections(sections: list[list[list[str]]], locale: str = ENGLISH, team: list[str] | None = None) -> list[str]:
    """Plays every section's commands, in order, in one fresh workspace; one console block per section. The
    `team` lines join flowctl.yaml after init (tural alone by default); a command may start with VAR=value."""
    team = team or ["  - {login: tural, name: Турал, roles: [engineer]}"]
    blocks = []
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
        env.update(FLOWCTL_NOW=NOW, FLOWCTL_USER="ivan", XDG_CACHE_HOME=f"{folder}/.cache", LANG=locale)
        for commands in sections:
            out = []
            for args in commands:
                if args[:1] == ["init"]:
                    env["FLOWCTL_USER"] = args[args.index("--user") + 1]
                settings, args = split_settings(args)
                result = subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=folder, env={**env, **settings},
                                        capture_output=True, text=True)
                out.append("$ " + "".join(f"{k}={v} " for k, v in settings.items()) + "flowctl " + shlex.join(args))
                text = (result.stdout + result.stderr).rstrip()
                if text:
                    out.append(text)
                if result.returncode:
                    out.append(f"[exit {result.returncode}]")
                if args[0] == "init":
                    with open(Path(folder) / "flowctl.yaml", "a", encoding="utf-8") as config:
                        config.write("".join(f"{line}\n" for line in team))
                    out.extend(f"$ echo '{line}' >> flowctl.yaml" for line in team)
                out.append("")
            blocks.append("```console\n" + "\n".join(out).rstrip() + "\n```\n")
    return blocks


# On the demo's data (`flowctl demo --keep`), as anna: README's report samples and the board.
DEMO_VIEWS = [
    ["report", "funnel"], ["report", "forecast", "--weighted"], ["report", "managers"], ["report", "velocity"],
]
DEMO_BOARD = [["FLOWCTL_NOW=2026-12-01T07:00:00Z", "COLUMNS=80", "board"],  # the next morning: marks appear
              ["FLOWCTL_NOW=2026-12-01T07:00:00Z", "COLUMNS=40", "board", "--user", "anna"]]


def play_demo(commands: list[list[str]], locale: str = ENGLISH) -> str:
    """Each command run as anna in a kept demo workspace; a command may start with VAR=value."""
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "COLUMNS")}
        env.update(FLOWCTL_NOW=NOW, XDG_CACHE_HOME=f"{folder}/.cache", LANG=locale, NO_COLOR="1")
        subprocess.run([sys.executable, "-m", "flowctl", "demo", "--keep", f"{folder}/demo"], env=env, check=True,
                       capture_output=True)
        out = []
        for args in commands:
            settings, args = split_settings(args)
            result = subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=f"{folder}/demo",
                                    env={**env, "FLOWCTL_USER": "anna", **settings}, capture_output=True, text=True)
            shown = "".join(f"{k}={v} " for k, v in settings.items())
            out += ["$ " + shown + "flowctl " + shlex.join(args), (result.stdout + result.stderr).rstrip(), ""]
    return "```console\n" + "\n".join(out).rstrip() + "\n```\n"


# `flowctl test` in a new workspace: the shipped M1 scenario, then a pull request's version of the pipeline that
# lets the manager move a deal out of «ОБЪЕМЫ У ТУРАЛА» too.
MUTANT = ("mkdir pr && sed 's/    roles: \\[engineer\\]   # M1/    roles: [engineer, manager]/' "
          "pipelines/krovlya.yaml > pr/krovlya.yaml")
TESTS = [["init", "--user", "olga", "--name", "Ольга"], ["test", "--rule", "M1"], ["SHELL", MUTANT],
         ["test", "--rule", "M1", "--pipeline", "pr/krovlya.yaml"]]


def play_tests(locale: str = ENGLISH) -> str:
    """The TESTS commands in a fresh folder; a ["SHELL", line] entry is run by the shell and shown as typed."""
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
        env.update(FLOWCTL_NOW=NOW, XDG_CACHE_HOME=f"{folder}/.cache", LANG=locale)
        out = []
        for args in TESTS:
            if args[0] == "SHELL":
                subprocess.run(args[1], shell=True, cwd=folder, check=True)
                out += ["$ " + args[1], ""]
                continue
            result = subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=folder, env=env,
                                    capture_output=True, text=True)
            out.append("$ flowctl " + shlex.join(args))
            out += [text for text in [(result.stdout + result.stderr).rstrip()] if text]
            out += [f"[exit {result.returncode}]"] if result.returncode else []
            out.append("")
    return "```console\n" + "\n".join(out).rstrip() + "\n```\n"


def play(commands: list[list[str]], locale: str = ENGLISH) -> str:
    return play_sections([commands], locale)[0]


if __name__ == "__main__":
    print(play(DEALS))
    print(play(RUSSIAN_DAY, RUSSIAN))
    print("\n".join(play_sections(WORKING_DAY, team=TEAM)))
    print(play_demo(DEMO_VIEWS))
    print(play_demo(DEMO_BOARD, RUSSIAN))
    print(play_tests())
