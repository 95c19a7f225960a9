"""Benchmarks (`make bench`). Each ``bench/bench_*.py`` module defines ``run() -> dict`` returning its
measurements; results are written to ``bench/results/<name>.json`` and summarised in
``bench/results/latest.md``. Never timed in unit tests."""
