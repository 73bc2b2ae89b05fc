"""SQLite storage: the connection, migrations and one repository per table group.

Nothing in this package knows about Telegram or HTTP.
"""
