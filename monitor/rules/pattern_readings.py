"""The prefilter's readings of the rules' patterns (monitor.rules.prefilter), kept in a file
under MONITOR_HOME between processes: reading the shipped patterns takes a third of a
second, more than twice the rest of building their matcher, and every worker that starts
and every replay read them afresh.

A reading follows from a pattern's source, the prefilter's code and Python's parser of
regular expressions alone, so the file holds the version of both it was read with, and a
file of another version, or one that cannot be read, is passed over: the patterns are
read again and the file written anew.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from monitor.rules import prefilter
from monitor.rules.prefilter import Clause

log = logging.getLogger(__name__)

FORMAT = 1


def readings_file(home: Path) -> Path:
    """Where the readings are kept for a monitor whose home is `home`."""
    return home / "cache" / "pattern-readings.json"


@cache
def reader_version() -> str:
    """The prefilter's code and Python's version, which readings depend on."""
    code = Path(prefilter.__file__).read_bytes()
    return f"{platform.python_version()}:{hashlib.sha256(code).hexdigest()[:16]}"


def recall(path: Path) -> frozenset[str]:
    """Take the readings kept in `path` when it holds this version's; the sources of the
    patterns it held (none when it could not be taken)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = _readings_of(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return frozenset()
    prefilter.remember(known)
    return frozenset(known)


def keep(path: Path) -> None:
    """Write every reading known in this process to `path`, whole or not at all; a home
    that cannot be written, or a prefilter whose code cannot be read for its version (an
    install without sources), leaves the patterns to be read again next time."""
    temporary: Path | None = None
    try:
        data = {
            "format": FORMAT,
            "reader": reader_version(),
            "readings": {
                source: [sorted(clause) for clause in clauses]
                for source, clauses in prefilter.readings().items()
            },
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: workers that start together each write theirs, then one wins.
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        temporary = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError as exc:
        log.debug("pattern readings not kept in %s: %s", path, exc)
        if temporary is not None:
            with suppress(OSError):
                temporary.unlink()


def _readings_of(data: Any) -> dict[str, tuple[Clause, ...]]:
    """The readings of a kept file; ValueError when it is of another version or shape."""
    if data["format"] != FORMAT or data["reader"] != reader_version():
        raise ValueError("readings of another version")
    known = {}
    for source, clauses in data["readings"].items():
        if not (isinstance(source, str) and isinstance(clauses, list)):
            raise ValueError("not a reading")
        for clause in clauses:
            if not (isinstance(clause, list) and all(isinstance(s, str) for s in clause)):
                raise ValueError("not a clause")
        known[source] = tuple(map(frozenset, clauses))
    return known
