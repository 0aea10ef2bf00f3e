"""The 看板: one self-contained web page per period and per year (``<data>/2024Q2/看板.html``,
``<data>/2024/看板.html``), built from the same computation as the report.

May import: core, documents, taskbook, forms, notify, intake, merge, feedback, report,
assess, annual.
"""
