"""`python -m bot`: validate the settings, then run the bot.

`python -m bot backup PATH` writes a consistent copy of the database instead (for cron; it
works while the bot runs).
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from pathlib import Path

from bot.app import run
from bot.config import SettingsError, load_database_settings, load_settings
from storage.backup import NoDatabase, write_backup
from storage.lock import DatabaseInUse


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "backup":
        return backup(arguments.path)
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


def backup(target: Path) -> int:
    """Copy DATABASE_PATH to `target`; silent when it worked, one line when not."""
    try:
        write_backup(load_database_settings().database_path, target)
    except (SettingsError, NoDatabase, OSError, sqlite3.Error) as err:
        print(f"castbot: backup failed: {err}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run castbot.")
    commands = parser.add_subparsers(dest="command")
    backup_command = commands.add_parser(
        "backup",
        help="write a consistent copy of the database to PATH, safe while the bot runs",
    )
    backup_command.add_argument(
        "path", type=Path, metavar="PATH", help="where to write it; gzip-compressed if *.gz"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
