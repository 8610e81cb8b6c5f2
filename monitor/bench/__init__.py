"""Benchmarks anyone can run with `monitor bench`: the matcher, the pipeline, the poller and
memory, each compared with a baseline measured in the same run on the same machine."""
