"""Texts a young person reads around survey waves (defined in dialogs/survey_messages.py so the
admin API can queue invitations without importing the bot)."""

from __future__ import annotations

from dialogs.survey_messages import SM

__all__ = ["SM"]
