#!/usr/bin/env python3
"""Set-up and tasks on a machine with only Python.

    python3 dev.py test              ruff, mypy and the whole test suite (as root, first
                                     apt-get installs chromium and fonts-noto-core if missing)
    python3 dev.py monitor [ARGS]    the `monitor` command (default: `monitor run`)

Both create `.venv` and install the project into it when needed. The monitor runs in
the directory it is called from, so relative paths mean what they say there; its rules,
feeds, channels and data default to the project's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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

SYSTEM_PACKAGES = ("chromium", "fonts-noto-core")
"""Debian packages the browser tests need: the browser they drive, and its Arabic glyphs."""


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


def compile_bytecode() -> None:
    """Write the bytecode of the project's own modules: an editable install leaves it to
    imports, and where PYTHONDONTWRITEBYTECODE is set (CI, many images) each `monitor`
    process, worker or command, compiled them all again as it started (0.15-0.3 s of a
    worker's start here).
    Modules edited since are compiled again; the rest are only looked at."""
    compileall = [str(BIN / "python"), "-m", "compileall", "-q", "monitor", "workers"]
    subprocess.run(compileall, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)


def missing_system_packages() -> list[str]:
    """The SYSTEM_PACKAGES not installed (without dpkg: chromium, unless it is on PATH)."""
    if shutil.which("dpkg-query") is None:
        return [] if shutil.which("chromium") else ["chromium"]
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *SYSTEM_PACKAGES],
        capture_output=True,
        text=True,
    )
    installed = {
        line.split()[0] for line in listed.stdout.splitlines() if line.endswith(" installed")
    }
    return [name for name in SYSTEM_PACKAGES if name not in installed]


def ensure_system_packages() -> None:
    """Install the missing SYSTEM_PACKAGES as root (CI); otherwise say how, and go on: the
    browser tests then skip, or fail under CI=true."""
    missing = missing_system_packages()
    if not missing:
        return
    names = " ".join(missing)
    if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("apt-get") is None:
        print(f"{names} missing: browser tests will skip; sudo apt-get install {names}", flush=True)
        return
    print(f"installing {names} with apt-get for the browser tests", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-qq", "-o", "DPkg::Lock::Timeout=600"]
    for step in (["update"], ["install", "-y", "--no-install-recommends", *missing]):
        if subprocess.run([*apt, *step], env=env, stdout=subprocess.DEVNULL).returncode != 0:
            print(f"apt-get {step[0]} failed: browser tests will skip (fail under CI)", flush=True)
            return


def run(*command: str) -> int:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def test(pytest_args: list[str]) -> int:
    ensure_system_packages()
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
    compile_bytecode()
    if argv[0] == "test":
        return test(argv[1:])
    for name, path in PROJECT_DEFAULTS.items():
        os.environ.setdefault(name, str(path))
    monitor = str(BIN / "monitor")
    os.execv(monitor, [monitor, *(argv[1:] or ["run"])])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
