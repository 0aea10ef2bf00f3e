"""The year-end: the year in one computation, the year workbook and the annual edition of
the Q4 report (it may quote the 考核评分).

May import: core, documents, taskbook, forms, notify, intake, merge, feedback, report,
assess.
"""
