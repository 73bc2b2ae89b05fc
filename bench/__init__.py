"""The benchmark (not part of the tests): `python -m bench` prints one table.

It runs the real bot as a process (`python -m bot`) against the Bot API emulator
(bot/playground/emulator.py) and the fake ZenCreator (tests/fakes/), both served from the
benchmark's own process, with the provider's rate window scaled down to 6 seconds on both
sides (same limits per window), and every other time scaled with it. Three parts:

1. throughput under the provider's limits (`throughput`),
2. update handling with and without a Bot API round trip (`updates`),
3. the scale of state: start-up and memory with a big database (`state`).

Each part runs once against this tree and once against a baseline commit checked out with
`git worktree add` into a temporary directory (`trees`). See the README for the command and
the last table it printed.
"""
