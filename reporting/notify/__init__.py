"""Notices, reminders and receipts to the units: mail, robots, the printable 催报清单.

May import: core, documents, taskbook, forms.
"""
