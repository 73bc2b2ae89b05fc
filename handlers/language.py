"""/language: the language the bot speaks with this user, chosen with buttons.

The choice is kept in SQLite (storage/users.py) and outlasts a restart and any change of the
user's Telegram app; until there is one, the app's language is used when the bot speaks it.
"""

from __future__ import annotations

from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import texts
from bot.catalog import bot_commands
from bot.context import BotContext
from bot.i18n import LOCALES, current_locale, set_locale
from handlers.conversation import Handlers
from handlers.edits import edit_text

PREFIX = "lang:"


def language_keyboard() -> InlineKeyboardMarkup:
    """A button per language, each named in its own words; the current one marked."""
    current = current_locale()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.setting_choice(texts.LANGUAGE_NAMES[locale], locale == current),
                    callback_data=f"{PREFIX}{locale}",
                )
            ]
            for locale in LOCALES
        ]
    )


async def show(update: Update, context: BotContext) -> None:
    """Offer the languages."""
    assert update.effective_message
    await update.effective_message.reply_text(
        texts.LANGUAGE_QUESTION, reply_markup=language_keyboard()
    )


async def choose(update: Update, context: BotContext) -> None:
    """Keep the chosen language and say so in it."""
    query = update.callback_query
    assert query and query.data
    locale = query.data.removeprefix(PREFIX)
    if locale not in LOCALES:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    await context.services.users.set_locale(context.user.id, locale)
    context.account = context.user.model_copy(update={"locale": locale})
    set_locale(locale)
    await query.answer()
    # This chat's own command menu, so it follows the choice rather than the app's language.
    await context.bot.set_my_commands(
        bot_commands(locale, context.services.settings.credit_multiplier),
        scope=BotCommandScopeChat(query.from_user.id),
    )
    await edit_text(query, texts.LANGUAGE_CHOSEN, language_keyboard())


def build_language_handlers() -> Handlers:
    return [
        CommandHandler("language", show),
        CallbackQueryHandler(choose, pattern=f"^{PREFIX}"),
    ]
