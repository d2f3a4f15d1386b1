"""Regenerates the console sessions quoted in README.md from real runs: python docs/session.py > /tmp/s.md
(the English session, then the Russian one).

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

ENGLISH, RUSSIAN = "C.UTF-8", "ru_RU.UTF-8"


def play_sections(sections: list[list[list[str]]], locale: str = ENGLISH) -> list[str]:
    """Plays every section's commands, in order, in one fresh workspace; one console block per section."""
    blocks = []
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
        env.update(FLOWCTL_NOW=NOW, FLOWCTL_USER="ivan", XDG_CACHE_HOME=f"{folder}/.cache", LANG=locale)
        for commands in sections:
            out = []
            for args in commands:
                if args[:1] == ["init"]:
                    env["FLOWCTL_USER"] = args[args.index("--user") + 1]
                result = subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=folder, env=env,
                                        capture_output=True, text=True)
                out.append("$ flowctl " + shlex.join(args))
                text = (result.stdout + result.stderr).rstrip()
                if text:
                    out.append(text)
                if result.returncode:
                    out.append(f"[exit {result.returncode}]")
                if args[0] == "init":
                    with open(Path(folder) / "flowctl.yaml", "a", encoding="utf-8") as config:
                        config.write("  - {login: tural, name: Турал, roles: [engineer]}\n")
                    out.append("$ echo '  - {login: tural, name: Турал, roles: [engineer]}' >> flowctl.yaml")
                out.append("")
            blocks.append("```console\n" + "\n".join(out).rstrip() + "\n```\n")
    return blocks


def play(commands: list[list[str]], locale: str = ENGLISH) -> str:
    return play_sections([commands], locale)[0]


if __name__ == "__main__":
    print(play(DEALS))
    print(play(RUSSIAN_DAY, RUSSIAN))
