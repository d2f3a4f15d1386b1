"""How `flowctl board` draws its columns in a terminal of any width.

The columns stand side by side when each gets MIN_COLUMN terminal columns; otherwise they wrap into bands
of as many as fit (balanced: six stages on 80 columns are two bands of three), down to one stage under
another on a narrow terminal. A card takes one line when the contact's name keeps MIN_NAME columns beside
the budget and the time in the stage, else two. Every line is cut to the width, an ellipsis where text was
cut, counting what a terminal shows (render.display_width): no line is ever longer than the terminal.

On a terminal the headings are bold and the columns ruled with box-drawing lines; piped, or with NO_COLOR
set, the board is plain text.
"""

import math
import re
from dataclasses import dataclass

from flowctl import messages as M
from flowctl.render import char_width, display_width

OVER_LIMIT, OVERDUE = "*", "!"  # the marks of a card: longer in its stage than max_stay; an overdue open task
MIN_COLUMN = 24  # the narrowest column drawn beside another
MIN_NAME = 10  # what a one-line card keeps of the contact's name
ONE_LINE_GUESS = 44  # the column width from which cards are expected on one line (fitting the height)
ELLIPSIS = "…"


@dataclass(frozen=True)
class Style:
    tty: bool

    @property
    def gap(self) -> str:
        return " │ " if self.tty else "  "

    @property
    def junction(self) -> str:
        """The gap where the rules under the headings meet."""
        return "─┼─" if self.tty else "  "

    @property
    def rule(self) -> str:
        return "─" if self.tty else "-"

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.tty and text else text


def clip(text: str, width: int) -> str:
    """`text` in at most `width` terminal columns, an ellipsis where it was cut."""
    if display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    kept, used = [], 0
    for ch in text:
        used += char_width(ch)
        if used > width - 1:
            break
        kept.append(ch)
    return "".join(kept) + ELLIPSIS


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal columns, broken between words, never inside an amount
    (1 254 000.00); a word too long is cut."""
    lines: list[str] = []
    for word in re.split(r"(?<!\d) | (?!\d)", text):
        if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(clip(word, width))
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - display_width(text)) + text


def geometry(stages: int, width: int, style: Style) -> tuple[int, int]:
    """(columns in a band, the width of each): as many side by side as fit, bands balanced."""
    gap = len(style.gap)
    stages = max(1, stages)
    per_band = max(1, min(stages, (width + gap) // (MIN_COLUMN + gap)))
    per_band = math.ceil(stages / math.ceil(stages / per_band))
    return per_band, max(1, (width - gap * (per_band - 1)) // per_band)


def fitting_limit(stages: int, width: int, height: int, style: Style) -> int:
    """How many cards a column shows so that the board fits the terminal's height (3 at least)."""
    per_band, column = geometry(stages, width, style)
    bands = math.ceil(max(1, stages) / per_band)
    card_lines = 1 if column >= ONE_LINE_GUESS else 2
    # the title and a blank line, per band three heading lines, a "+K more" and a blank line, two of legend,
    # and the shell's prompt
    free = height - 2 - bands * 5 - 2 - 1
    return max(3, free // (bands * card_lines))


@dataclass
class Card:
    ident: str
    name: str
    budget: str
    age: str
    marks: str  # two columns: OVER_LIMIT or a space, OVERDUE or a space


def _card_lines(cards: list[Card], width: int) -> list[str]:
    """Each card of a column: on one line if the name keeps MIN_NAME columns, else on two."""
    if not cards:
        return []
    id_w = max(display_width(c.ident) for c in cards)
    budget_w = max(display_width(c.budget) for c in cards)
    age_w = max(display_width(c.age) for c in cards)
    marked = any(c.marks.strip() for c in cards)
    right_w = budget_w + 2 + age_w + (3 if marked else 0)
    lines = []
    one_line = width >= id_w + 1 + MIN_NAME + 2 + right_w
    for c in cards:
        figures = _right(c.budget, budget_w) + "  " + _right(c.age, age_w) + (" " + c.marks if marked else "")
        if one_line:
            left_w = width - 2 - right_w
            lines.append(_pad(clip(f"{_pad(c.ident, id_w)} {c.name}", left_w), left_w) + "  " + figures)
        else:
            lines.append(clip(f"{c.ident} {c.name}", width))
            indented = " " * (id_w + 1) + figures
            lines.append(clip(indented if display_width(indented) <= width else figures.lstrip(), width))
    return [line.rstrip() for line in lines]


@dataclass
class Column:
    label: str
    deals: str  # "12 deals"
    budget: str  # "3 400 000.00"
    cards: list[Card]
    more: str  # "+K more", or ""


HEADING, RULE, PLAIN = "heading", "rule", "plain"


def _heading(column: Column, width: int) -> list[tuple[str, str]]:
    """The stage's name, then its figures: on one line when they fit, else the count above the budget."""
    figures = M.text("board_figures", deals=column.deals, budget=column.budget)
    lines = [figures] if display_width(figures) <= width else [column.deals, column.budget]
    return [(clip(column.label, width), HEADING)] + [(clip(line, width), PLAIN) for line in lines]


def _body(column: Column, width: int, style: Style) -> list[tuple[str, str]]:
    """The rule under the heading, the cards and the "+K more" line: (text, kind), each within `width`."""
    lines = [(style.rule * width, RULE)] + [(line, PLAIN) for line in _card_lines(column.cards, width)]
    if column.more:
        lines.append((clip(column.more, width), PLAIN))
    return lines


def draw(title: str, columns: list[Column], legend: list[str], width: int, style: Style) -> str:
    """The board: its title, the columns in bands, and the legend of the marks shown (title and legend wrapped
    between words, every other line cut to the width)."""
    width = max(1, width)
    per_band, column_w = geometry(len(columns), width, style)
    out = [style.bold(line) for line in wrap(title, width)] + [""]
    for start in range(0, len(columns), per_band):
        headings = [_heading(c, column_w) for c in columns[start:start + per_band]]
        depth = max(len(h) for h in headings)  # the rules under the headings on one line
        band = [h + [("", PLAIN)] * (depth - len(h)) + _body(c, column_w, style)
                for h, c in zip(headings, columns[start:start + per_band])]
        if start:
            out.append("")
        for depth in range(max(len(lines) for lines in band)):
            cells, kinds = [], set()
            for index, lines in enumerate(band):
                text, kind = lines[depth] if depth < len(lines) else ("", PLAIN)
                kinds.add(kind)
                cell = text if index == len(band) - 1 else _pad(text, column_w)
                cells.append(style.bold(text) + cell[len(text):] if kind == HEADING else cell)
            gap = style.junction if kinds == {RULE} else style.gap
            out.append(gap.join(cells).rstrip())
    if legend:
        out.append("")
        out += [line for text in legend for line in wrap(text, width)]
    return "\n".join(out)
