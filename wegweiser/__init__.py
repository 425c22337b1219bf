"""Wegweiser: shared base (settings, translations) and the command line."""
