"""Benchmarks of Accord over real HTTP, on worlds built with the real CLI (docs/benchmarks.md)."""
