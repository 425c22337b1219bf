"""The admin API (FastAPI) and the staff web pages."""
