"""The monitor's settings: one table, read from the environment once.

| variable        | default          | meaning                                   |
|-----------------|------------------|-------------------------------------------|
| MONITOR_RULES   | ./rules          | directory (or file) of YAML rules         |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Every setting the monitor reads, with its default."""

    rules: Path = Path("rules")

    @classmethod
    def from_env(cls) -> Settings:
        return cls(rules=Path(os.environ.get("MONITOR_RULES", "rules")))
