"""One module per ``duban`` command; each exposes ``command``."""
