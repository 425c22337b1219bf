"""The base every package stands on: settings, translation (gettext catalogs and their
status), and text normalisation. Imports nothing of the project."""
