"""`python -m bot`: validate the settings, then run the bot.

`python -m bot playground` runs it in a browser instead, against the local Bot API emulator;
`python -m bot backup PATH` writes a consistent copy of the database (for cron; it works
while the bot runs).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bot import logs
from bot.app import run
from bot.config import SettingsError, load_database_settings, load_settings
from bot.playground import run as playground
from storage.backup import NoDatabase, write_backup
from storage.lock import DatabaseInUse


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "backup":
        return backup(arguments.path)
    overrides = (
        playground.settings_overrides(arguments.database)
        if arguments.command == "playground"
        else {}
    )
    try:
        settings = load_settings(**overrides)
    except SettingsError as err:
        print(f"castbot: {err}", file=sys.stderr)
        return 2
    logs.configure(settings)
    if arguments.command == "playground":
        return playground.run(settings, port=arguments.port)
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
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Run castbot (settings come from the environment)."
    )
    commands = parser.add_subparsers(dest="command")
    web = commands.add_parser(
        "playground",
        help="run the bot in a browser: no token, no provider key",
        description="Run the bot against a local Telegram emulator with a web chat.",
    )
    web.add_argument(
        "--port", type=int, default=playground.DEFAULT_PORT, help="the web chat's port"
    )
    web.add_argument(
        "--database",
        type=Path,
        default=playground.DEFAULT_DATABASE,
        help="the SQLite file, emptied at every start",
    )
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
