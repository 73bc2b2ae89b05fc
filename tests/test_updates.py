"""Updates run concurrently across chats and in arrival order within one chat."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, PreCheckoutQuery, Update, User

from bot import texts
from bot.playground.emulator import BotApiEmulator, make_jpeg
from bot.updates import ChatOrderedUpdateProcessor, serial_key
from tests.conftest import RunningBot

NOW = datetime.now(UTC)


def message_update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.GROUP)
    sender = User(abs(chat_id), "Ann", is_bot=False)
    return Update(update_id, message=Message(update_id, NOW, chat, from_user=sender, text="hi"))


def test_updates_line_up_by_chat_or_else_by_user() -> None:
    assert serial_key(message_update(1, 101)) == 101
    assert serial_key(message_update(2, -500)) == -500
    payer = User(101, "Ann", is_bot=False)
    checkout = Update(3, pre_checkout_query=PreCheckoutQuery("q", payer, "XTR", 50, "p"))
    assert serial_key(checkout) == 101
    assert serial_key(Update(4)) is None
    assert serial_key("not an update") is None


async def test_one_chats_updates_finish_in_arrival_order_however_their_handlers_yield() -> None:
    processor = ChatOrderedUpdateProcessor(max_running=8)
    await processor.initialize()
    finished: list[tuple[int, int]] = []
    releases = {update_id: asyncio.Event() for update_id in range(1, 11)}

    async def handle(update: Update) -> None:
        assert update.effective_chat
        await releases[update.update_id].wait()
        finished.append((update.effective_chat.id, update.update_id))

    # Chat 1 gets the odd update ids, chat 2 the even ones; as PTB does, one task per update,
    # started in arrival order.
    updates = [message_update(update_id, 1 + (update_id + 1) % 2) for update_id in range(1, 11)]
    tasks = [
        asyncio.create_task(processor.process_update(update, handle(update))) for update in updates
    ]
    # Release the handlers last-first: each waits a different time.
    for update_id in reversed(range(1, 11)):
        releases[update_id].set()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)

    assert [update_id for chat, update_id in finished if chat == 1] == [1, 3, 5, 7, 9]
    assert [update_id for chat, update_id in finished if chat == 2] == [2, 4, 6, 8, 10]
    await processor.shutdown()


async def test_a_chat_waiting_on_another_does_not_take_a_running_slot() -> None:
    processor = ChatOrderedUpdateProcessor(max_running=1)
    await processor.initialize()
    blocker = asyncio.Event()
    done: list[int] = []

    async def handle(update: Update, wait: bool) -> None:
        if wait:
            await blocker.wait()
        done.append(update.update_id)

    first = message_update(1, 101)
    backlog = [message_update(update_id, 101) for update_id in range(2, 6)]
    other = message_update(6, 202)
    tasks = [asyncio.create_task(processor.process_update(first, handle(first, True)))]
    tasks += [
        asyncio.create_task(processor.process_update(update, handle(update, False)))
        for update in backlog
    ]
    tasks.append(asyncio.create_task(processor.process_update(other, handle(other, False))))
    await asyncio.sleep(0)
    # Chat 101's first update runs (the one slot); its backlog waits without a slot...
    assert done == []
    blocker.set()
    await asyncio.gather(*tasks)
    # ...and once the slot is free, chat 202 needs no turn behind chat 101's backlog.
    assert done[:1] == [1] and sorted(done) == [1, 2, 3, 4, 5, 6]
    assert done.index(6) < done.index(5)
    await processor.shutdown()


async def test_a_slow_round_trip_to_one_user_does_not_hold_up_another(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann, bob = telegram.user(101), telegram.user(202, "Bob")
    await ann.send_text("/start")
    await ann.next_message()
    release_ann = telegram.hold_chat(101)
    await ann.send_text("/balance")
    await telegram.wait_until(
        lambda: any(m == "sendMessage" and p.get("chat_id") == 101 for m, p in telegram.requests)
    )
    # Ann's reply hangs in the Bot API; Bob is answered all the same.
    await bob.send_text("/balance")
    assert (await bob.wait_for_text("10 credits")).chat_id == 202
    assert not any(m.text == texts.balance(10) for m in ann.messages())
    release_ann.set()
    assert (await ann.next_message()).text == texts.balance(10)


async def test_a_users_quick_steps_reach_the_conversation_in_order(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await bot.services.users.ensure(101, "Ann", "en", welcome_credits=10)
    await bot.services.users.accept_terms(101)
    release_ann = telegram.hold_chat(101)
    # All three arrive while the bot's first reply to Ann still hangs.
    await ann.send_text("/newactor")
    await ann.send_text("Anna")
    await ann.send_photo(make_jpeg(color="red"))
    await telegram.wait_until(lambda: any(p.get("chat_id") == 101 for _, p in telegram.requests))
    release_ann.set()
    assert "What's their name?" in ((await ann.next_message()).text or "")
    assert "Now send photos" in ((await ann.next_message()).text or "")
    assert (await ann.next_message()).text == texts.actor_photos_saved("Anna", 1)
