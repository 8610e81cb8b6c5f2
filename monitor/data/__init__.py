"""Data files shipped with the monitor."""
