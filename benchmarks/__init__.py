"""Benchmarks: each script prints a markdown table; results are copied into benchmarks/README.md."""
