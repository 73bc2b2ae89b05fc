"""No dead end for lack of credits: a short balance gets the credit packs as buttons, the
quote is kept, and once the payment goes through the bot offers to start it in one tap."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.playground.emulator import BotApiEmulator, EmulatedUser, SentMessage
from storage.jobs import JobState
from storage.users import LedgerKind
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import wav
from tests.test_lipsync import reach_audio_step


async def quote_four_seconds(user: EmulatedUser) -> SentMessage:
    """A lipsync of 4 s of audio (12 credits); returns the bot's answer to the audio."""
    await reach_audio_step(user)
    await user.send_audio(wav(4), duration=4, file_name="four.wav", mime_type="audio/x-wav")
    return await user.wait_for_text("credits")


async def buy_from(user: EmulatedUser, message: SentMessage, pack_credits: int) -> SentMessage:
    """Tap a pack under a message; returns the invoice."""
    await user.press(message, texts.pack_button(pack_credits, 50))
    invoice = await user.next_message()
    assert invoice.method == "sendInvoice"
    return invoice


async def test_short_of_credits_buy_a_pack_then_start_the_kept_quote_in_one_tap(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=5)
    ann = telegram.user(101)
    refusal = await quote_four_seconds(ann)
    assert refusal.text == texts.short_of_credits(12, 5)
    assert [text for text, _ in refusal.buttons()] == [
        texts.pack_button(100, 50),
        texts.pack_button(500, 200),
        texts.pack_button(1500, 500),
    ]
    (quote,) = await bot.services.jobs.recent(101)
    assert quote.state is JobState.QUOTED and quote.price == 12

    invoice = await buy_from(ann, refusal, 100)
    assert invoice.params["payload"] == f"credits:101:100:50:{quote.id}"
    await ann.pay(invoice)
    await ann.wait_for_text(texts.payment_thanks(100, 105))
    resume = await ann.next_message()
    assert resume.text == texts.resume_offer("Lipsync", 12, 105)
    assert zencreator.uploads == []

    start_data = resume.buttons()[0][1]
    await ann.press(resume, texts.start_button(12))
    await telegram.wait_until(lambda: resume.text == texts.JOB_ACCEPTED)
    await telegram.wait_until(lambda: any(m.method == "sendVideo" for m in ann.messages()))
    await bot.services.engine.wait_idle()
    (job,) = await bot.services.jobs.recent(101)
    assert (job.id, job.state) == (quote.id, JobState.DELIVERED)
    assert await bot.services.ledger.balance(101) == 93

    # The offer is used: pressing it again (a double tap) charges nothing more.
    answered = len(ann.callback_answers())
    await ann.press_data(resume, start_data)
    await telegram.wait_until(lambda: len(ann.callback_answers()) > answered)
    assert ann.callback_answers()[-1]["text"] == texts.QUOTE_GONE
    assert await bot.services.ledger.balance(101) == 93


async def test_no_start_offer_when_the_quote_is_gone_or_still_unaffordable(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=5, credit_packs="5:1,100:50")
    ann = telegram.user(101)
    refusal = await quote_four_seconds(ann)
    await ann.press(refusal, texts.pack_button(5, 1))
    small = await ann.next_message()
    await ann.pay(small)
    await ann.wait_for_text(texts.payment_thanks(5, 10))

    # Still short (10 of 12): the quote stays, and the next purchase may start it.
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance: 10 credits")
    (quote,) = await bot.services.jobs.recent(101)
    assert quote.state is JobState.QUOTED
    assert not any(
        texts.start_button(12) in text for m in ann.messages() for text, _ in m.buttons()
    )

    # Declined in the meantime: a purchase for it only credits.
    await bot.services.engine.decline(quote.id, 101)
    await ann.press(refusal, texts.pack_button(100, 50))
    invoice = await ann.next_message()
    await ann.pay(invoice)
    await ann.wait_for_text(texts.payment_thanks(100, 110))
    await ann.send_text("/balance")
    await ann.wait_for_text("Your balance: 110 credits")
    assert not any(
        texts.start_button(12) in text for m in ann.messages() for text, _ in m.buttons()
    )


async def test_a_quote_confirmed_after_the_balance_fell_short_is_kept_with_the_packs(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, start_bot: Any
) -> None:
    bot: RunningBot = await start_bot(welcome_credits=20)
    ann = telegram.user(101)
    quote_message = await quote_four_seconds(ann)
    assert quote_message.text == texts.quote("Lipsync", 12, 20, {"audio_seconds": 4})
    await bot.services.ledger.apply(101, -15, LedgerKind.GRANT, note="spent elsewhere")

    await ann.press(quote_message, texts.start_button(12))
    await telegram.wait_until(lambda: quote_message.text == texts.short_of_credits(12, 5))
    (quote,) = await bot.services.jobs.recent(101)
    assert quote.state is JobState.QUOTED
    assert quote_message.buttons()[0] == (texts.pack_button(100, 50), f"buy:100:{quote.id}")
    assert zencreator.uploads == []


async def test_a_flow_refused_at_its_start_offers_the_packs(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    await start_bot(welcome_credits=0)
    ann = telegram.user(101)
    await ann.send_text("/faceswap")
    await ann.press(await ann.wait_for_text("please agree"), texts.TERMS_AGREE_BUTTON)
    refusal = await ann.wait_for_text("Not enough credits")
    assert refusal.text == texts.not_enough_credits(1, 0)
    assert refusal.buttons()[0] == (texts.pack_button(100, 50), "buy:100")
