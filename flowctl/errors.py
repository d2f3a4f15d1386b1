"""The error family: every refusal a user can meet, each with its exit code.

The CLI's one error boundary turns a FlowError into a one-line message on
stderr and exits with `error.exit_code`; nothing else decides exit codes.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes, documented in README (compare httpie's ExitStatus)."""

    OK = 0
    REFUSED = 1  # a rule refused the command, or problems were found
    USAGE = 2  # bad command line or bad value typed by the user
    INVALID_CONFIG = 3  # the pipeline or workspace file is invalid
    NOT_FOUND = 4
    NOT_PERMITTED = 5  # the acting user's role may not do this
    STORE = 6  # the store is busy, in conflict or damaged
    INTERNAL = 70  # a bug: please report it with --traceback output


class FlowError(Exception):
    exit_code: ExitCode = ExitCode.REFUSED

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RuleRefused(FlowError):
    exit_code = ExitCode.REFUSED


class UsageError(FlowError):
    exit_code = ExitCode.USAGE


class ConfigError(FlowError):
    exit_code = ExitCode.INVALID_CONFIG


class NotFound(FlowError):
    exit_code = ExitCode.NOT_FOUND


class NotPermitted(FlowError):
    exit_code = ExitCode.NOT_PERMITTED


class StoreError(FlowError):
    exit_code = ExitCode.STORE
