"""castbot: a Telegram frontend for AI media generation."""

import os

# Opt in to python-telegram-bot's coming behaviour: media durations are timedelta objects
# (reading them as integers is deprecated and warns on every access).
os.environ.setdefault("PTB_TIMEDELTA", "true")
