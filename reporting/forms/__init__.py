"""One protected progress form per unit: sheets, print layout, validations, identification.

May import: core, documents, taskbook.
"""
