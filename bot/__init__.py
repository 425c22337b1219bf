"""Channels, the conversation runtime and the outbox."""
