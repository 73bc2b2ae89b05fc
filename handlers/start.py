"""/start, /help, /balance, /history, /cancel and the replies to anything unexpected."""

from __future__ import annotations

from telegram import MessageEntity, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext


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
        )
    )


async def help_command(update: Update, context: BotContext) -> None:
    """List every command."""
    assert update.effective_message
    await update.effective_message.reply_text(texts.help_text())


async def balance(update: Update, context: BotContext) -> None:
    """Show the balance."""
    assert update.effective_message
    amount = await context.services.ledger.balance(context.user.id)
    await update.effective_message.reply_text(texts.balance(amount))


async def history(update: Update, context: BotContext) -> None:
    """Show the last ten ledger rows."""
    assert update.effective_message
    entries = await context.services.ledger.history(context.user.id, limit=10)
    await update.effective_message.reply_text(texts.history(entries))


async def cancel_outside_conversation(update: Update, context: BotContext) -> None:
    """Answer /cancel when no conversation is running."""
    assert update.effective_message
    await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point an unknown command to /help."""
    message = update.effective_message
    assert message
    # The command entity, not the first word: that may run on for thousands of characters.
    command = next(iter(message.parse_entities([MessageEntity.BOT_COMMAND]).values()))
    await message.reply_text(texts.unknown_command(command.split("@")[0]))


async def not_understood(update: Update, context: BotContext) -> None:
    """Point any other text or media to /help."""
    assert update.effective_message
    await update.effective_message.reply_text(texts.NOT_UNDERSTOOD)


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
        CommandHandler("cancel", cancel_outside_conversation),
    ]


def build_fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last, so they answer only what no feature handled."""
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, not_understood),
        CallbackQueryHandler(button_gone),
    ]
