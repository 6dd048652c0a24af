"""Measured figures for the explorer: `python -m benchmarks [--quick]` writes results.md and results.json."""
