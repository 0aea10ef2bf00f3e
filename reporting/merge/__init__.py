"""The merged result of a period: judgement, the one tally of task rows, the 汇总表, the
collect-then-merge step, the comparison with last quarter.

May import: core, documents, taskbook, forms, notify, intake.
"""
