"""Benchmarks: ``make bench`` runs every ``bench/bench_*.py`` and collects its figures."""
