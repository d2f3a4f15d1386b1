"""Working hours (flowctl.yaml `working_hours:`), and the due times flowctl sets by itself inside them.

A stage's on-enter task is due `due_in` after the deal entered the stage (E2, E4). Counted on the clock, a lead
taken on Friday at 20:30 with `due_in: 1d` would be due on Saturday at 20:30, and a call due in 15 minutes at 08:12.
So flowctl counts in the team's working time, in the workspace's time zone:

- **days** (`1d`, `3d`) are working days: the N-th working day after the day the count starts, at the same clock
  time moved into the hours (before the opening: the opening; after the closing: the closing).
  Friday 17:00 + 1d = Monday 17:00; Friday 20:30 + 1d = Monday 18:00; Saturday 12:00 + 1d = Monday 12:00;
  Monday 07:00 + 1d = Tuesday 09:00. A day is "by the same time on the next working day", whatever its hours.
- **minutes and hours** (`15m`, `2h`) are working time: a start outside the hours counts from the next opening,
  and what does not fit before the closing goes on at the next opening.
  17:55 + 15m = the next working day 09:10; Saturday 11:00 + 2h = Monday 11:00; 17:45 + 15m = 18:00 the same day.
  `0m` / `0d`: the start itself if it is in the hours, else the next opening.
- then the seconds are dropped and the time is rounded **up** to the quarter hour (09:10 → 09:15, 09:00 stays).
  Hours open and close on a quarter hour, so the rounded time stays within them; the closing time itself is a
  due time inside the hours (a task due "by the end of the day").

Only times flowctl chooses move: a due time a person types (`task add --due`, `postpone`) is kept as typed.
Hours span one day (`from` before `to`): a night shift past midnight is not expressible.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


class WorkingHours:
    """Working days and the day's hours. A plain class: every command reads it (the published rules hold it), and a
    frozen dataclass costs a millisecond to build at import."""

    __slots__ = ("days", "opens", "closes")

    def __init__(self, days: frozenset[int], opens: time, closes: time):
        self.days = days  # date.weekday(): 0 is Monday
        self.opens = opens
        self.closes = closes  # later than opens, on the same day

    def _key(self) -> tuple:
        return self.days, self.opens, self.closes

    def __eq__(self, other) -> bool:
        return isinstance(other, WorkingHours) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"WorkingHours({self.as_config()})"

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for ahead in range(1, 8):
            if (day + timedelta(days=ahead)).weekday() in self.days:
                return day + timedelta(days=ahead)
        raise ValueError("working hours without a working day")

    def as_config(self) -> dict:
        """As flowctl.yaml writes them."""
        return {"days": [DAY_NAMES[d] for d in sorted(self.days)], "from": f"{self.opens:%H:%M}",
                "to": f"{self.closes:%H:%M}"}


DEFAULT = WorkingHours(frozenset(range(5)), time(9, 0), time(18, 0))  # Monday to Friday, 09:00 to 18:00


def from_config(raw: dict | None) -> WorkingHours:
    """`working_hours:` as the workspace schema let it through; each key left out is the default's."""
    raw = raw or {}
    days = frozenset(DAY_NAMES.index(d) for d in raw["days"]) if "days" in raw else DEFAULT.days
    return WorkingHours(days, _clock(raw.get("from"), DEFAULT.opens), _clock(raw.get("to"), DEFAULT.closes))


def _clock(text: str | None, default: time) -> time:
    if text is None:
        return default
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def due_after(start: datetime, amount: timedelta, in_days: bool, hours: WorkingHours, tz) -> datetime:
    """The due time `amount` after `start` (aware) in working days (`in_days`, `amount` whole days) or in working
    time, rounded up to the quarter hour; aware UTC."""
    local = start.astimezone(tz).replace(tzinfo=None)  # wall time: the hours are wall times, whatever DST does
    if in_days and amount.days > 0:
        day = _working_days_after(local.date(), amount.days, hours)
        due = datetime.combine(day, min(max(local.time(), hours.opens), hours.closes))
    else:
        due = _working_time_after(local, amount, hours)
    # fold=0: zoneinfo picks the offset for a wall time a DST change skips or repeats, as typed times get
    return _quarter_up(due).replace(tzinfo=tz).astimezone(timezone.utc)


def _working_days_after(day: date, count: int, hours: WorkingHours) -> date:
    """The `count`-th working day after `day` (which need not be one): whole weeks at once, then day by day."""
    weeks, rest = divmod(count - 1, len(hours.days))
    for _ in range(rest + 1):
        day = hours.next_working_day(day)
    return day + timedelta(weeks=weeks)  # from a working day, each week holds exactly len(days) working days


def _working_time_after(local: datetime, amount: timedelta, hours: WorkingHours) -> datetime:
    moment = _in_hours(local, hours)
    day_length = datetime.combine(date.min, hours.closes) - datetime.combine(date.min, hours.opens)
    week = day_length * len(hours.days)
    if amount > week:  # from a moment in the hours, a week of working time later is the same time a week on
        weeks = (amount - timedelta(microseconds=1)) // week
        moment, amount = moment + timedelta(weeks=weeks), amount - week * weeks
    while True:
        closing = datetime.combine(moment.date(), hours.closes)
        if moment + amount <= closing:  # the closing time itself is still the day's
            return moment + amount
        amount -= closing - moment
        moment = datetime.combine(hours.next_working_day(moment.date()), hours.opens)


def _in_hours(local: datetime, hours: WorkingHours) -> datetime:
    """`local` when it is in the hours, else the next opening (the closing time counts as closed)."""
    if hours.is_working_day(local.date()) and local.time() < hours.closes:
        return max(local, datetime.combine(local.date(), hours.opens))
    return datetime.combine(hours.next_working_day(local.date()), hours.opens)


def _quarter_up(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    late = moment.minute % 15
    return moment + timedelta(minutes=15 - late) if late else moment
