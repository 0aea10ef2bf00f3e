"""A lost or damaged ledger rebuilt from the files on disk (``duban recover``).

May import: core, documents, taskbook, forms, notify, intake, merge, feedback, report,
assess, annual, dashboard, sample.
"""
