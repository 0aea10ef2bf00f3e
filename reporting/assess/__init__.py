"""What the office owes the units: the quarterly 督查通报 and the year's 考核评价.

May import: core, documents, taskbook, forms, notify, intake, merge, feedback, report.
"""
