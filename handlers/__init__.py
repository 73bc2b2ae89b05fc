"""The Telegram layer: one module per feature, assembled here in the order they must match."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from handlers import account, errors, faceswap, lipsync, orders, start


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Install every handler and the error handler on the application.

    Within a group the first matching handler wins, so the fallbacks for anything
    unexpected come last.
    """
    application.add_handler(account.build_account_handler(), group=-1)
    application.add_handlers(faceswap.build_faceswap_handlers())
    application.add_handlers(lipsync.build_lipsync_handlers())
    application.add_handlers(orders.build_order_handlers())
    application.add_handlers(start.build_start_handlers())
    application.add_handlers(start.build_fallback_handlers())
    application.add_error_handler(errors.on_error)
