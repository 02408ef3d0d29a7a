"""Benchmarks of the portal (`make bench`): figures are written to docs/benchmarks.md."""
