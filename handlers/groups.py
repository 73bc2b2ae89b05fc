"""Quiet in groups and channels: the bot answers only what is addressed to it there — a
command with its @username, or a mention — with a button to its private chat, and nothing
else it sees there gets a reply. One handler, run before every other, does it for all."""

from __future__ import annotations

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot import texts
from bot.context import BotContext
from bot.i18n import locale_for, set_locale

PRIVATE_CHAT_START = "group"
"""The /start parameter of the button's deep link: the private chat opens with a Start
button that sends it, so a newcomer is greeted at once."""


async def outside_private_chats(update: Update, context: BotContext) -> None:
    """Stop every update from a group or channel, answering only what is addressed to the bot."""
    chat = update.effective_chat
    if chat is None or chat.type == Chat.PRIVATE:
        return
    message = update.message or update.channel_post
    if message is not None and addressed_to(message, context.bot.username, context.bot.id):
        # No account is made here: the reply speaks the language of the asker's app.
        user = update.effective_user
        set_locale(locale_for(user.language_code if user else None))
        await message.reply_text(
            texts.GROUP_REPLY,
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            texts.OPEN_PRIVATE_CHAT_BUTTON,
                            url=f"https://t.me/{context.bot.username}?start={PRIVATE_CHAT_START}",
                        )
                    ]
                ]
            ),
        )
    elif update.callback_query is not None:
        await update.callback_query.answer()  # no spinner, even for a button nobody should see
    raise ApplicationHandlerStop


def addressed_to(message: Message, username: str, bot_id: int) -> bool:
    """A command that names the bot (`/start@bot`), or a mention of it, in text or caption."""
    handle = f"@{username}".casefold()
    entities = message.parse_entities() or message.parse_caption_entities()
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            _, _, named = text.partition("@")
            if named and f"@{named}".casefold() == handle:
                return True
        if entity.type == MessageEntity.MENTION and text.casefold() == handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def build_group_handler() -> TypeHandler[Update, BotContext]:
    return TypeHandler(Update, outside_private_chats)
