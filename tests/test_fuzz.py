"""A few hundred random updates (seeded, so every run sends the same ones) through the Bot
API emulator: afterwards the bot still runs, no handler raised, every button press and every
pre-checkout query was answered, and every balance is the sum of its ledger."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import texts
from bot.playground.emulator import (
    BotApiEmulator,
    EmulatedGroup,
    EmulatedUser,
    SentMessage,
    make_jpeg,
    make_voice,
)
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import wav

SEED = 20240611
ROUNDS = 20
ACTIONS_PER_ROUND = 20
ADMIN = 900

WORDS = ["hello", "Anna", "", " ", "ok", "да", "🙂" * 40, "x" * 4000, "<b>bold", "*_`[", "\u202e"]
COMMANDS = [
    "/start",
    "/start ref_nobody",
    "/start ref_" + "z" * 60,
    "/start promo_NOPE",
    "/start group",
    "/help",
    "/balance",
    "/history",
    "/buy",
    "/subscription",
    "/redeem",
    "/redeem NOPE",
    "/imagine",
    "/imagine a red fox",
    "/edit",
    "/upscale",
    "/similar",
    "/photoshoot",
    "/facegen",
    "/angles",
    "/together",
    "/faceswap",
    "/lipsync",
    "/settings",
    "/newactor",
    "/actors",
    "/invite",
    "/terms",
    "/paysupport",
    "/cancel",
    "/nonsense",
    "/start@castbot_test_bot",
    "/balance@another_bot",
]
ADMIN_COMMANDS = [
    "/stats",
    "/grant 101 5",
    "/grant 102 -3",
    f"/grant 101 {'9' * 30}",
    "/grant",
    "/user 101",
    "/user ²",
    "/block 105",
    "/unblock 105",
    "/refund stxNothing",
    "/broadcast hello everyone",
    "/promo",
    "/promo SPRING 5",
    "/promo SPRING ² 3",
    f"/promo AUTUMN 5 {'9' * 30} ²",
    "/backup",
]
# Button data a modified client could send.
FORGED = [
    "buy:²",
    "buy:" + "9" * 60,
    "buy:-100",
    "actor:open:" + "9" * 60,
    "actor:erase:1",
    "actor:train:²",
    "actor:list",
    "actor:done",
    "actor:skip",
    "job:go:not-a-job",
    "job:no:" + "x" * 50,
    "terms:agree",
    "faceswap:with:" + "1" * 40,
    "lipsync:with:²",
    "lipsync:voice:٣",
    "flow:1:p:²",
    "flow:1:p:" + "9" * 60,
    "flow:1:p:٣",
    "flow:2:o:-1",
    "flow:" + "9" * 60 + ":p:0",
    "flow:1:nonsense",
    "res:nojob:again",
    "res:" + "f" * 32 + ":edit:²",
    "set:o:²",
    "set:v:0:" + "9" * 60,
    "set:18",
    "hist:older:²",
    "hist:newer:" + "9" * 30,
    "hist:sideways:1",
    "sub:cancel:²",
    "sub:renew:" + "9" * 60,
    "actor:save:²",
    "actor:save:" + "9" * 60,
    "\x00",
    "🙃" * 16,
]


def other_content(rng: random.Random, telegram: BotApiEmulator) -> dict[str, Any]:
    """A message of a kind no step asks for (each with what Telegram puts in it)."""
    media = telegram.add_file(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    file = {"file_id": media.file_id, "file_unique_id": media.file_unique_id, "file_size": 80}
    kinds: list[dict[str, Any]] = [
        {"video": {**file, "width": 640, "height": 480, "duration": 3}},
        {"video_note": {**file, "length": 240, "duration": 2}},
        {"animation": {**file, "width": 320, "height": 240, "duration": 1}, "document": file},
        {"location": {"latitude": 48.85, "longitude": 2.35}},
        {"contact": {"phone_number": "+100000", "first_name": "Zed"}},
        {"dice": {"emoji": "🎲", "value": 4}},
        {
            "venue": {
                "location": {"latitude": 1.0, "longitude": 2.0},
                "title": "Cafe",
                "address": "Main St",
            },
            "location": {"latitude": 1.0, "longitude": 2.0},
        },
        {
            "poll": {
                "id": "5001",
                "question": "?",
                "options": [
                    {"persistent_id": "o1", "text": "a", "voter_count": 0},
                    {"persistent_id": "o2", "text": "b", "voter_count": 0},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
    ]
    return rng.choice(kinds)


class Fuzzer:
    def __init__(
        self, rng: random.Random, telegram: BotApiEmulator, users: list[EmulatedUser]
    ) -> None:
        self.rng = rng
        self.telegram = telegram
        self.users = users
        self.admin = telegram.user(ADMIN, "Root")
        self.group: EmulatedGroup = telegram.group(-2001)
        self.channel = telegram.group(-3001, kind="channel")
        self.checkouts: list[str] = []

    def actions(self) -> list[tuple[int, Callable[[], Awaitable[object]]]]:
        return [
            (6, self.command),
            (4, self.text),
            (5, self.photo),
            (3, self.audio),
            (2, self.other),
            (8, self.press),
            (3, self.forge),
            (1, self.inline),
            (2, self.in_group),
            (1, self.in_channel),
            (1, self.admin_command),
            (1, self.edit),
            (1, self.pay),
        ]

    async def step(self) -> None:
        weighted = self.actions()
        action = self.rng.choices([a for _, a in weighted], [w for w, _ in weighted])[0]
        await action()

    def user(self) -> EmulatedUser:
        return self.rng.choice(self.users)

    async def command(self) -> None:
        await self.user().send_text(self.rng.choice(COMMANDS))

    async def text(self) -> None:
        await self.user().send_text(self.rng.choice(WORDS))

    async def photo(self) -> None:
        user, rng = self.user(), self.rng
        kind = rng.randrange(4)
        if kind == 0:
            await user.send_photo(make_jpeg(64, 48, rng.choice(["red", "blue", "green"])))
        elif kind == 1:
            mime = rng.choice(["image/jpeg", "image/png", "image/webp", "image/gif"])
            await user.send_document(make_jpeg(32, 32), file_name="p.img", mime_type=mime)
        elif kind == 2:
            await user.send_photo(make_jpeg(32, 32), file_size=30 * 1024 * 1024)
        else:
            await user.send_document(b"not an image", file_name="x.png", mime_type="image/png")

    async def audio(self) -> None:
        user, rng = self.user(), self.rng
        kind = rng.randrange(5)
        if kind == 0:
            await user.send_voice(duration=rng.choice([1, 4, 12, 36, 200]))
        elif kind == 1:  # a lie about the length
            await user.send_voice(make_voice(rng.choice([3, 40])), duration=rng.choice([1, 15]))
        elif kind == 2:
            await user.send_voice(b"OggS" + bytes(rng.randrange(64)), duration=2)
        elif kind == 3:
            await user.send_document(wav(1.5), file_name="a.wav", mime_type="audio/wav")
        else:
            await user.send_audio(b"ID3 not really", duration=3)

    async def other(self) -> None:
        await self.user().send_content(other_content(self.rng, self.telegram))

    def with_buttons(self, user: EmulatedUser) -> list[SentMessage]:
        return [m for m in user.messages()[-8:] if m.buttons() and not m.deleted]

    async def press(self) -> None:
        user = self.user()
        choices = [
            (message, data)
            for message in self.with_buttons(user)
            for _, data in message.buttons()
            if (message.reply_markup or {}).get("inline_keyboard") and not data.startswith("http")
        ]
        callbacks = [
            (m, d) for m, d in choices if any(d == b.get("callback_data") for b in _flat(m))
        ]
        if callbacks:
            message, data = self.rng.choice(callbacks)
            await user.press_data(message, data)

    async def forge(self) -> None:
        user = self.user()
        messages = [m for m in user.messages()[-8:] if not m.deleted]
        if messages:
            await user.press_data(self.rng.choice(messages), self.rng.choice(FORGED))

    async def inline(self) -> None:
        await self.user().press_inline(self.rng.choice(FORGED + ["buy:100", "actor:list"]))

    async def in_group(self) -> None:
        sender = self.rng.choice([None, self.users[0], self.users[1]])
        text = self.rng.choice(COMMANDS + WORDS)
        await self.group.send_text(text, sender=sender)
        buttons = [m for m in self.group.messages()[-4:] if m.buttons() and not m.deleted]
        if buttons and self.rng.random() < 0.5:
            message = self.rng.choice(buttons)
            data = self.rng.choice([d for _, d in message.buttons()])
            await self.users[1].press_data(message, data)

    async def in_channel(self) -> None:
        await self.channel.post(self.rng.choice(COMMANDS + WORDS))

    async def admin_command(self) -> None:
        await self.admin.send_text(self.rng.choice(ADMIN_COMMANDS))

    async def edit(self) -> None:
        user = self.user()
        await user.send_update(
            {
                "edited_message": {
                    "message_id": 1,
                    "from": user.telegram_user,
                    "chat": {"id": user.id, "type": "private", "first_name": "Ann"},
                    "date": int(time.time()) - 60,
                    "edit_date": int(time.time()),
                    "text": self.rng.choice(COMMANDS + WORDS) or "edited",
                }
            }
        )

    async def pay(self) -> None:
        user = self.user()
        invoices = [m for m in user.messages() if m.method == "sendInvoice"]
        if not invoices:
            return
        invoice = self.rng.choice(invoices)
        if self.rng.random() < 0.5:
            total = None if self.rng.random() < 0.7 else 1
            self.checkouts.append(await user.send_pre_checkout_query(invoice, total_amount=total))
        else:
            await user.send_successful_payment(invoice)


def _flat(message: SentMessage) -> list[dict[str, Any]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


async def settle(telegram: BotApiEmulator, bot: RunningBot) -> None:
    """Wait until every update sent so far is handled and every job has run."""
    await telegram.wait_until(lambda: telegram.pending_updates == 0, timeout=30)
    # Fetched updates are queued before the fetch is confirmed; PTB marks each one done
    # once its handlers have run.
    await asyncio.wait_for(bot.application.update_queue.join(), timeout=30)
    await bot.services.engine.wait_idle()


async def test_random_updates_crash_nothing_and_leave_the_books_balanced(
    telegram: BotApiEmulator,
    zencreator: FakeZenCreator,
    start_bot: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    bot: RunningBot = await start_bot(admin_ids=str(ADMIN), welcome_credits=30)
    rng = random.Random(SEED)
    users = [telegram.user(user_id, name) for user_id, name in enumerate("ABCDE", start=101)]
    fuzzer = Fuzzer(rng, telegram, users)

    for _ in range(ROUNDS):
        for _ in range(ACTIONS_PER_ROUND):
            await fuzzer.step()
        await settle(telegram, bot)

    assert bot.application.running
    assert [record.getMessage() for record in caplog.records] == []
    assert telegram.unanswered_callback_queries() == []
    assert all(query in telegram.pre_checkout_answers for query in fuzzer.checkouts)
    everyone = [*users, fuzzer.admin]
    assert not any(
        message.text == texts.SOMETHING_WENT_WRONG
        for user in everyone
        for message in user.messages()
    )
    books = await bot.services.db.fetch_all(
        "SELECT u.id, u.balance, COALESCE(SUM(l.amount), 0) AS total"
        " FROM users u LEFT JOIN ledger l ON l.user_id = u.id GROUP BY u.id"
    )
    assert books and all(row["balance"] == row["total"] >= 0 for row in books)
