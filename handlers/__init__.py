"""The Telegram layer: one module per feature, assembled here in the order they must match."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, filters

from bot.config import Settings
from handlers import (
    account,
    actors,
    admin,
    errors,
    faceswap,
    guard,
    invite,
    lipsync,
    newactor,
    orders,
    payments,
    start,
)


def register(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Install every handler and the error handler on the application.

    Within a group the first matching handler wins, so the fallbacks for anything
    unexpected come last. Admin commands match only ADMIN_IDS; for anyone else they fall
    through to the unknown-command reply.
    """
    admins = filters.User(user_id=settings.admin_ids)
    application.add_handler(guard.build_guard_handler(), group=-2)
    application.add_handler(account.build_account_handler(), group=-1)
    # Before the flows, whose "unexpected input" replies would otherwise swallow a payment.
    application.add_handlers(payments.build_payment_handlers(admins))
    application.add_handlers(faceswap.build_faceswap_handlers())
    application.add_handlers(lipsync.build_lipsync_handlers())
    application.add_handlers(newactor.build_new_actor_handlers())
    application.add_handlers(actors.build_actor_handlers())
    application.add_handlers(orders.build_order_handlers())
    application.add_handlers(admin.build_admin_handlers(admins))
    application.add_handlers(invite.build_invite_handlers())
    application.add_handlers(start.build_start_handlers())
    application.add_handlers(start.build_fallback_handlers())
    # After /start has greeted the user (a later group sees the same update).
    application.add_handlers(invite.build_referral_handlers(), group=1)
    application.add_error_handler(errors.on_error)
