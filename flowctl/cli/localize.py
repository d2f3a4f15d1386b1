"""The command line's own texts in the user's language: every command's and option's help, and what the
command-line parser says (Usage:, Try '… --help' for help., Error: Missing argument 'ID'.).

typer 0.28 vendors a click whose texts are plain English, not gettext calls, so they are translated here from
their English templates (messages.py, `cli_*`): a parser message is matched against each template, and the
translation is filled with what it matched. Only a language other than English pays for any of this.
"""

import io
import re
import string
import sys
from functools import lru_cache

import typer

from flowctl import language
from flowctl import messages as M

# The parser's messages, most specific first (a template whose parts hold other messages comes before them).
# typer's own (No such command 'x'., Missing command.) are gettext calls and arrive translated already.
_PARSER_MESSAGES = (
    "cli_did_you_mean", "cli_possible_options", "cli_invalid_value", "cli_invalid_value_plain",
    "cli_missing_argument", "cli_missing_option", "cli_missing_parameter", "cli_no_such_option",
    "cli_extra_arguments", "cli_requires_argument",
    "cli_no_value", "cli_not_integer", "cli_not_integer_range", "cli_not_float", "cli_not_boolean",
    "cli_not_in_range",
)
_NESTED = ("message", "reason")  # parts that are themselves parser messages


def help_texts(command):
    """(object, attribute) of every help text under `command`: what a user reads in --help."""
    yield command, "help"
    yield command, "short_help"
    for param in command.params:
        yield param, "help"
    for sub in getattr(command, "commands", {}).values():
        yield from help_texts(sub)


def commands(command):
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from commands(sub)


def localize(root) -> None:
    """Put the command tree, built in English, in the user's language. A process builds it once per run; a caller
    that keeps one tree for many runs (the test suite) may switch languages between them: the English texts are
    kept beside the translations."""
    code = language.current()
    if getattr(root, "_flowctl_language", "en") == code:
        return
    for holder, attribute in help_texts(root):
        english = holder.__dict__.setdefault(f"_flowctl_english_{attribute}", getattr(holder, attribute, None))
        if english:
            setattr(holder, attribute, english if code == "en" else language.translate(english))
    for command in commands(root):
        for attribute in ("context_class", "get_help_option"):
            command.__dict__.pop(attribute, None)  # the class's own again
        if code != "en":
            command.context_class = LocalizedContext
            command.get_help_option = _localized_help_option(command.get_help_option)
        elif getattr(command, "_help_option", None) is not None:
            command._help_option.help = M.TEXTS["cli_show_help"]
    root._flowctl_language = code


def _localized_help_option(original):
    def get_help_option(ctx):
        option = original(ctx)
        if option is not None:
            option.help = M.text("cli_show_help")
        return option

    return get_help_option


def _usage(text: str) -> str:
    prefix = "Usage: "
    return M.composed("cli_usage", usage=text[len(prefix):]) if text.startswith(prefix) else text


class LocalizedContext(typer.Context):
    def get_usage(self) -> str:
        return _usage(super().get_usage())

    def get_help(self) -> str:
        return _usage(super().get_help())


@lru_cache(maxsize=None)
def _pattern(message_id: str) -> re.Pattern:
    parts = []
    for literal, field, _, _ in string.Formatter().parse(M.TEXTS[message_id]):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


def parser_message(text: str) -> str:
    """A parser message in the user's language (as it is, if no template matches it)."""
    for message_id in _PARSER_MESSAGES:
        found = _pattern(message_id).fullmatch(text)
        if found:
            parts = {k: parser_message(v) if k in _NESTED else v for k, v in found.groupdict().items()}
            return M.text(message_id, **parts)
    return text


def localize_error(error) -> None:
    """Make a usage error show itself in the user's language: its usage line, its hint and its message."""
    if language.current() == "en" or not hasattr(error, "format_message"):
        return
    show = error.show

    def localized_show(file=None):
        shown = io.StringIO()
        show(file=shown)
        lines = []
        for line in shown.getvalue().split("\n"):
            if line.startswith("Error: "):
                line = M.text("cli_error", message=parser_message(line[len("Error: "):]))
            elif re.fullmatch(r"Try '.+' for help\.", line):
                line = M.text("cli_try_help", command=line[len("Try '"):-len("' for help.")])
            lines.append(_usage(line))
        typer.echo("\n".join(lines), file=file or sys.stderr, nl=False)

    error.show = localized_show
