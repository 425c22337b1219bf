"""Telegram channel on aiogram 3: polling or webhook in, paced shared outbox out."""
