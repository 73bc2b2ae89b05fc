"""`python -m bot`: validate the settings, then run the bot; `python -m bot playground` runs
it in a browser instead, against the local Bot API emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import logs
from bot.app import run
from bot.config import SettingsError, load_settings
from bot.playground import run as playground


def main(argv: list[str] | None = None) -> int:
    arguments = _parse(argv)
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
    run(settings)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
