"""The playground: a local Telegram Bot API emulator that the bot runs against with no token.

The same emulator backs the end-to-end tests, so the tests and the playground never drift.
"""
