"""The 公文 report, the leader briefs, the chart and the template check.

May import: core, documents, taskbook, forms, notify, intake, merge, feedback.
"""
