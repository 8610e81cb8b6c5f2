"""Rules that follow their files: reloaded when they change, the last good set kept on error."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.errors import RuleSetError
from monitor.rules import pattern_readings, prefilter
from monitor.rules.loader import load_rules, rule_file_stamps
from monitor.rules.matcher import Matcher

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class RuleReloader:
    """Holds the matcher of the newest good version of some rules files."""

    def __init__(self, paths: Sequence[Path], readings: Path | None = None) -> None:
        """`readings`: a file to keep the patterns' readings in between processes (see
        monitor.rules.pattern_readings)."""
        self.paths = list(paths)
        self.last_error: RuleSetError | None = None
        self.failed_at: float | None = None
        self._readings = readings
        self._signature = self._current_signature()
        self.matcher = self._matcher()
        self.loaded_at = time.time()
        self._checked = time.monotonic()

    def refresh(self, *, at_most_every: float = 0.0) -> bool:
        """Reload if any file changed; True when a new set was taken, False otherwise.
        Within `at_most_every` seconds of the last look, the files are not looked at: with
        a thousand files, a look costs more than matching a batch."""
        if time.monotonic() - self._checked < at_most_every:
            return False
        self._checked = time.monotonic()
        try:
            signature = self._current_signature()
        except RuleSetError as exc:
            return self._keep(exc)
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            self.matcher = self._matcher()
        except RuleSetError as exc:
            return self._keep(exc)
        self.last_error, self.failed_at, self.loaded_at = None, None, time.time()
        log.info("rules reloaded: %d rule(s)", len(self.matcher.rules))
        return True

    def _matcher(self) -> Matcher:
        if self._readings is None:
            return Matcher(load_rules(self.paths))
        recalled = pattern_readings.recall(self._readings)
        matcher = Matcher(load_rules(self.paths))
        if not recalled.issuperset(prefilter.readings()):  # read something the file lacked
            pattern_readings.keep(self._readings)
        return matcher

    def _keep(self, error: RuleSetError) -> bool:
        self.last_error, self.failed_at = error, time.time()
        log.error("rules not reloaded, keeping the last good set:\n%s", error)
        return False

    def _current_signature(self) -> Signature:
        return tuple(rule_file_stamps(self.paths))
