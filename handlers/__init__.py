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
    flow,
    groups,
    guard,
    invite,
    language,
    newactor,
    orders,
    payments,
    promos,
    results,
    start,
    subscriptions,
)
from handlers import (
    settings as user_settings,
)


def starting_handlers() -> list[Any]:
    """Fresh handlers for everything that starts a tool's flow."""
    return [
        *flow.starting_handlers(),
        *results.build_result_handlers(),
        *start.build_menu_handlers(),
    ]


def register(application: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Install every handler and the error handler on the application.

    Within a group the first matching handler wins, so the fallbacks for anything
    unexpected come last. Admin commands match only ADMIN_IDS; for anyone else they fall
    through to the unknown-command reply. Updates from groups and channels stop first,
    before an account is made for whoever wrote there; then every update the bot does not
    serve (edited messages among them), before anything else sees it.
    """
    admins = filters.User(user_id=settings.admin_ids)
    application.add_handler(groups.build_group_handler(), group=-3)
    application.add_handler(guard.build_guard_handler(), group=-2)
    application.add_handler(account.build_account_handler(), group=-1)
    # Before the flows, whose "unexpected input" replies would otherwise swallow a payment.
    application.add_handlers(payments.build_payment_handlers(admins))
    # The actor conversation first: while it runs it takes the messages, and it gives way
    # to whatever starts a tool (it gets its own copies of those handlers to end itself).
    application.add_handlers(newactor.build_new_actor_handlers(starting_handlers()))
    application.add_handlers(actors.build_actor_handlers())
    application.add_handlers(orders.build_order_handlers())
    application.add_handlers(starting_handlers())
    application.add_handlers(flow.build_flow_handlers())
    application.add_handlers(user_settings.build_settings_handlers())
    application.add_handlers(admin.build_admin_handlers(admins))
    application.add_handlers(invite.build_invite_handlers())
    application.add_handlers(subscriptions.build_subscription_handlers())
    application.add_handlers(promos.build_promo_handlers(admins))
    application.add_handlers(language.build_language_handlers())
    application.add_handlers(start.build_start_handlers())
    application.add_handlers(flow.build_flow_message_handlers())
    application.add_handlers(start.build_fallback_handlers())
    # After /start has greeted the user (a later group sees the same update); one group
    # each, since a group runs only its first matching handler.
    application.add_handlers(invite.build_referral_handlers(), group=1)
    application.add_handlers(promos.build_promo_link_handlers(), group=2)
    application.add_error_handler(errors.on_error)
