"""The monitor's one exception tree; lower libraries' errors are translated at the edge.

MonitorError
├── ConfigError            a setting or configuration file is wrong
├── FetchError             a feed could not be fetched; `kind` says why
├── InputError             an item file or stream cannot be read
└── RuleError              one problem in a rules file, at path:line:col
    └── RuleSetError       several RuleErrors collected from one load
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """A setting or configuration file is missing or invalid."""


FetchKind = Literal[
    "refused_address",
    "bad_scheme",
    "too_many_redirects",
    "too_large",
    "timeout",
    "connect",
    "http_status",
    "bad_response",
]
"""Why a fetch failed; the poller keeps it on the feed's health."""


class FetchError(MonitorError):
    """A feed could not be fetched, reported as `feed <id>: <detail>`.

    `retry_after` is the pause in seconds a 429 or 503 asked for, else None.
    """

    def __init__(
        self, feed: str, kind: FetchKind, detail: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"feed {feed}: {detail}")
        self.feed = feed
        self.kind: FetchKind = kind
        self.retry_after = retry_after


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
