"""`python -m bot`: validate the settings, then run the bot."""

from __future__ import annotations

import sys

from bot import logs
from bot.app import run
from bot.config import SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"castbot: {err}", file=sys.stderr)
        return 2
    logs.configure(settings)
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
