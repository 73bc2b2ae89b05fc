"""Fake servers (Telegram Bot API, providers) that end-to-end tests run the real bot against."""
