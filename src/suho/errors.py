"""Errors a user can act on.

``SuhoInputError`` is raised for bad input or configuration: the CLI prints it without a traceback
and exits with code 2. It carries the file and line when the problem is in a file.
"""

from __future__ import annotations


class SuhoError(Exception):
    """Base class for suho's own errors."""


class SuhoInputError(SuhoError):
    """Bad input or configuration: names the file and line where it can."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"
