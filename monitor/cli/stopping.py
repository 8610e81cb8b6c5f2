"""How a command stops when told to: SIGTERM and SIGHUP end it as Ctrl-C does.

Python ends at once on those signals by default, skipping the way out Ctrl-C takes, and
what a command had started was left behind: an embedded Redis, a benchmark's workers, a
replay's scratch keys. `monitor run`, `monitor work`, `monitor poll` and the dashboard put
handlers of their own in place of these for the signals they stop on gracefully.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def stop_as_on_ctrl_c() -> None:
    """From now on, SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does."""

    def leave(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in STOP_SIGNALS:
        signal.signal(signum, leave)
