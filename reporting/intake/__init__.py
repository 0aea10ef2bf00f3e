"""Returned files: identify, validate, archive and record them; the per-unit status.

May import: core, documents, taskbook, forms, notify.
"""
