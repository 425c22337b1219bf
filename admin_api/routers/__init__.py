"""Routers under /api/v1; each module is one resource."""
