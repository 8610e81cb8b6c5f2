"""A streaming news monitor that alerts on rules written in Arabic and English."""

__version__ = "0.1.0"
