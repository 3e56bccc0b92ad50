"""Benchmarks: `make bench` runs them; figures go in README.md with the machine and date."""
