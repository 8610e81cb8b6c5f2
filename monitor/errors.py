"""The monitor's one exception tree; lower libraries' errors are translated at the edge.

MonitorError
├── ConfigError            a setting or configuration file is wrong
├── InputError             an item file or stream cannot be read
└── RuleError              one problem in a rules file, at path:line:col
    └── RuleSetError       several RuleErrors collected from one load
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """A setting or configuration file is missing or invalid."""


class InputError(MonitorError):
    """An input file or stream of items cannot be read."""


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column count from 1, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


class RuleError(MonitorError):
    """One problem in a rules file, reported as `path:line:col: message`."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message

    @classmethod
    def at_path(cls, path: str, message: str) -> RuleError:
        return cls(Location(path), message)


class RuleSetError(RuleError):
    """Every problem found while loading a set of rules files."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.location, first.message)
        self.args = ("\n".join(str(e) for e in self.errors),)
