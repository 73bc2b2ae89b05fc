"""`python -m bot`: validate the settings, then run the bot."""

from __future__ import annotations

import logging
import sys

from bot.app import run
from bot.config import SettingsError, load_settings
from storage.lock import DatabaseInUse


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as err:
        print(f"castbot: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return run(settings)
    except DatabaseInUse as err:
        print(f"castbot: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
