"""Reading untrusted spreadsheets; the xlsx and docx building blocks (styles, direct XML,
公文 parts); LibreOffice and fonts.

May import: core.
"""
