"""督查通报 and 考核评价: what the office owes the units (after the report)."""
