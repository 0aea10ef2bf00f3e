"""Simulated returns and mails for the demo, the tests and the benchmarks.

May import: core, documents, taskbook, forms, notify, intake, merge, feedback, report,
assess, annual, dashboard.
"""
