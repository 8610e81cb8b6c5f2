"""RQ tasks: thin shells that hand queued items to the monitor's pure logic."""
