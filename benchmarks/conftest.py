"""Benchmarks run against the test settings on SQLite in memory (see benchmarks/README.md)."""
