"""Running the monitor with its stderr on a pseudo-terminal, as a person at a shell sees it."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile

from tests.processes import CEILING, ROOT


def on_a_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """`monitor ARGS...` run to its end; its return code and what its terminal showed."""
    controller, terminal = os.openpty()
    with tempfile.TemporaryFile() as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            stdout=stdout,
            stderr=terminal,
            env=env,
            cwd=ROOT,
        )
        os.close(terminal)
        try:
            shown = _read_until_closed(controller)
        finally:
            os.close(controller)
        return process.wait(CEILING), shown


def _read_until_closed(controller: int) -> str:
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], CEILING)
        assert ready, f"nothing on the terminal for {CEILING:.0f} s:\n{shown.decode()}"
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # Linux: EIO once the command has closed its side
            chunk = b""
        if not chunk:
            return shown.decode(errors="replace")
        shown += chunk
