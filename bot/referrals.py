"""Referrals: invite links, and the inviter's reward once the invited user has bought credits
(a pack or a plan). Neither /start nor jobs paid with the free welcome credits earn it, so
accounts made only to be invited earn nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import TelegramError

from bot import texts
from bot.i18n import use_locale
from storage.referrals import ReferralsRepository

log = logging.getLogger(__name__)

START_PREFIX = "ref_"
"""Deep links carry `/start ref_<code>`; Telegram allows A-Z, a-z, 0-9, _ and - there."""


class Referrals:
    def __init__(
        self,
        referrals: ReferralsRepository,
        bot: Bot,
        *,
        reward: int,
        locale_of: Callable[[int], Awaitable[str]],
    ) -> None:
        self._referrals = referrals
        self._bot = bot
        self._reward = reward
        self._locale_of = locale_of
        """The language of a user: the inviter is told (and their ledger noted) in theirs,
        not in the buyer's whose payment pays the reward."""

    @property
    def reward(self) -> int:
        return self._reward

    async def link(self, user_id: int) -> str:
        """The user's invite link (a t.me deep link into this bot)."""
        code = await self._referrals.code_of(user_id)
        return f"https://t.me/{self._bot.username}?start={START_PREFIX}{code}"

    async def arrived(self, invitee_id: int, start_argument: str) -> int | None:
        """Record a new user who came through an invite link; returns the inviter's id, or
        None when the argument is no invite, the link is their own, or they were invited."""
        if not start_argument.startswith(START_PREFIX):
            return None
        return await self._referrals.attach(start_argument.removeprefix(START_PREFIX), invitee_id)

    async def inviter_of(self, user_id: int) -> int | None:
        return await self._referrals.inviter_of(user_id)

    async def on_purchase(self, user_id: int) -> None:
        """After a purchase is credited: pay the buyer's inviter once. Never raises: the
        purchase is done either way, and a reward missed here is paid by `catch_up`."""
        try:
            await self._pay(user_id)
        except Exception:
            log.exception("could not settle the referral reward after a purchase of %s", user_id)

    async def catch_up(self) -> None:
        """Pay rewards a stop or crash came between a purchase and its reward."""
        for invitee_id in await self._referrals.due():
            await self._pay(invitee_id)

    async def _pay(self, invitee_id: int) -> None:
        if not self._reward:
            return
        inviter_id = await self._referrals.inviter_of(invitee_id)
        if inviter_id is None:
            return
        with use_locale(await self._locale_of(inviter_id)):
            if await self._referrals.reward(invitee_id, self._reward, texts.REFERRAL_NOTE) is None:
                return
            log.info("referral reward of %s credits for user %s", self._reward, inviter_id)
            try:
                await self._bot.send_message(inviter_id, texts.referral_reward(self._reward))
            except TelegramError as err:
                log.info("could not tell user %s about their referral reward: %r", inviter_id, err)
