"""Benchmark of the offline preview and policy check (``make bench``; see docs/performance.md)."""
