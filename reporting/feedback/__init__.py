"""配合反馈: cooperating units' answers compiled per lead unit and mailed to it.

May import: core, documents, taskbook, forms, notify, intake, merge.
"""
