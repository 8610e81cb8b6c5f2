#!/usr/bin/env python3
"""Set-up and tasks on a machine with only Python.

    python3 dev.py test              ruff, mypy and the whole test suite
    python3 dev.py monitor [ARGS]    the `monitor` command (default: `monitor run`)

Both create `.venv` and install the project into it when needed. The monitor runs in
the directory it is called from, so relative paths mean what they say there; its rules,
feeds, channels and data default to the project's.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"

PROJECT_DEFAULTS = {
    "MONITOR_HOME": ROOT / ".monitor",
    "MONITOR_RULES": ROOT / "rules",
    "MONITOR_FEEDS": ROOT / "feeds.yaml",
    "MONITOR_CHANNELS": ROOT / "channels.yaml",
}
"""Settings the monitor would otherwise look for in the current directory."""


def ensure_installed() -> None:
    """Create the virtual environment and install the project with its dev tools."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def run(*command: str) -> int:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def test(pytest_args: list[str]) -> int:
    checks = [
        (str(BIN / "ruff"), "check", "."),
        (str(BIN / "ruff"), "format", "--check", "."),
        (str(BIN / "mypy"),),
    ]
    for check in checks:
        if run(*check) != 0:
            return 1
    return run(str(BIN / "python"), "-m", "pytest", *pytest_args)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("test", "monitor"):
        print(__doc__)
        return 2
    ensure_installed()
    if argv[0] == "test":
        return test(argv[1:])
    for name, path in PROJECT_DEFAULTS.items():
        os.environ.setdefault(name, str(path))
    monitor = str(BIN / "monitor")
    os.execv(monitor, [monitor, *(argv[1:] or ["run"])])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
