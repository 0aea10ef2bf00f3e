"""The task table, the unit registry and who does what; importing a 任务分解 document.

May import: core, documents.
"""
