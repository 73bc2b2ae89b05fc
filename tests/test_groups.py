"""Quiet in groups and channels: only commands addressed to the bot and mentions get a reply,
a button that opens the private chat; everything else there gets nothing."""

from __future__ import annotations

from bot import texts
from bot.playground.emulator import BotApiEmulator
from tests.conftest import RunningBot

DEEP_LINK = "https://t.me/castbot_test_bot?start=group"


async def test_a_group_gets_replies_only_to_what_is_addressed_to_the_bot(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob = telegram.user(101), telegram.user(202, first_name="Bob")
    group = telegram.group(-100123)
    for text, sender in [
        ("hello everyone", ann),
        ("/start", bob),  # a bare command in a group may be meant for another bot
        ("/balance@some_other_bot", ann),
        ("what does @another_bot do?", bob),
        ("/faceswap", ann),
    ]:
        await group.send_text(text, sender)
    await group.send_text("/start@castbot_test_bot", ann)
    await telegram.wait_until(lambda: len(group.messages()) == 1)
    await group.send_text("hey @CastBot_Test_Bot, what can you do?", bob)
    await telegram.wait_until(lambda: len(group.messages()) == 2)

    for reply in group.messages():
        assert reply.text == texts.GROUP_REPLY
        assert reply.buttons() == [(texts.OPEN_PRIVATE_CHAT_BUTTON, DEEP_LINK)]
    addressed = [m for m in telegram.requests if m[0] == "sendMessage"]
    assert [params["chat_id"] for _, params in addressed] == [-100123, -100123]
    # Nobody got an account from talking in the group; the private chat still works.
    assert await bot.services.users.get(101) is None
    await ann.send_text("/start")
    assert "Hi Ann" in ((await ann.next_message()).text or "")


async def test_a_channel_gets_a_reply_only_to_a_mention(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    channel = telegram.group(-100777, "News", kind="channel")
    await channel.post("Our new post")
    await channel.post("/help")
    await channel.post("Made with @castbot_test_bot")
    await telegram.wait_until(lambda: len(channel.messages()) == 1)
    (reply,) = channel.messages()
    assert reply.text == texts.GROUP_REPLY
    assert reply.buttons() == [(texts.OPEN_PRIVATE_CHAT_BUTTON, DEEP_LINK)]
