"""Benchmarks: runnable scripts (``python -m benchmarks.<name>``) and the helpers they share."""
