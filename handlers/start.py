"""/start, /help, /balance, /history and the reply to an unknown command."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.catalog import command_menu
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
    multiplier = context.services.settings.credit_multiplier
    await update.effective_message.reply_text(texts.help_text(command_menu(multiplier)))


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


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point an unknown command to /help."""
    assert update.effective_message and update.effective_message.text
    command = update.effective_message.text.split()[0].split("@")[0]
    await update.effective_message.reply_text(texts.unknown_command(command))


def build_start_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("balance", balance),
        CommandHandler("history", history),
    ]


def build_fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last, so it answers only the commands no feature handled (other
    messages are the flow's: an answer, a photo for the menu, or not understood)."""
    return [MessageHandler(filters.COMMAND, unknown_command)]
