"""Provider clients. Nothing in this package knows about Telegram."""
