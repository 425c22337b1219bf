"""Survey aggregation in SQL, small-cell suppression, exports and charts (results → store)."""
