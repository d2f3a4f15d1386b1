"""The translation catalogs: `python tools/catalog.py` brings them up to date with the code.

What a user reads comes from four places, all gathered into flowctl/locale/flowctl.pot:
- messages.py: TEXTS and PLURALS (each with its id as the gettext context), table HEADERS, RULE_SUMMARIES;
- every command's help and every option's, read from the command tree typer builds (the exact strings --help
  shows, so nothing is missed and nothing is copied);
- typer's own texts (Options, Commands, [default: …]), extracted from its source by Babel.

Then each language's .po (flowctl/locale/<lang>/LC_MESSAGES/flowctl.po, the file a translator edits with Poedit
or any gettext tool) is merged with the template by Babel: new texts arrive untranslated, changed ones marked
fuzzy. Last, every .po is compiled to the .mo that flowctl loads. tests/test_language.py fails when any of this
is stale or incomplete. Babel is a test dependency only; flowctl reads the .mo with the standard library.
"""

from __future__ import annotations

import io
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flowctl import messages as M  # noqa: E402  (the repository's own flowctl, not an installed one)
from flowctl.language import DOMAIN, LANGUAGES, LOCALE_DIR  # noqa: E402

TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TYPER_FILES = ("core.py",)  # its section titles and [default: …]; the click it vendors has no gettext calls
PROJECT = "flowctl"
FIXED_DATE = datetime(2026, 11, 30, tzinfo=timezone.utc)  # the headers' dates: a rerun changes nothing it need not


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(code: str) -> Path:
    return po_path(code).with_suffix(".mo")


def help_texts() -> list[str]:
    import typer.main

    from flowctl.cli.app import app
    from flowctl.cli.localize import help_texts as walk

    texts = (getattr(holder, attribute) for holder, attribute in walk(typer.main.get_command(app).every_command()))
    return sorted({t for t in texts if t})


def library_texts() -> list[tuple[str, ...] | str]:
    """The texts typer passes to gettext, as Babel's Python extractor finds them in its source. (Its parser's
    plain-English texts are messages.py's `cli_*`, translated by flowctl/cli/localize.py.)"""
    import typer

    folder = Path(typer.__file__).parent
    return [message for name in TYPER_FILES for _, message, _, _ in extract_from_file("python", str(folder / name))]


def template(with_libraries: bool = True) -> Catalog:
    catalog = Catalog(project=PROJECT, domain=DOMAIN, fuzzy=False, creation_date=FIXED_DATE)
    for message_id, english in M.TEXTS.items():
        catalog.add(english, context=message_id)
    for message_id, forms in M.PLURALS.items():
        catalog.add(forms, context=message_id)
    for head in sorted(M.HEADERS):
        catalog.add(head, context="column")
    for rule_id, summary in M.RULE_SUMMARIES.items():
        catalog.add(summary, context=f"rule {rule_id}")
    for text in help_texts():
        catalog.add(text)
    if with_libraries:
        for message in library_texts():
            if message and message not in catalog:
                catalog.add(message)
    return catalog


def read(path: Path, code: str) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=code, domain=DOMAIN)


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=120, omit_header=False, ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def update() -> None:
    pot = template()
    TEMPLATE.write_bytes(po_bytes(pot))
    for code in LANGUAGES:
        if code == "en":
            continue  # English is the code's own text
        path = po_path(code)
        if path.exists():
            catalog = read(path, code)
            catalog.update(pot, no_fuzzy_matching=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=code, domain=DOMAIN, project=PROJECT, fuzzy=False, creation_date=FIXED_DATE,
                              revision_date=FIXED_DATE)
            catalog.update(pot)
        path.write_bytes(po_bytes(catalog))
        mo_path(code).write_bytes(mo_bytes(read(path, code)))


if __name__ == "__main__":
    os.chdir(ROOT)
    update()
    for code in LANGUAGES[1:]:
        catalog = read(po_path(code), code)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy or
                                                     (isinstance(m.string, tuple) and not all(m.string)))]
        print(f"{po_path(code).relative_to(ROOT)}: {len(catalog)} texts, {len(missing)} untranslated or fuzzy")
