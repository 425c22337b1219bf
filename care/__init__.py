"""Safety and care: local contacts for the help after a danger message, anonymous counts of
that help per category and day, and the urgent contact to a Servicestelle (docs/safety.md)."""
