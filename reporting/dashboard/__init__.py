"""The 看板: one self-contained web page per period and per year (``<data>/2024Q2/看板.html``,
``<data>/2024/看板.html``), built from the same computation as the report."""
