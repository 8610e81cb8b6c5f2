"""The ops dashboard: `monitor dashboard` serves pages (each with a JSON twin), /healthz
and /metrics over the monitor's Redis."""
