"""The year-end: the year workbook (duban year) and the annual edition of the Q4 report (after assess: it may quote the 考核评分)."""
