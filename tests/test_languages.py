"""The bot in the user's language, end to end: Telegram's language_code for a new user,
/language to change it (kept across a restart), jobs and notices to other users in their
reader's language, the command menu per language, and the /start menu's buttons."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.catalog import command_menu
from bot.i18n import locale_for, use_locale
from bot.playground.emulator import BotApiEmulator
from tests.conftest import RunningBot
from tests.fakes.zencreator import FakeZenCreator
from tests.flows import FACE, TARGET, next_media, open_invoice


def ru(text: Any) -> Any:
    """The text, rendered in Russian."""
    with use_locale("ru"):
        return text() if callable(text) else text


def test_telegram_language_codes_map_to_the_languages_offered() -> None:
    assert locale_for("ru") == "ru"
    assert locale_for("es-419") == "es"
    assert locale_for("pt-br") == locale_for("pt") == locale_for("pt-PT") == "pt_BR"
    assert locale_for("de") == locale_for(None) == locale_for("") == "en"


async def test_a_russian_speaker_gets_start_a_flow_and_a_failure_in_russian(
    telegram: BotApiEmulator, zencreator: FakeZenCreator, bot: RunningBot
) -> None:
    anya = telegram.user(101, first_name="Аня", language_code="ru")
    await anya.send_text("/start")
    greeting = await anya.next_message()
    assert greeting.text == ru(lambda: texts.welcome("Аня", True, 10, 10, False))
    assert "Для начала вы получили 10 кредитов." in (greeting.text or "")
    menu = [label for label, _ in greeting.buttons()]
    assert menu == ru(lambda: [texts.START_MENU_BUTTONS[key] for key in texts.START_MENU_BUTTONS])
    assert "🎭 Замена лица" in menu

    await anya.send_text("/faceswap")
    terms = await anya.wait_for_text("согласитесь, пожалуйста, с этими условиями")
    await anya.press(terms, ru(lambda: texts.TERMS_AGREE_BUTTON))
    first = await anya.wait_for_text("Шаг 1 из 2")
    assert ru(lambda: texts.flow_intro("Face swap", texts.credits(1), 10)) in (first.text or "")
    await anya.send_photo(FACE)
    await anya.wait_for_text("Шаг 2 из 2")
    await anya.send_photo(TARGET)
    result = await next_media(anya, "sendPhoto")
    assert result.caption == ru(lambda: texts.result_card("Face swap", 1, 1, 9, True))
    assert [label for label, _ in result.buttons()][0] == "🔁 Ещё раз"

    zencreator.plan("faceswap", status="failed", error="No face found on the face photo")
    await anya.press(result, "🔁 Ещё раз")
    again = await anya.wait_for_text("Повторить «замена лица»")
    await anya.press(again, ru(lambda: texts.start_button(1)))
    failure = await anya.wait_for_text("К сожалению, не получилось: замена лица.")
    assert "No face found on the face photo" in (failure.text or "")
    assert "Возвращено: 1 кредит. Ваш баланс: 9 кредитов." in (failure.text or "")
    job = (await bot.services.jobs.recent(101))[0]
    status = next(m for m in anya.messages() if m.message_id == job.status_message_id)
    await telegram.wait_until(lambda: status.text == "❌ Замена лица: не удалось.")


def spanish_menu() -> list[tuple[str, str]]:
    with use_locale("es"):
        return command_menu(1)


async def test_language_switches_with_buttons_and_survives_a_restart(
    telegram: BotApiEmulator, start_bot: Any
) -> None:
    first: RunningBot = await start_bot()
    ann = telegram.user(101, first_name="Ann", language_code="en")
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Your balance: 10 credits"
    await ann.send_text("/language")
    question = await ann.wait_for_text(texts.LANGUAGE_QUESTION)
    assert [label for label, _ in question.buttons()] == [
        "✓ 🇬🇧 English",
        "🇷🇺 Русский",
        "🇪🇸 Español",
        "🇧🇷 Português (Brasil)",
    ]
    await ann.press(question, "🇪🇸 Español")
    await telegram.wait_until(lambda: question.text == "Listo: ahora te hablo en español.")
    assert "✓ 🇪🇸 Español" in [label for label, _ in question.buttons()]
    # The chat's own command menu follows the choice, whatever the app's language.
    await telegram.wait_until(lambda: ("chat:101", "") in telegram.command_sets)
    expected = [{"command": c, "description": d} for c, d in spanish_menu()]
    assert telegram.command_sets[("chat:101", "")] == expected
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Tu saldo: 10 créditos"

    await first.stop()
    second: RunningBot = await start_bot()
    await ann.send_text("/balance")
    assert (await ann.next_message()).text == "Tu saldo: 10 créditos"
    account = await second.services.users.get(101)
    assert account is not None and account.locale == "es" and account.language == "en"

    await ann.send_text("/language")
    question = await ann.wait_for_text("¿En qué idioma te hablo?")
    await ann.press(question, "🇧🇷 Português (Brasil)")
    await telegram.wait_until(lambda: question.text == "Pronto: agora falo com você em português.")
    await ann.send_text("/nonsense")
    assert (
        await ann.next_message()
    ).text == "Não conheço /nonsense. /help mostra todos os comandos."


async def test_the_command_menu_is_set_for_every_language(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    menus = {code: telegram.command_sets[("default", code)] for code in ("", "ru", "es", "pt")}
    for code, locale in (("", "en"), ("ru", "ru"), ("es", "es"), ("pt", "pt_BR")):
        with use_locale(locale):
            expected = [{"command": c, "description": d} for c, d in command_menu(1)]
        assert menus[code] == expected
    russian = {item["command"]: item["description"] for item in menus["ru"]}
    assert russian["language"] == "Сменить язык бота"
    assert russian["faceswap"] == "Перенести лицо с одного фото на другое (1 кредит)"
    assert {item["command"] for item in menus["pt"]} == {item["command"] for item in menus[""]}


async def test_the_start_menu_buttons_start_their_flows(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    ann = telegram.user(101)
    await ann.send_text("/start")
    greeting = await ann.next_message()
    labels = texts.START_MENU_BUTTONS
    assert [label for label, _ in greeting.buttons()] == list(labels.values())

    await ann.press(greeting, labels["imagine"])
    await ann.wait_for_text("Step 1 of 1: describe the picture you want")
    await ann.press(greeting, labels["edit"])
    await ann.wait_for_text("please agree to these terms")
    await ann.press(greeting, labels["actors"])
    await ann.wait_for_text(texts.NO_ACTORS)
    await ann.press(greeting, labels["buy"])
    packs = await ann.wait_for_text("Choose a pack")
    assert texts.pack_button(100, 50) in [label for label, _ in packs.buttons()]
    await ann.press(greeting, labels["lipsync"])
    assert (await ann.wait_for_text("I stopped your edit")).text
    assert telegram.unanswered_callback_queries() == []


async def test_a_referral_reward_is_told_in_the_inviters_language(
    telegram: BotApiEmulator, bot: RunningBot
) -> None:
    anya = telegram.user(101, first_name="Аня", language_code="ru")
    await anya.send_text("/invite")
    link = (await anya.wait_for_text("t.me/")).text or ""
    code = link.split("start=")[1].split()[0]
    bob = telegram.user(202, first_name="Bob", language_code="en")
    await bob.send_text(f"/start {code}")
    await bob.wait_for_text("Hi Bob")
    invoice = await open_invoice(bob, 100)
    await bob.pay(invoice)
    await bob.wait_for_text("Thank you! 100 credits added.")
    reward = await anya.wait_for_text("Приглашённый вами друг совершил первую покупку")
    assert reward.text == ru(lambda: texts.referral_reward(10))
    history = await bot.services.ledger.history(101)
    assert history[0].note == "первая покупка приглашённого друга"
