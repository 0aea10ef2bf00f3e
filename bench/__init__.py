"""Benchmarks (``make bench``): speed and memory figures, never run by ``make test``."""
