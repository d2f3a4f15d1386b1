"""A deterministic synthetic workspace built from the shipped pipeline, for the benchmark.

    python bench/generate.py DIR [--deals 100000] [--seed 7]

Default size: 100,000 deals, ~300,000 tasks, ~1,000,000 history events, 20 managers, deals
spread over the two years before the pinned clock, across every stage. Rows are written with
the SQLite store's own schema (the store creates it) in one transaction; values have the same
shape the services write, so every command reads them as it would real data.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)  # the clock every benchmark command is pinned to
MANAGERS = [f"m{i:02d}" for i in range(1, 21)]
PATH = ["new_lead", "in_work", "hot", "volumes"]
# where deals are now: two years of a department's history, most of it closed; ~750 open deals a manager
SHARES = [("won", 0.25), ("lost", 0.60), ("new_lead", 0.002), ("in_work", 0.05), ("hot", 0.04), ("volumes", 0.02),
          ("proposal_ready", 0.025), ("estimate_ready", 0.013)]
TASK_TYPES = ["call", "get_plan", "tech_assignment", "present_offer", "close_payment"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def workspace_yaml(store: str, database_roles: dict[str, str] | None = None) -> str:
    """The workspace file; on a PostgreSQL store, `database_roles` maps logins to the roles they connect as."""
    def member(login: str, name: str, roles: str) -> str:
        role = (database_roles or {}).get(login)
        return f"  - {{login: {login}, name: {name}, roles: [{roles}]{f', database_role: {role}' if role else ''}}}"

    team = [member(m, f"Менеджер {m}", "manager") for m in MANAGERS]
    team += [member("tural", "Турал", "engineer"), member("olga", "Ольга", "head, manager")]
    return (f"version: 1\nstore: {store}\npipelines: [pipelines]\ntimezone: Europe/Moscow\n"
            "powers: {import: [head], restore: [head], migrate: [head], publish: [head]}\nteam:\n"
            + "\n".join(team) + "\n")


def path_to(stage: str, rng: random.Random) -> list[str]:
    if stage in PATH:
        return PATH[: PATH.index(stage) + 1]
    if stage in ("proposal_ready", "estimate_ready"):
        return PATH + [stage]
    if stage == "won":
        return PATH + [rng.choice(["proposal_ready", "estimate_ready"]), "won"]
    return PATH[: rng.randint(1, 4)] + ["lost"]


def build(folder: Path, deals: int, seed: int) -> dict:
    from flowctl.store import open_store

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pipelines").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "pipelines" / "krovlya.yaml", folder / "pipelines" / "krovlya.yaml")
    (folder / "flowctl.yaml").write_text(workspace_yaml("flowctl.db"), "utf-8")
    db_path = folder / "flowctl.db"
    db_path.unlink(missing_ok=True)
    store = open_store(str(db_path), create=True)  # a .db path: an SQLite store, whose connection we fill
    db = store._db
    stages, weights = zip(*SHARES)
    contacts, deal_rows, task_rows, event_rows = [], [], [], []
    task_id = event_id = 0
    n_contacts = deals // 2

    def event(at, actor, kind, deal_id, data, task=None, stage_to=None):
        nonlocal event_id
        event_id += 1
        event_rows.append((event_id, iso(at), actor, kind, deal_id, None, task, stage_to,
                           json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))))

    for cid in range(1, n_contacts + 1):
        kind = rng.choice(["builder", "private"])
        phone = f"+79{cid:09d}"
        contacts.append((cid, json.dumps({"name": f"Клиент {cid}", "phone": phone, "client_type": kind},
                                         ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                         phone, iso(NOW - timedelta(days=800)), None))
    for deal_id in range(1, deals + 1):
        final = rng.choices(stages, weights)[0]
        who = MANAGERS[deal_id % len(MANAGERS)]
        start = NOW - timedelta(days=rng.uniform(0.02 if final == "new_lead" else 3, 730))
        route = path_to(final, rng)
        budget = f"{rng.randint(50, 5000) * 1000}.00" if final in ("proposal_ready", "estimate_ready", "won") or (
            final == "lost" and "volumes" in route) else None
        fields = {"responsible": who, "product": "КРОВЛЯ", "lead_date": start.date().isoformat(),
                  "client_type": rng.choice(["builder", "private"])}
        fields["houses"] = rng.randint(1, 9)
        if len(route) > 2:
            fields.update(site="Званка", construction_stage="коробка", buys_when=(start + timedelta(days=20)).date().isoformat())
        if "volumes" in route:
            fields.update(roof_plan="plan", coating="металлочерепица", thickness="0,5")
        if budget:
            fields["budget"] = budget
        if final == "lost":
            fields["lost_reason"] = "bought_elsewhere"
        at = start
        event(at, who, "deal.created", deal_id, {"pipeline": "krovlya", "stage": route[0], "fields": fields},
              stage_to=route[0])
        span = max(NOW - start, timedelta(minutes=5))
        for previous, stage in zip(route, route[1:]):
            task_id += 1
            done = at + span / (len(route) + 1)
            task_rows.append((task_id, deal_id, rng.choice(TASK_TYPES), iso(done), who, "Позвонить", "done",
                              iso(at), who, previous, "Поговорили с клиентом", "call", iso(done)))
            event(at, who, "task.added", deal_id, {"type": "call", "due": iso(done), "responsible": who,
                                                   "text": "Позвонить"}, task_id)
            event(done, who, "task.done", deal_id, {"type": "call", "result": "Поговорили", "contact": "call"}, task_id)
            at = done
            actor = "tural" if previous == "volumes" and stage != "lost" else who
            event(at, actor, "deal.stage", deal_id, {"from": previous, "to": stage}, stage_to=stage)
        if final not in ("won", "lost"):
            task_id += 1
            due = NOW + timedelta(hours=rng.uniform(-12, 14 * 24))  # the next two weeks, a few overdue
            task_rows.append((task_id, deal_id, rng.choice(TASK_TYPES), iso(due), who, "Связаться", "open",
                              iso(at), who, None, None, None, None))
            event(at, who, "task.added", deal_id, {"type": "call", "due": iso(due), "responsible": who,
                                                   "text": "Связаться"}, task_id)
        deal_rows.append((deal_id, "krovlya", final, rng.randint(1, n_contacts), who,
                          int(float(budget) * 100) if budget else None, fields["lead_date"],
                          json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                          iso(start), iso(at), iso(at), None))
    with store.transaction():
        db.executemany("INSERT INTO contacts (id, fields, phone, created_at, external_id) VALUES (?, ?, ?, ?, ?)",
                       contacts)
        db.executemany("INSERT INTO deals (id, pipeline, stage, contact_id, responsible, budget_minor, lead_date,"
                       " fields, created_at, stage_since, updated_at, external_id)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", deal_rows)
        db.executemany("INSERT INTO tasks (id, deal_id, type, due, responsible, text, status, created_at, created_by,"
                       " stage, result, contact_kind, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       task_rows)
        db.executemany("INSERT INTO events (id, at, actor, kind, deal_id, contact_id, task_id, stage_to, data)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
    db.execute("ANALYZE")
    store.close()
    return {"deals": len(deal_rows), "tasks": len(task_rows), "events": len(event_rows), "contacts": len(contacts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(build(args.folder, args.deals, args.seed))


if __name__ == "__main__":
    main()
