"""Planted bugs that measure the test suite (``make mutants``; not part of ``make test``)."""
