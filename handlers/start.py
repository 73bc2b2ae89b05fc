"""/start with its menu of buttons, /help, /balance, /history and the reply to an unknown
command."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.catalog import CATALOG, command_menu
from bot.context import BotContext
from handlers.actors import list_actors
from handlers.conversation import Handlers
from handlers.edits import edit_text
from handlers.flow import begin
from handlers.parsing import integer
from handlers.payments import buy
from storage.users import LedgerPage

HISTORY_PAGE = 10
HISTORY_PREFIX = "hist:"
OLDER, NEWER = "older", "newer"
MENU_PREFIX = "start:"
MENU_TOOLS = {
    "imagine": "by_prompt",
    "edit": "image_editor",
    "faceswap": "faceswap",
    "lipsync": "lipsync",
}
"""The /start menu's buttons that start a tool's flow (the others open /actors and /buy)."""
MENU_ROWS = (("imagine", "edit"), ("faceswap", "lipsync"), ("actors", "buy"))


async def start(update: Update, context: BotContext) -> None:
    """Greet the user and explain what the bot does."""
    assert update.effective_message and update.effective_user
    account = context.user
    await update.effective_message.reply_text(
        texts.welcome(
            update.effective_user.first_name,
            created=context.account_created,
            welcome_credits=context.services.settings.welcome_credits,
            balance=account.balance,
            mock=context.services.settings.uses_mock_provider,
        ),
        reply_markup=start_menu(),
    )


def start_menu() -> InlineKeyboardMarkup:
    """The first things to do, a tap each: no command to type."""
    labels = texts.START_MENU_BUTTONS
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(labels[key], callback_data=f"{MENU_PREFIX}{key}") for key in row]
            for row in MENU_ROWS
        ]
    )


async def start_menu_pressed(update: Update, context: BotContext) -> None:
    """Start what the /start button names, as its command would."""
    query = update.callback_query
    assert query and query.data
    key = query.data.removeprefix(MENU_PREFIX)
    if key == "actors":
        await list_actors(update, context)  # answers the press itself
        return
    if key != "buy" and key not in MENU_TOOLS:
        await query.answer(texts.BUTTON_GONE)
        return
    await query.answer()
    if key == "buy":
        await buy(update, context)
    else:
        await begin(update, context, CATALOG[MENU_TOOLS[key]], {})


async def help_command(update: Update, context: BotContext) -> None:
    """List every command."""
    assert update.effective_message
    multiplier = context.services.settings.credit_multiplier
    await update.effective_message.reply_text(texts.help_text(command_menu(multiplier)))


async def balance(update: Update, context: BotContext) -> None:
    """Show the balance."""
    assert update.effective_message
    amount = await context.services.ledger.balance(context.user.id)
    await update.effective_message.reply_text(texts.balance(amount))


async def history(update: Update, context: BotContext) -> None:
    """Show the newest page of the ledger, with buttons to page through the rest."""
    assert update.effective_message
    page = await context.services.ledger.page(context.user.id, size=HISTORY_PAGE)
    await update.effective_message.reply_text(
        texts.history(page.entries), reply_markup=history_keyboard(page)
    )


async def history_page(update: Update, context: BotContext) -> None:
    """Turn the /history message to the older or newer page its button names."""
    query = update.callback_query
    assert query and query.data
    direction, _, text = query.data.removeprefix(HISTORY_PREFIX).partition(":")
    row = integer(text)
    if direction not in (OLDER, NEWER) or row is None or row < 0:
        await query.answer()
        return
    ledger = context.services.ledger
    if direction == OLDER:
        page = await ledger.page(context.user.id, before=row, size=HISTORY_PAGE)
    else:
        page = await ledger.page(context.user.id, after=row, size=HISTORY_PAGE)
    await query.answer()
    if page.entries:
        await edit_text(query, texts.history(page.entries), history_keyboard(page))


def history_keyboard(page: LedgerPage) -> InlineKeyboardMarkup | None:
    """Older and Newer, each naming the row the next page starts after."""
    buttons = []
    if page.older:
        buttons.append(
            InlineKeyboardButton(
                texts.HISTORY_OLDER_BUTTON,
                callback_data=f"{HISTORY_PREFIX}{OLDER}:{page.entries[-1].id}",
            )
        )
    if page.newer:
        buttons.append(
            InlineKeyboardButton(
                texts.HISTORY_NEWER_BUTTON,
                callback_data=f"{HISTORY_PREFIX}{NEWER}:{page.entries[0].id}",
            )
        )
    return InlineKeyboardMarkup([buttons]) if buttons else None


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point an unknown command to /help."""
    message = update.effective_message
    assert message
    # The command entity, not the first word: that may run on for thousands of characters.
    command = next(iter(message.parse_entities([MessageEntity.BOT_COMMAND]).values()))
    await message.reply_text(texts.unknown_command(command.split("@")[0]))


async def button_gone(update: Update, context: BotContext) -> None:
    """Answer a press no feature took (an old button, or forged data): no endless spinner."""
    assert update.callback_query
    await update.callback_query.answer(texts.BUTTON_GONE)


def build_start_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("balance", balance),
        CommandHandler("history", history),
        CallbackQueryHandler(history_page, pattern=f"^{HISTORY_PREFIX}"),
    ]


def build_menu_handlers() -> Handlers:
    """The /start menu's buttons: they start a flow, so the actor conversation gets copies
    of them to end itself on (see handlers.starting_handlers)."""
    return [CallbackQueryHandler(start_menu_pressed, pattern=f"^{MENU_PREFIX}")]


def build_fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last, so they answer only what no feature handled: a command, or a press
    (other messages are the flow's: an answer, a photo for the menu, or not understood)."""
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        CallbackQueryHandler(button_gone),
    ]
