"""Every user-facing string, in one place, in the language of whoever reads it.

The texts are written in English, the source language; bot/locales/ holds their translations
(bot/i18n.py loads them; the README's *Adding a text or a language* says how).

- A function renders its text with `_()` (or `ngettext()` for a number's plural forms, or
  `pgettext()` where a word's translation depends on what it is about), always a whole
  sentence with named placeholders filled by `.format()`: never an f-string or fragments.
- A constant text is declared `_NAME = N_("...")` (a table of them: a dict of `N_()`
  values) and read as `texts.NAME`: the module's `__getattr__` translates it as it is read,
  in the current locale (bot/i18n.py), so callers never pass a language.
- `TOOL_TITLES` are message ids kept as data by bot/tools.py; the functions that show a
  title translate it. The catalog's labels are functions (`option_label`, `images`, ...)
  that bot/catalog calls when a button is drawn.
- Texts only the operator reads (admin commands, /stats, alerts, backups) stay English:
  plain strings and `@_operator` functions in the section so marked, never extracted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import cache, wraps
from typing import Any, ParamSpec

from babel.dates import format_datetime

from bot.i18n import N_, SOURCE_LOCALE, current_locale, ngettext, pgettext, use_locale
from bot.i18n import gettext as _
from providers.models import Training
from storage.actors import MAX_ACTORS, MAX_NAME_LENGTH, MAX_PHOTOS, Actor, ActorTraining
from storage.broadcasts import BroadcastCounts
from storage.jobs import Job
from storage.payments import Payment, PaymentRefund, Subscription
from storage.promos import PromoCode
from storage.stats import Overview
from storage.users import LedgerEntry, LedgerKind, User


def __getattr__(name: str) -> Any:
    """`texts.NAME`: the constant `_NAME` in the current locale (a table, entry by entry)."""
    if name.isupper() and f"_{name}" in globals():
        return _translated(globals()[f"_{name}"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _translated(value: Any) -> Any:
    if isinstance(value, str):
        return _(value)
    if callable(value):
        return value()
    return {key: _translated(item) for key, item in value.items()}


P = ParamSpec("P")


def _operator(render: Callable[P, str]) -> Callable[P, str]:
    """A text only the operator reads: English, whatever the admin's own language."""

    @wraps(render)
    def english(*args: P.args, **kwargs: P.kwargs) -> str:
        with use_locale(SOURCE_LOCALE):
            return render(*args, **kwargs)

    return english


def _date(moment: datetime | str, pattern: str) -> str:
    """A date or time in the current locale's words ("07 Mar", "07 мар.")."""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return format_datetime(when, pattern, tzinfo=when.tzinfo, locale=current_locale())


# --- Tools, commands, /start and /help --------------------------------------------------------

TOOL_TITLES = {
    "faceswap": N_("Face swap"),
    "lipsync": N_("Lipsync"),
    "by_prompt": N_("Picture"),
    "image_editor": N_("Edit"),
    "upscaler": N_("Upscale"),
    "by_ref": N_("Similar picture"),
    "photoshoot": N_("Photoshoot"),
    "facegen": N_("New face"),
    "carousel": N_("Angles"),
    "collaber": N_("Together"),
    "videogen": N_("Animation"),
    "video2video": N_("Motion transfer"),
    "video_upscaler": N_("Video upscale"),
    "video_merger": N_("Merge"),
    "actor_likeness": N_("Likeness training"),
    "actor_voice": N_("Voice clone"),
    "actor_picture": N_("Actor picture"),
}
"""Message ids, kept as data by bot/tools.py (`Tool.title`); shown through `title()`."""


def title(message_id: str) -> str:
    """A tool's title in the current locale (a title no catalog has is shown as it is)."""
    return _(message_id)


_TOOL_DESCRIPTIONS = {
    "by_prompt": N_("A picture from your description"),
    "image_editor": N_("Change photos by saying what to change"),
    "upscaler": N_("Make a photo bigger and sharper"),
    "by_ref": N_("A new picture like a photo you send"),
    "photoshoot": N_("A photo series of one person in a style"),
    "facegen": N_("A brand-new face, to keep as an actor"),
    "carousel": N_("One photo seen from other angles"),
    "collaber": N_("Two people together in one picture"),
    "faceswap": N_("Put a face from one photo onto another photo"),
    "lipsync": N_("Make a portrait speak your voice note"),
    "videogen": N_("Bring a photo to life as a short video"),
    "video2video": N_("Put your character into the moves of a video"),
    "video_upscaler": N_("Make a video bigger and sharper"),
    "video_merger": N_("Join 2 to 5 videos into one"),
}

_COMMAND_DESCRIPTIONS = {
    "settings": N_("Your defaults: model, shape, number of images"),
    "actors": N_("Your saved characters: faces, voice, trained likeness"),
    "newactor": N_("Save a character to reuse in every tool"),
    "balance": N_("Show your credits"),
    "buy": N_("Buy credits with Telegram Stars"),
    "subscription": N_("Monthly plans: credits every month"),
    "redeem": N_("Redeem a promo code"),
    "history": N_("Every credit change, page by page"),
    "invite": N_("Invite friends and earn credits"),
    "language": N_("Change the bot's language"),
    "cancel": N_("Stop what you are doing"),
    "help": N_("What I can do"),
    "terms": N_("Terms of use and of sale"),
    "paysupport": N_("Help with a payment"),
    "start": N_("Welcome and your free credits"),
}


def credits(amount: int) -> str:
    return ngettext("{count} credit", "{count} credits", abs(amount)).format(count=amount)


def price_summary(cheapest: int, varies: bool, per: str | None) -> str:
    """A tool's price for the command menu: "1 credit", "from 1 credit per image", ..."""
    n = cheapest
    if per == "image":
        if varies:
            text = ngettext("from {count} credit per image", "from {count} credits per image", n)
        else:
            text = ngettext("{count} credit per image", "{count} credits per image", n)
    elif per == "second":
        if varies:
            text = ngettext("from {count} credit per second", "from {count} credits per second", n)
        else:
            text = ngettext("{count} credit per second", "{count} credits per second", n)
    elif per == "megapixel":
        if varies:
            text = ngettext(
                "from {count} credit per output megapixel and second",
                "from {count} credits per output megapixel and second",
                n,
            )
        else:
            text = ngettext(
                "{count} credit per output megapixel and second",
                "{count} credits per output megapixel and second",
                n,
            )
    elif varies:
        text = ngettext("from {count} credit", "from {count} credits", n)
    else:
        return credits(n)
    return text.format(count=n)


def commands(tools: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Every command with its description: the tools (command, tool, price) first."""
    listed = [
        (command, _("{description} ({price})").format(description=description, price=price))
        for command, description, price in (
            (command, _(_TOOL_DESCRIPTIONS[tool]), price) for command, tool, price in tools
        )
    ]
    return listed + [(command, _(text)) for command, text in _COMMAND_DESCRIPTIONS.items()]


def welcome(name: str, created: bool, welcome_credits: int, balance: int, mock: bool) -> str:
    parts = [
        _(
            "Hi {name}! I'm castbot: I turn your photos and voice notes into AI media.\n"
            "\n"
            "• Send me a photo, and pick what to do with it\n"
            "• /imagine — a picture from your words\n"
            "• /faceswap — put a face from one photo onto another photo\n"
            "• /lipsync — make a portrait speak your voice note\n"
            "• /newactor — save a face (and a voice) once, reuse it everywhere\n"
        ).format(name=name)
    ]
    if created and welcome_credits:
        parts.append(
            _("You got {credits} to start with.").format(credits=credits(welcome_credits))
        )
    parts.append(
        _(
            "Your balance: {balance}. /help lists every command, and the buttons below "
            "start a tool."
        ).format(balance=credits(balance))
    )
    if mock:
        parts += ["", _(_MOCK_NOTICE)]
    return "\n".join(parts)


_MOCK_NOTICE = N_(
    "Note: this bot runs in demo mode without an AI provider, so every result is a "
    "placeholder image or video."
)

_START_MENU_BUTTONS = {
    "imagine": N_("🎨 Create an image"),
    "edit": N_("✏️ Edit a photo"),
    "faceswap": N_("🎭 Face swap"),
    "lipsync": N_("🗣 Lipsync"),
    "actors": N_("👥 My actors"),
    "buy": N_("⭐ Buy credits"),
}


def help_text(commands: list[tuple[str, str]]) -> str:
    lines = [_("Here is what I can do:"), ""]
    lines += [f"/{command} — {description}" for command, description in commands]
    lines += [
        "",
        _(
            "Or just send a photo and pick what to do with it. Every tool tells you its price "
            "before anything is charged."
        ),
    ]
    return "\n".join(lines)


def balance(amount: int) -> str:
    return _("Your balance: {balance}").format(balance=credits(amount))


# --- Languages --------------------------------------------------------------------------------

LANGUAGE_NAMES = {
    "en": "🇬🇧 English",
    "ru": "🇷🇺 Русский",
    "es": "🇪🇸 Español",
    "pt_BR": "🇧🇷 Português (Brasil)",
}
"""Each language in its own words, as /language offers it: never translated."""

_LANGUAGE_QUESTION = N_("Which language should I speak? Tap one.")


_LANGUAGE_CHOSEN = N_("Done: I speak English with you now.")
"""Said in the language just chosen: each translation names its own language."""


# --- History ----------------------------------------------------------------------------------

_LEDGER_LABELS = {
    LedgerKind.WELCOME: N_("welcome gift"),
    LedgerKind.CHARGE: N_("charged"),
    LedgerKind.REFUND: N_("refunded"),
    LedgerKind.PURCHASE: N_("purchase"),
    LedgerKind.GRANT: N_("granted"),
}


def history(entries: list[LedgerEntry]) -> str:
    if not entries:
        return _("No credit changes yet.")
    lines = [_("Your credit changes, newest first:"), ""]
    lines += [_ledger_line(entry) for entry in entries]
    return "\n".join(lines)


_HISTORY_OLDER_BUTTON = N_("« Older")
_HISTORY_NEWER_BUTTON = N_("Newer »")


def _ledger_line(entry: LedgerEntry) -> str:
    when = _date(entry.created_at, "dd MMM HH:mm")
    label = _(_LEDGER_LABELS[entry.kind])
    if entry.job_id is not None:
        shown = title(TOOL_TITLES[entry.tool]) if entry.tool in TOOL_TITLES else entry.tool
        return _("{when} UTC  {amount}  {label} · {title} #{job}").format(
            when=when,
            amount=f"{entry.amount:+d}",
            label=label,
            title=shown or _("job"),
            job=entry.job_id[:8],
        )
    if entry.note:
        return _("{when} UTC  {amount}  {label} ({note})").format(
            when=when, amount=f"{entry.amount:+d}", label=label, note=entry.note
        )
    return _("{when} UTC  {amount}  {label}").format(
        when=when, amount=f"{entry.amount:+d}", label=label
    )


# --- Replies to the unexpected ----------------------------------------------------------------

_NOTHING_TO_CANCEL = N_("There is nothing to cancel. /help lists what I can do.")
_CANCELLED = N_("Cancelled. Nothing was charged for it.")
_NOT_UNDERSTOOD = N_("I didn't get that. /help lists what I can do.")
_BUTTON_GONE = N_("That button no longer does anything.")


def unknown_command(command: str) -> str:
    return _("I don't know {command}. /help lists every command.").format(command=command)


_SOMETHING_WENT_WRONG = N_(
    "Sorry, something went wrong on my side. Please try again; /balance shows your credits."
)


# --- Jobs -------------------------------------------------------------------------------------


def _elapsed(elapsed: timedelta) -> str:
    seconds = int(elapsed.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


def job_queued(title: str) -> str:
    return _("⏳ {title}: queued…").format(title=_(title))


def job_in_line(title: str, position: int, wait: timedelta) -> str:
    """The status of a job waiting for its turn to start at the AI service."""
    seconds = wait.total_seconds()
    if seconds < 10:
        return _("⏳ {title}: number {position} in line, starting in a few seconds…").format(
            title=_(title), position=position
        )
    if seconds < 55:
        tens = round(seconds / 10) * 10
        return _(
            "⏳ {title}: number {position} in line, starting in about {seconds} seconds…"
        ).format(title=_(title), position=position, seconds=tens)
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "⏳ {title}: number {position} in line, starting in about {minutes} minute…",
        "⏳ {title}: number {position} in line, starting in about {minutes} minutes…",
        minutes,
    ).format(title=_(title), position=position, minutes=minutes)


def job_processing(title: str, elapsed: timedelta) -> str:
    # Whole ten-second steps, so the status message is edited at a calm pace.
    shown = timedelta(seconds=int(elapsed.total_seconds()) // 10 * 10)
    return _("⚙️ {title}: processing… {elapsed}").format(title=_(title), elapsed=_elapsed(shown))


def job_done(title: str, refunded: int) -> str:
    if refunded:
        return _("✅ {title}: done, but not every result came back; {credits} refunded.").format(
            title=_(title), credits=credits(refunded)
        )
    return _("✅ {title}: done.").format(title=_(title))


def job_failed_status(title: str) -> str:
    return _("❌ {title}: failed.").format(title=_(title))


def job_failed(title: str, reason: str | None, refunded: int, balance: int) -> str:
    why = reason or _(
        "The AI service has a temporary problem on its side. Please try again in a while."
    )
    return _(
        "Sorry, your {title} failed. {reason}\n\n{credits} refunded. Your balance: {balance}."
    ).format(
        title=_(title).lower(), reason=why, credits=credits(refunded), balance=credits(balance)
    )


def refund_note(title: str) -> str:
    return _("{title} did not complete").format(title=_(title).lower())


_PROVIDER_UNAVAILABLE = N_("That AI service is not available right now. Please try again later.")
_JOB_TIMED_OUT = N_("It took far longer than it should, so I stopped waiting.")
_RESULT_TOO_LARGE = N_(
    "The result is larger than Telegram lets me send, and the AI service offers no link to it."
)
_RESULT_UNDELIVERABLE = N_("Telegram would not accept the result in any form I could send it.")
_INPUT_FILE_UNAVAILABLE = N_("I could not fetch one of your files from Telegram any more.")


def result_link(title: str, url: str) -> str:
    return _(
        "Your {title} result is larger than Telegram lets me send, so here is a "
        "download link:\n{url}\n\nThe link expires after a while: save the file soon."
    ).format(title=_(title).lower(), url=url)


def result_refused_link(title: str, url: str) -> str:
    return _(
        "Telegram would not take your {title} result as a file, so here is a "
        "download link:\n{url}\n\nThe link expires after a while: save the file soon."
    ).format(title=_(title).lower(), url=url)


def too_many_jobs(limit: int) -> str:
    return ngettext(
        "You already have {limit} job running, the most at once. Please wait until it "
        "finishes, then try again. Nothing was charged.",
        "You already have {limit} jobs running, the most at once. Please wait until one of "
        "them finishes, then try again. Nothing was charged.",
        limit,
    ).format(limit=limit)


_ALREADY_UNDER_WAY = N_(
    "That is already under way, so I did not start it a second time. Nothing was charged."
)


def provider_refused_input(detail: str | None) -> str:
    if detail:
        return _("The AI service did not accept your input: {detail}").format(detail=detail)
    return _("The AI service did not accept your input.")


def _megabytes(size: int) -> str:
    return _("{size} MB").format(size=size // (1024 * 1024))


# --- Inputs -----------------------------------------------------------------------------------

_PHOTO_EXPECTED = N_("I need a photo here: send it as a photo or as a JPEG, PNG or WebP file.")
_AUDIO_EXPECTED = N_("I need audio here: a voice note or an audio file (up to 35 seconds).")
_AUDIO_TYPE_REFUSED = N_("I can't use that audio format. Send a voice note, MP3, M4A, OGG or WAV.")
_AUDIO_UNREADABLE = N_(
    "I couldn't read the length of that audio. Please record it again as a voice note."
)
_AUDIO_NOT_FETCHED = N_("I couldn't fetch that audio from Telegram. Please send it again.")


def image_type_refused(allowed: str) -> str:
    return _("I can't use that image format. Please send a {formats} image.").format(
        formats=allowed
    )


def file_too_large(limit: int) -> str:
    return _("That file is too large: the limit is {limit}. Please send a smaller one.").format(
        limit=_megabytes(limit)
    )


def not_enough_credits(needed: int, balance: int) -> str:
    return _(
        "Not enough credits: this needs {needed} and you have {balance}. "
        "Nothing was charged. Buy a pack below, then start again."
    ).format(needed=credits(needed), balance=credits(balance))


def short_of_credits(needed: int, balance: int) -> str:
    return _(
        "Not enough credits: this needs {needed} and you have {balance}. "
        "Nothing was charged. Buy a pack below: I keep this ready and offer to start it "
        "as soon as the payment goes through."
    ).format(needed=credits(needed), balance=credits(balance))


def resume_offer(title: str, price: int, balance: int) -> str:
    return _(
        "Your {title} is still ready to start: it costs {price}, and your "
        "balance is now {balance}. Start it?"
    ).format(title=_(title).lower(), price=credits(price), balance=credits(balance))


_TERMS = N_(
    "Before you use a real person's face or voice for the first time, please agree to these "
    "terms:\n\n"
    "• Use only photos and voices of people who agreed to it.\n"
    "• Nothing involving minors.\n"
    "• No sexual or defamatory content of real people.\n\n"
    "Breaking them gets your account blocked."
)
_TERMS_AGREE_BUTTON = N_("I agree")


def _TERMS_ACCEPTED() -> str:
    # Read as the constant texts.TERMS_ACCEPTED, like every _NAME.
    return _("{terms}\n\n✅ You agreed to these terms.").format(terms=_(_TERMS))


_TERMS_WAITING = N_("Please tap “I agree” under the terms to continue, or /cancel.")


def audio_too_long(seconds: float, limit: int) -> str:
    return _(
        "That audio is {seconds} seconds long; lipsync takes at most {limit} seconds. "
        "Please send a shorter one. Nothing was charged."
    ).format(seconds=f"{seconds:.0f}", limit=limit)


def start_button(price: int) -> str:
    return _("Start — {price}").format(price=credits(price))


_CANCEL_BUTTON = N_("Cancel")
_QUOTE_DECLINED = N_("Cancelled. Nothing was charged.")
_QUOTE_GONE = N_("This offer was already used or cancelled.")
_JOB_ACCEPTED = N_("Charged. Working on it…")


# --- Buying credits with Telegram Stars -------------------------------------------------------


def stars(amount: int) -> str:
    return ngettext("{count} Star", "{count} Stars", amount).format(count=amount)


def buy_intro(balance: int) -> str:
    return _(
        "Your balance: {balance}.\n\n"
        "Choose a pack. You pay with Telegram Stars and the credits arrive at once; "
        "/terms has the terms of sale."
    ).format(balance=credits(balance))


def pack_button(pack_credits: int, price: int) -> str:
    return _("{credits} — ⭐ {stars}").format(credits=credits(pack_credits), stars=price)


def invoice_title(pack_credits: int) -> str:
    """The invoice's title (Telegram takes 1 to 32 characters) and its price's label."""
    return credits(pack_credits)


def invoice_description(pack_credits: int) -> str:
    return _("{credits} for the pictures and videos of this bot.").format(
        credits=credits(pack_credits)
    )


_PACK_GONE = N_("This pack is no longer offered. Please open /buy again.")
_PAYMENT_NOT_YOURS = N_("This invoice was made for someone else. Please open /buy yourself.")
_PAYMENT_OFFER_CHANGED = N_("This offer has changed. Please open /buy again.")
_PAYMENT_NOT_RECOGNISED = N_(
    "Your payment arrived, but I could not match it to a credit pack. Nothing is lost: "
    "send /paysupport and it will be sorted out."
)


def payment_thanks(added: int, balance: int) -> str:
    return _("Thank you! {added} added. Your balance: {balance}.").format(
        added=credits(added), balance=credits(balance)
    )


_STARS_REFUND_NOTE = N_("Stars refunded")


def payment_refunded(paid: int, debited: int) -> str:
    if debited:
        return _("Your payment of {stars} was refunded. {credits} taken back.").format(
            stars=stars(paid), credits=credits(debited)
        )
    return _("Your payment of {stars} was refunded.").format(stars=stars(paid))


_TERMS_OF_SALE = N_(
    "Terms of use and of sale\n\n"
    "• Use only photos and voices of people who agreed to it; nothing involving minors; "
    "no sexual or defamatory content of real people. Breaking these rules gets an account "
    "blocked.\n"
    "• Credits are bought with Telegram Stars and can only be spent in this bot. They do "
    "not expire and cannot be exchanged back.\n"
    "• Every tool shows its price before charging. A failed job is refunded in credits "
    "automatically, a partly failed one in proportion.\n"
    "• Problems with a payment: /paysupport."
)
_PAYSUPPORT = N_(
    "Trouble with a payment? Write to the operator of this bot and include the payment's "
    "date and amount; refunds of Stars are made for purchases whose credits were not "
    "delivered or not used.\n\n"
    "Note: Telegram support cannot help with purchases made in this bot."
)
_ACCOUNT_BLOCKED = N_("Your account is blocked.")


# --- Operator texts: English only, never translated -------------------------------------------

REFUND_USAGE = "Usage: /refund <telegram_payment_charge_id>"


@_operator
def no_payment(charge_id: str) -> str:
    return f"There is no payment with charge id {charge_id}."


@_operator
def payment_already_refunded(payment: Payment) -> str:
    return f"Payment {payment.telegram_payment_charge_id} was refunded on {payment.refunded_at}."


@_operator
def refund_refused(reason: str) -> str:
    return f"Telegram refused the refund: {reason}"


@_operator
def refund_done(outcome: PaymentRefund) -> str:
    payment = outcome.payment
    lines = [
        f"Refunded {stars(payment.stars)} to user {payment.user_id}. "
        f"Taken back: {credits(outcome.debited)}; their balance: {credits(outcome.balance)}."
    ]
    if outcome.shortfall:
        lines.append(
            f"Shortfall: {credits(outcome.shortfall)} of the purchase were already spent "
            "and could not be taken back."
        )
    return "\n".join(lines)


PROMO_USAGE = (
    "Usage: /promo <code> <credits> [uses] [days]: a code of 3 to 32 letters, digits, _ or -, "
    "the credits it gives, optionally how many users may redeem it in all and for how many "
    "days. Each user redeems a code once. /promo alone lists the codes."
)


@_operator
def promo_created(promo: PromoCode, link: str) -> str:
    return f"Created {_promo_line(promo)}\nUsers redeem it with /redeem {promo.code} or {link}"


@_operator
def promo_exists(code: str) -> str:
    return f"Promo code {code} exists already."


def _promo_line(promo: PromoCode) -> str:
    uses = f"{promo.uses} of {promo.max_uses}" if promo.max_uses else f"{promo.uses}, no limit"
    ends = f", expires {_when(promo.expires_at)}" if promo.expires_at else ""
    return f"{promo.code}: {credits(promo.credits)}, used {uses}{ends}"


@_operator
def promo_list(promos: list[PromoCode]) -> str:
    if not promos:
        return "No promo codes yet. " + PROMO_USAGE
    return "Promo codes:\n" + "\n".join(_promo_line(promo) for promo in promos)


@_operator
def plan_refund_note(renewal_stopped: bool, reason: str | None) -> str:
    if renewal_stopped:
        return "It paid for a monthly plan, whose renewal is now cancelled."
    return f"It paid for a monthly plan, but Telegram refused to cancel its renewal: {reason}"


GRANT_USAGE = (
    "Usage: /grant <user_id> <credits> [reason]; a negative number of credits takes them away."
)
USER_USAGE = "Usage: /user <user_id>"
BLOCK_USAGE = "Usage: /block <user_id>"
UNBLOCK_USAGE = "Usage: /unblock <user_id>"
BROADCAST_USAGE = "Usage: /broadcast <text>, sent as it is to every user not blocked."
CANNOT_BLOCK_ADMIN = "Admins cannot be blocked."


@_operator
def no_user(user_id: int) -> str:
    return f"There is no user {user_id}: they have not written to the bot yet."


@_operator
def granted(user_id: int, amount: int, balance: int) -> str:
    sign = "+" if amount > 0 else ""
    return f"{sign}{credits(amount)} for user {user_id}. Their balance: {credits(balance)}."


@_operator
def grant_below_zero(user_id: int, balance: int) -> str:
    return (
        f"User {user_id} has only {credits(balance)}, and a balance never goes below zero. "
        "Nothing was changed."
    )


@_operator
def blocked_now(user_id: int) -> str:
    return f"User {user_id} is blocked: their messages get one short reply, nothing else."


@_operator
def unblocked_now(user_id: int) -> str:
    return f"User {user_id} is no longer blocked."


def _when(timestamp: str) -> str:
    return _date(timestamp, "dd MMM yyyy HH:mm 'UTC'")


@_operator
def user_card(
    user: User,
    jobs: list[Job],
    entries: list[LedgerEntry],
    payments: list[Payment],
    inviter_id: int | None,
) -> str:
    lines = [
        f"User {user.id}: {user.name or '(no name)'}, language {user.language or '?'}"
        + (f" (speaks {user.locale})" if user.locale else ""),
        f"Joined {_when(user.created_at)}, last seen {_when(user.last_seen_at)}",
        f"Balance: {credits(user.balance)}",
        f"Blocked: {'yes' if user.blocked else 'no'}",
    ]
    if user.unreachable_since:
        lines.append(f"Blocked the bot: since {_when(user.unreachable_since)}")
    if inviter_id is not None:
        lines.append(f"Invited by: {inviter_id}")
    lines += ["", "Last jobs:"]
    lines += [
        f"{_when(job.created_at)}  {job.tool}  {job.state}  {credits(job.price)}"
        + (f", {job.refunded} refunded" if job.refunded else "")
        for job in jobs
    ] or ["none"]
    lines += ["", "Last credit changes:"]
    lines += [
        _ledger_line(entry) + (f" [admin {entry.admin_id}]" if entry.admin_id else "")
        for entry in entries
    ] or ["none"]
    lines += ["", "Last payments (charge id for /refund):"]
    lines += [
        f"{_when(payment.created_at)}  {stars(payment.stars)} for {credits(payment.credits)}"
        f"  {payment.telegram_payment_charge_id}" + (" (refunded)" if payment.refunded_at else "")
        for payment in payments
    ] or ["none"]
    return "\n".join(lines)


@_operator
def broadcast_started(broadcast_id: int, recipients: int) -> str:
    return f"Broadcast #{broadcast_id} to {recipients} users started; I report when it is done."


@_operator
def broadcast_report(broadcast_id: int, counts: BroadcastCounts) -> str:
    return (
        f"Broadcast #{broadcast_id} finished: {counts.sent} sent, {counts.failed} failed "
        f"(of {counts.recipients})."
    )


@_operator
def stats_chart_caption(days: int) -> str:
    return f"The last {days} days, in UTC."


CHART_JOBS_TITLE = "Jobs per day, by tool"
CHART_CREDITS_TITLE = "Credits sold per day (packs and plans)"


@_operator
def backup_caption(size: int) -> str:
    return (
        f"A consistent copy of the database, taken just now ({_file_size(size)}, "
        "gzip-compressed SQLite). It holds every user's data: keep it somewhere safe."
    )


@_operator
def backup_too_large(size: int, limit: int) -> str:
    return (
        f"The compressed backup is {_file_size(size)}, over Telegram's {_megabytes(limit)} "
        "upload limit. Run python -m bot backup PATH on the server instead."
    )


def _file_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@_operator
def stats(overview: Overview, provider_balance: float | None) -> str:
    day, total = overview.day, overview.all_time
    lines = [
        f"Users: {overview.users} (active {overview.active_day} in 24 h, "
        f"{overview.active_week} in 7 days; blocked {overview.blocked}; "
        f"blocked the bot {overview.unreachable})",
        "",
        "Jobs in 24 h:",
    ]
    lines += [f"  {job.tool} {job.state}: {job.count}" for job in overview.jobs_day] or ["  none"]
    lines += [
        "",
        f"Credits spent: {day.credits_spent} in 24 h, {total.credits_spent} in all",
        f"Credits refunded: {day.credits_refunded} in 24 h, {total.credits_refunded} in all",
        f"Stars received: {day.stars_received} in 24 h, {total.stars_received} in all",
        f"Stars refunded: {day.stars_refunded} in 24 h, {total.stars_refunded} in all",
        "",
        "Provider balance: "
        + ("unavailable" if provider_balance is None else f"{provider_balance:g} credits"),
    ]
    return "\n".join(lines)


@_operator
def provider_balance_low(balance: float | None, threshold: float) -> str:
    shown = "unknown" if balance is None else f"{balance:g} credits"
    return (
        f"⚠️ The AI provider's balance is low: {shown} (alert under {threshold:g}). "
        "Jobs fail and are refunded when it runs out; please top it up."
    )


# --- Referrals --------------------------------------------------------------------------------

_REFERRAL_NOTE = N_("invited friend's first purchase")


def invite(link: str, reward: int) -> str:
    if reward:
        return _(
            "Invite friends with your link:\n{link}\n\n"
            "You get {credits} when a friend who joins through it makes their "
            "first purchase of credits."
        ).format(link=link, credits=credits(reward))
    return _("Invite friends with your link:\n{link}").format(link=link)


def referral_reward(reward: int) -> str:
    return _("A friend you invited made their first purchase: you got {credits}!").format(
        credits=credits(reward)
    )


# --- Groups and channels ----------------------------------------------------------------------

_GROUP_REPLY = N_("I work in a private chat. Tap the button to open it.")
_OPEN_PRIVATE_CHAT_BUTTON = N_("Open castbot")


# --- Monthly plans (Telegram Stars subscriptions) ---------------------------------------------

_PLANS_OFF = N_("There are no monthly plans on this bot. /buy has credit packs.")


def plans_intro(balance: int) -> str:
    return _(
        "Your balance: {balance}.\n\n"
        "A monthly plan adds credits every 30 days, paid with Telegram Stars, until you "
        "cancel it here in /subscription. Choose a plan:"
    ).format(balance=credits(balance))


def plan_button(plan_credits: int, price: int) -> str:
    return _("{credits} a month — ⭐ {stars}").format(credits=credits(plan_credits), stars=price)


def plan_title(plan_credits: int) -> str:
    return _("{credits} a month").format(credits=credits(plan_credits))


def plan_description(plan_credits: int) -> str:
    return _(
        "{credits} every 30 days for the tools of this bot, until you cancel in /subscription."
    ).format(credits=credits(plan_credits))


def _day(timestamp: str) -> str:
    return _date(timestamp, "dd MMM yyyy")


def subscription_status(subscription: Subscription) -> str:
    plan = credits(subscription.credits)
    price = stars(subscription.stars)
    day = _day(subscription.expires_at)
    if subscription.canceled:
        return _(
            "Your plan: {credits} a month for {stars}. It is cancelled: it ends on {day} and "
            "will not renew. Your credits stay yours."
        ).format(credits=plan, stars=price, day=day)
    return _("Your plan: {credits} a month for {stars}. It renews on {day}.").format(
        credits=plan, stars=price, day=day
    )


_CANCEL_PLAN_BUTTON = N_("Cancel renewal")
_RENEW_PLAN_BUTTON = N_("Renew again")
_PLAN_CANCELED = N_("Renewal cancelled.")
_PLAN_RENEWABLE = N_(
    "Renewal is allowed again. If Telegram still shows the plan as cancelled, turn it on "
    "under Settings › My Stars."
)
_SUBSCRIPTION_GONE = N_("This plan has ended. /subscription shows what you can subscribe to.")
_SUBSCRIPTION_EDIT_REFUSED = N_("Telegram did not accept that change. Please try again later.")


def plan_started(added: int, balance: int, renews_at: str) -> str:
    return _(
        "Thank you! Your monthly plan is on: {added} added, your balance is {balance}. "
        "It renews on {day}; /subscription shows or cancels it."
    ).format(added=credits(added), balance=credits(balance), day=_day(renews_at))


def plan_renewed(added: int, balance: int, renews_at: str) -> str:
    return _(
        "Your monthly plan renewed: {added} added, your balance is {balance}. "
        "Next renewal on {day}."
    ).format(added=credits(added), balance=credits(balance), day=_day(renews_at))


# --- Promo codes ------------------------------------------------------------------------------

_REDEEM_USAGE = N_("Send /redeem followed by the code, like /redeem SPRING.")


def promo_note(code: str) -> str:
    return _("promo code {code}").format(code=code)


def promo_redeemed(code: str, added: int, balance: int) -> str:
    return _("Promo code {code}: {added} added. Your balance: {balance}.").format(
        code=code, added=credits(added), balance=credits(balance)
    )


def promo_unknown(code: str) -> str:
    return _("There is no promo code {code}. Please check the spelling.").format(code=code)


def promo_expired(code: str) -> str:
    return _("Promo code {code} has expired.").format(code=code)


def promo_used_up(code: str) -> str:
    return _("Promo code {code} has been used as often as it may be.").format(code=code)


def promo_already(code: str) -> str:
    return _("You have already redeemed promo code {code}.").format(code=code)


# --- Actors -----------------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return _("about {minutes} min").format(minutes=minutes)


def training_status(title: str, actor_name: str, training: Training) -> str:
    parts = [training.stage.replace("-", " ") if training.stage else _("training")]
    if training.progress is not None:
        parts.append(f"{training.progress:.0%}")
    if training.remaining_seconds is not None:
        parts.append(_("{minutes} left").format(minutes=_minutes(training.remaining_seconds)))
    return _("⚙️ {title} of {name}: {progress}…").format(
        title=_(title), name=actor_name, progress=", ".join(parts)
    )


def training_done(kind: str, actor_name: str) -> str:
    if kind == "voice":
        return _("🎙 {name}'s voice is cloned. /actors shows it.").format(name=actor_name)
    return _(
        "🎉 {name}'s likeness is trained. Open /actors and tap “Picture from a prompt” "
        "to see them anywhere you can describe."
    ).format(name=actor_name)


_NO_ACTORS = N_(
    "You have no actors yet. An actor is a saved character: a name, face photos and "
    "optionally a voice, reused in every tool without sending them again.\n\n"
    "/newactor creates one."
)


def actors_list(count: int) -> str:
    return _("Your actors ({count} of {limit}). Tap one to see it and what it can do.").format(
        count=count, limit=MAX_ACTORS
    )


def _training_line(label: str, training: ActorTraining | None) -> str | None:
    if training is None:
        return None
    if training.status == "trained":
        return _("{label}: ✅ trained").format(label=label)
    if training.status == "failed":
        return _("{label}: ❌ failed (refunded)").format(label=label)
    if training.progress is not None:
        return _("{label}: ⚙️ training {progress}").format(
            label=label, progress=f"{training.progress:.0%}"
        )
    return _("{label}: ⚙️ training").format(label=label)


def actor_card(actor: Actor, training_offered: bool) -> str:
    lines = [
        f"🎭 {actor.name}",
        _("Photos: {count} of {limit}").format(count=len(actor.photos), limit=MAX_PHOTOS),
    ]
    if actor.voice:
        lines.append(_("Voice sample: {seconds} s").format(seconds=f"{actor.voice.seconds:.0f}"))
    else:
        lines.append(_("Voice sample: none"))
    for line in (
        _training_line(_("Likeness"), actor.likeness),
        _training_line(_("Cloned voice"), actor.voice_clone),
    ):
        if line:
            lines.append(line)
    if not training_offered:
        lines += ["", _(_TRAINING_UNAVAILABLE)]
    return "\n".join(lines)


_TRAINING_UNAVAILABLE = N_(
    "Likeness training and voice cloning are not available on this bot right now."
)
_ACTOR_GONE = N_("This actor does not exist any more. /actors lists yours.")
_ACTOR_BUTTON_USE = N_("Use")
_ACTOR_BUTTON_RENAME = N_("Rename")
_ACTOR_BUTTON_PHOTOS = N_("Add photos")
_ACTOR_BUTTON_VOICE = N_("Set voice")
_ACTOR_BUTTON_DELETE = N_("Delete")
_ACTOR_BUTTON_PICTURE = N_("Picture from a prompt")
_ACTORS_BACK = N_("« All actors")
_DONE_BUTTON = N_("Done")
_SKIP_BUTTON = N_("Skip")
_YES_DELETE = N_("Yes, delete")
_KEEP_BUTTON = N_("No, keep")


def train_likeness_button(price: int) -> str:
    return _("Train likeness — {price}").format(price=credits(price))


def clone_voice_button(price: int) -> str:
    return _("Clone voice — {price}").format(price=credits(price))


_USE_TOOL_BUTTONS = {
    "faceswap": N_("Face swap with {name}"),
    "lipsync": N_("Lipsync with {name}"),
    "by_ref": N_("A similar picture of {name}"),
    "photoshoot": N_("A photoshoot of {name}"),
    "collaber": N_("{name} together with someone"),
    "video2video": N_("{name} in the moves of a video"),
}


def use_tool_button(tool: str, name: str) -> str:
    return _(_USE_TOOL_BUTTONS[tool]).format(name=name)


def use_actor(name: str) -> str:
    return _("What should {name} do?").format(name=name)


def pick_actor_button(name: str) -> str:
    return f"🎭 {name}"


_ACTOR_PICKER_HINT = N_("Or tap one of your actors below.")


def _NEW_ACTOR_NAME() -> str:
    return _("Let's save a new actor. What's their name? (up to {limit} characters)").format(
        limit=MAX_NAME_LENGTH
    )


def _ACTOR_NAME_PROBLEMS() -> dict[str, str]:
    return {
        "empty": _("The name can't be empty. Please send a name."),
        "too_long": _("That name is too long: up to {limit} characters, please.").format(
            limit=MAX_NAME_LENGTH
        ),
        "line_break": _("The name must be a single line. Please send it again."),
    }


_ACTOR_NAME_TAKEN = N_("You already have an actor with that name. Please pick another one.")
_ACTOR_NAME_EXPECTED = N_("Please send the name as text.")


def _ACTOR_LIMIT() -> str:
    return _(
        "You already have {limit} actors, the most you can keep. "
        "Delete one in /actors to make room."
    ).format(limit=MAX_ACTORS)


def actor_photos_intro(name: str) -> str:
    return _(
        "Now send photos of {name}'s face: one by one or as an album, up to {limit}. "
        "Clear, well-lit faces work best; likeness training needs at least 4."
    ).format(name=name, limit=MAX_PHOTOS)


def actor_photos_saved(name: str, count: int) -> str:
    return ngettext(
        "{name} has {count} photo. Send more, or tap Done.",
        "{name} has {count} photos. Send more, or tap Done.",
        count,
    ).format(name=name, count=count)


def photos_added(name: str, count: int) -> str:
    return ngettext(
        "✅ {name} now has {count} photo.", "✅ {name} now has {count} photos.", count
    ).format(name=name, count=count)


_VOICE_SAMPLE_EXPECTED = N_(
    "I need a voice sample here: a voice note or audio file of 10 seconds to 3 minutes."
)


def actor_photos_full(name: str, room: int) -> str:
    if room == 0:
        return _("{name} already has {limit} photos, the most an actor keeps. Tap Done.").format(
            name=name, limit=MAX_PHOTOS
        )
    return ngettext(
        "Only {room} more photo fits ({limit} at most); that one was not added.",
        "Only {room} more photos fit ({limit} at most); that one was not added.",
        room,
    ).format(room=room, limit=MAX_PHOTOS)


_ACTOR_PHOTO_EXPECTED = N_("Please send a photo of the face, or tap Done.")


def actor_voice_intro(name: str) -> str:
    return _(
        "Optional: send a voice sample of {name} — a voice note or audio file of "
        "10 seconds to 3 minutes of clear speech. Or tap Skip."
    ).format(name=name)


def voice_length_refused(seconds: float, shortest: int, longest: int) -> str:
    return _(
        "That sample is {seconds} seconds long; a voice sample must be "
        "{shortest} seconds to {longest} minutes. Please send another one."
    ).format(seconds=f"{seconds:.0f}", shortest=shortest, longest=longest // 60)


def actor_saved(name: str) -> str:
    return _(
        "✅ {name} is saved. Pick them wherever a face is asked for (/faceswap, /lipsync, "
        "/photoshoot, ...) instead of sending photos again; /actors shows what else they can do."
    ).format(name=name)


def rename_prompt(name: str) -> str:
    return _("Send the new name for {name}.").format(name=name)


def renamed(name: str) -> str:
    return _("Renamed to {name}.").format(name=name)


def add_photos_prompt(name: str, count: int) -> str:
    return _("{name} has {count} of {limit} photos. Send more, one by one or as an album.").format(
        name=name, count=count, limit=MAX_PHOTOS
    )


def set_voice_prompt(name: str) -> str:
    return _(
        "Send a new voice sample of {name}: a voice note or audio file of 10 seconds to 3 minutes."
    ).format(name=name)


def voice_saved(name: str) -> str:
    return _("🎙 {name}'s voice sample is saved.").format(name=name)


def confirm_delete(name: str) -> str:
    return _(
        "Delete {name} with all their photos, voice and trainings? This can't be undone."
    ).format(name=name)


def deleted(name: str) -> str:
    return _("{name} is deleted.").format(name=name)


def busy_training(name: str) -> str:
    return _("{name} is training right now. Please wait until it finishes.").format(name=name)


def needs_photos_to_train(name: str, have: int, need: int) -> str:
    return ngettext(
        "Likeness training needs at least {need} photos of {name}; there is {have}. "
        "Tap “Add photos” first.",
        "Likeness training needs at least {need} photos of {name}; there are {have}. "
        "Tap “Add photos” first.",
        have,
    ).format(name=name, have=have, need=need)


_NEEDS_VOICE_TO_CLONE = N_("Set a voice sample first: tap “Set voice”.")


def likeness_quote(name: str, photos: int, price: int, balance: int) -> str:
    return _(
        "Training {name}'s likeness on {photos} photos costs {price} and takes "
        "up to about 20 minutes. Your balance: {balance}.\n"
        "If it fails, every credit comes back. Start?"
    ).format(name=name, photos=photos, price=credits(price), balance=credits(balance))


def voice_quote(name: str, price: int, balance: int) -> str:
    return _(
        "Cloning {name}'s voice costs {price}. Your balance: {balance}.\n"
        "If it fails, every credit comes back. Start?"
    ).format(name=name, price=credits(price), balance=credits(balance))


def picture_prompt(name: str, price: int) -> str:
    return _(
        "Describe the picture of {name} — the scene, clothes, light, style. "
        "A picture costs {price}."
    ).format(name=name, price=credits(price))


_PROMPT_EXPECTED = N_("Please describe the picture in a text message.")


def prompt_too_long(limit: int) -> str:
    return _(
        "That text is too long: up to {limit} characters, please. Nothing was charged."
    ).format(limit=limit)


def picture_quote(name: str, price: int, balance: int) -> str:
    return _("A picture of {name} costs {price}. Your balance: {balance}.\nStart?").format(
        name=name, price=credits(price), balance=credits(balance)
    )


def actor_voice_too_long(name: str, seconds: float, limit: int) -> str:
    return _("{name}'s voice sample is {seconds} s; lipsync takes at most {limit} s.").format(
        name=name, seconds=f"{seconds:.0f}", limit=limit
    )


# --- The studio: tools, their questions and options -------------------------------------------
# The catalog (bot/catalog) is built once, at import, and shown to readers of every language:
# it keeps these label functions with their arguments and calls them when a button is drawn.


def option_label(key: str) -> str:
    return {
        "model": _("Model"),
        "resolution": _("Resolution"),
        "ratio": _("Shape"),
        "mode": _("Mode"),
        "count": _("Images"),
        "style": _("Style"),
        "template": _("Template"),
        "version": _("Engine"),
        "megapixels": _("Size"),
        "strength": _("Likeness to the reference"),
        "body_type": _("Body type"),
        "eye_color": _("Eye colour"),
        "hair_color": _("Hair colour"),
        "hair_type": _("Hair type"),
        "hair_style": _("Hair style"),
        "beard": _("Beard"),
        "beard_color": _("Beard colour"),
        "makeup": _("Makeup"),
        "duration": _("Length"),
        "sound": _("Sound"),
        "scale": _("Scale"),
        "transition": _("Transition"),
        "keep_audio": _("Audio"),
    }[key]


def faceswap_model(value: str) -> str:
    return {
        "SDXL": _("Standard"),
        "GENERAL": _("General"),
        "GENERAL_ADVANCED": _("Advanced"),
        "FULL_HEAD": _("Full head"),
    }[value]


def image_model(value: str) -> str:
    """A picture model's name: most are brand names, the same in every language."""
    return {
        "GENERAL_SFW": _("General"),
        "GENERAL_NSFW": _("General 18+"),
        "SDXL_NSFW": "SDXL 18+",
        "FLUX_KLEIN_NSFW": "Flux Klein 18+",
        "FLUX_KLEIN_LORA": _("Flux Klein templates 18+"),
        "NANO_BANANA": "Nano Banana",
        "QWEN_IMAGE": "Qwen",
        "QWEN_IMAGE_PRO": "Qwen Pro",
        "SEEDREAM_5": "Seedream 5",
        "WAN": _("WAN (legacy)"),
        "WAN_2_7_IMAGE": "WAN 2.7",
        "WAN_2_7_IMAGE_PRO": "WAN 2.7 Pro",
    }[value]


def similar_model(value: str) -> str:
    return {"GENERAL": _("General"), "SDXL": "SDXL 18+"}[value]


def mode_label(value: str) -> str:
    return {"fast": _("Fast"), "quality": _("Quality")}[value]


def upscaler_version(value: str) -> str:
    return {
        "basic": _("Basic"),
        "basic_safe_face": _("Basic, keep face"),
        "natural_clarity": _("Natural"),
        "premium_realism": _("Premium"),
        "premium_safe_face": _("Premium, keep face"),
        "ultra_clarity": _("Ultra"),
    }[value]


def strength_label(value: float) -> str:
    return {0.5: _("Loose"), 0.75: _("Close"), 1.0: _("Very close")}[value]


def gender_label(value: str) -> str:
    return {"Female": _("Woman"), "Male": _("Man")}[value]


def same_as_photo() -> str:
    return _("Same as the photo")


def any_value() -> str:
    return _("Any")


_NO_STYLE = N_("None")


def provider_value(field: str, value: str) -> str:
    """A value the provider names itself, as shown on a button: translated where it is words
    (an origin, a hair colour), as the provider writes it where it is not (a ratio, an age)."""
    return _provider_words(current_locale()).get((field, value), value)


@cache
def _provider_words(locale: str) -> Mapping[tuple[str, str], str]:
    """facegen's attribute values in one locale (the translation names what each is about:
    a colour of eyes or of hair)."""
    with use_locale(locale):
        origins = {
            "Central American": pgettext("origin", "Central American"),
            "Central Asian": pgettext("origin", "Central Asian"),
            "East Asian": pgettext("origin", "East Asian"),
            "European": pgettext("origin", "European"),
            "Middle Eastern": pgettext("origin", "Middle Eastern"),
            "North African": pgettext("origin", "North African"),
            "North American": pgettext("origin", "North American"),
            "Oceanian / Pacific Islander": pgettext("origin", "Oceanian / Pacific Islander"),
            "South American": pgettext("origin", "South American"),
            "South Asian": pgettext("origin", "South Asian"),
            "Southeast Asian": pgettext("origin", "Southeast Asian"),
        }
        body_types = {
            "Chubby": pgettext("body type", "Chubby"),
            "Curvy": pgettext("body type", "Curvy"),
            "Fit": pgettext("body type", "Fit"),
            "Muscular": pgettext("body type", "Muscular"),
            "Normal": pgettext("body type", "Normal"),
            "Slim": pgettext("body type", "Slim"),
        }
        eye_colours = {
            "Albino": pgettext("eye colour", "Albino"),
            "Amber": pgettext("eye colour", "Amber"),
            "Blue": pgettext("eye colour", "Blue"),
            "Brown": pgettext("eye colour", "Brown"),
            "Gray": pgettext("eye colour", "Gray"),
            "Green": pgettext("eye colour", "Green"),
            "Hazel": pgettext("eye colour", "Hazel"),
            "Heterochromia": pgettext("eye colour", "Heterochromia"),
            "Red": pgettext("eye colour", "Red"),
            "Violet": pgettext("eye colour", "Violet"),
        }
        hair_colours = {
            "Black": pgettext("hair colour", "Black"),
            "Blonde": pgettext("hair colour", "Blonde"),
            "Blue": pgettext("hair colour", "Blue"),
            "Brunette": pgettext("hair colour", "Brunette"),
            "Gray": pgettext("hair colour", "Gray"),
            "Green": pgettext("hair colour", "Green"),
            "Honey": pgettext("hair colour", "Honey"),
            "Ombre": pgettext("hair colour", "Ombre"),
            "Pink": pgettext("hair colour", "Pink"),
            "Platinum": pgettext("hair colour", "Platinum"),
            "Red": pgettext("hair colour", "Red"),
            "Salt and Pepper": pgettext("hair colour", "Salt and Pepper"),
            "Violet": pgettext("hair colour", "Violet"),
        }
        hair_types = {
            "Bald": pgettext("hair type", "Bald"),
            "Coily": pgettext("hair type", "Coily"),
            "Curly": pgettext("hair type", "Curly"),
            "Frizzy": pgettext("hair type", "Frizzy"),
            "Silky": pgettext("hair type", "Silky"),
            "Straight": pgettext("hair type", "Straight"),
            "Thick": pgettext("hair type", "Thick"),
            "Thin": pgettext("hair type", "Thin"),
            "Wavy": pgettext("hair type", "Wavy"),
        }
        hair_styles = {
            "Afro": pgettext("hair style", "Afro"),
            "Bob": pgettext("hair style", "Bob"),
            "Bowl": pgettext("hair style", "Bowl"),
            "Braids": pgettext("hair style", "Braids"),
            "Bun": pgettext("hair style", "Bun"),
            "Buzzcut": pgettext("hair style", "Buzzcut"),
            "Caesar": pgettext("hair style", "Caesar"),
            "Mohawk": pgettext("hair style", "Mohawk"),
            "Pigtails": pgettext("hair style", "Pigtails"),
            "Pixie": pgettext("hair style", "Pixie"),
            "Ponytail": pgettext("hair style", "Ponytail"),
            "Shag": pgettext("hair style", "Shag"),
            "Undercut": pgettext("hair style", "Undercut"),
            "Updo": pgettext("hair style", "Updo"),
        }
        beards = {
            "Anchor Beard": pgettext("beard", "Anchor Beard"),
            "Balbo Beard": pgettext("beard", "Balbo Beard"),
            "Chevron Mustache": pgettext("beard", "Chevron Mustache"),
            "Chinstrap Beard": pgettext("beard", "Chinstrap Beard"),
            "Circle Beard": pgettext("beard", "Circle Beard"),
            "Corporate Beard": pgettext("beard", "Corporate Beard"),
            "Ducktail Beard": pgettext("beard", "Ducktail Beard"),
            "Friendly Mutton Chops": pgettext("beard", "Friendly Mutton Chops"),
            "Full Beard": pgettext("beard", "Full Beard"),
            "Garibaldi Beard": pgettext("beard", "Garibaldi Beard"),
            "Goatee": pgettext("beard", "Goatee"),
            "Handlebar Mustache": pgettext("beard", "Handlebar Mustache"),
            "Horseshoe Mustache": pgettext("beard", "Horseshoe Mustache"),
            "Imperial Mustache": pgettext("beard", "Imperial Mustache"),
            "Mutton Chops": pgettext("beard", "Mutton Chops"),
            "Pencil Mustache": pgettext("beard", "Pencil Mustache"),
            "Soul Patch": pgettext("beard", "Soul Patch"),
            "Stubble Beard": pgettext("beard", "Stubble Beard"),
            "Van Dyke Beard": pgettext("beard", "Van Dyke Beard"),
            "Zappa Mustache": pgettext("beard", "Zappa Mustache"),
        }
        makeups = {
            "Anime Makeup": pgettext("makeup", "Anime Makeup"),
            "Artistic Makeup": pgettext("makeup", "Artistic Makeup"),
            "Avant-garde Makeup": pgettext("makeup", "Avant-garde Makeup"),
            "Bohemian Makeup": pgettext("makeup", "Bohemian Makeup"),
            "Boho Makeup": pgettext("makeup", "Boho Makeup"),
            "Classic Makeup": pgettext("makeup", "Classic Makeup"),
            "Cut Crease Makeup": pgettext("makeup", "Cut Crease Makeup"),
            "Dewy Makeup": pgettext("makeup", "Dewy Makeup"),
            "Edgy Makeup": pgettext("makeup", "Edgy Makeup"),
            "Festival Makeup": pgettext("makeup", "Festival Makeup"),
            "Glam Makeup": pgettext("makeup", "Glam Makeup"),
            "Glowy Makeup": pgettext("makeup", "Glowy Makeup"),
            "Golden Makeup": pgettext("makeup", "Golden Makeup"),
            "Monochromatic Makeup": pgettext("makeup", "Monochromatic Makeup"),
            "Natural Makeup": pgettext("makeup", "Natural Makeup"),
            "Party Makeup": pgettext("makeup", "Party Makeup"),
            "Retro Makeup": pgettext("makeup", "Retro Makeup"),
            "Sunset Eye Makeup": pgettext("makeup", "Sunset Eye Makeup"),
            "Vintage Makeup": pgettext("makeup", "Vintage Makeup"),
            "Watercolor Makeup": pgettext("makeup", "Watercolor Makeup"),
        }
    by_field = {
        "origin": origins,
        "body_type": body_types,
        "eye_color": eye_colours,
        "hair_color": hair_colours,
        "beard_color": hair_colours,
        "hair_type": hair_types,
        "hair_style": hair_styles,
        "beard": beards,
        "makeup": makeups,
    }
    return {
        (field, value): word for field, words in by_field.items() for value, word in words.items()
    }


def images(count: int) -> str:
    return ngettext("{count} image", "{count} images", count).format(count=count)


def megapixels(amount: int) -> str:
    return _("{amount} MP").format(amount=amount)


_QUESTIONS = {
    "faceswap": {
        "face": N_("send the face photo — the face I should put in."),
        "target": N_("now send the target photo — the picture whose face I replace."),
    },
    "lipsync": {
        "portrait": N_("send a portrait photo (JPG or PNG, under 5 MB)."),
        "audio": N_("now send the audio — a voice note or an audio file of up to 35 seconds."),
    },
    "by_prompt": {"prompt": N_("describe the picture you want (up to 2,000 characters).")},
    "image_editor": {
        "photos": N_("send the photo to edit — or up to 10 as an album, to combine them."),
        "instruction": N_("say what to change (up to 2,000 characters)."),
    },
    "upscaler": {"photo": N_("send the photo to make bigger and sharper.")},
    "by_ref": {
        "reference": N_("send the photo the new picture should be like."),
        "face": N_("optionally, send a face to put in the picture."),
    },
    "photoshoot": {
        "face": N_("send a photo of the face."),
        "body": N_("now send a photo of the body (the face may be hidden or cropped out)."),
        "category": N_("pick a style, or type a description of the shot."),
    },
    "facegen": {
        "gender": N_("a woman or a man?"),
        "age": N_("how old?"),
        "origin": N_("which origin or look?"),
    },
    "carousel": {"photo": N_("send the photo to see from other angles.")},
    "collaber": {
        "first": N_("send a photo of the first person."),
        "second": N_("now a photo of the second person."),
        "location": N_("optionally, send a photo of the place to put them in."),
        "prompt": N_("optionally, describe what they do together (up to 2,000 characters)."),
    },
    "videogen": {
        "photo": N_("send the photo to animate."),
        "last_frame": N_("optionally, send the last frame — the picture the video should end on."),
        "audio": N_(
            "optionally, send audio for the video to follow — a voice note or an audio file."
        ),
        "prompt": N_("optionally, describe the motion (up to 2,000 characters)."),
    },
    "video2video": {
        "character": N_("send a photo of your character — the one who takes over the moves."),
        "source": N_(
            "now send the video whose moves to use, or an Instagram or TikTok link to it."
        ),
    },
    "video_upscaler": {"video": N_("send the video to make bigger and sharper.")},
    "video_merger": {
        "clips": N_(
            "send the videos to join, one by one in the order they should play, or tap your "
            "earlier videos below: 2 to 5 in all."
        ),
    },
}


def flow_left(title: str) -> str:
    return _("I stopped your {title}; nothing was charged for it.").format(title=_(title).lower())


def flow_intro(title: str, price: str, balance: int) -> str:
    return _("{title} costs {price}. Your balance: {balance}.").format(
        title=_(title), price=price, balance=credits(balance)
    )


def price_per_second(per_second: int, limit: float | None) -> str:
    if limit:
        return ngettext(
            "{count} credit per second of audio, up to {limit} seconds",
            "{count} credits per second of audio, up to {limit} seconds",
            per_second,
        ).format(count=per_second, limit=f"{limit:.0f}")
    return ngettext(
        "{count} credit per second of audio", "{count} credits per second of audio", per_second
    ).format(count=per_second)


def per_second_short(per_second: int) -> str:
    return _("{credits}/s").format(credits=credits(per_second))


def question(
    *,
    step: int,
    steps: int,
    question: str,
    intro: str | None,
    actors: bool,
    skip: bool,
    price_line: str | None,
) -> str:
    line = _("Step {step} of {steps}: {question}").format(
        step=step, steps=steps, question=question
    )
    if actors:
        line = f"{line} {_(_ACTOR_PICKER_HINT)}"
    if skip:
        line = f"{line} {_(_SKIP_HINT)}"
    return "\n\n".join(part for part in (intro, line, price_line) if part)


_SKIP_HINT = N_("Or tap Skip.")


def price_line(price: int, has_options: bool) -> str:
    if has_options:
        return _(
            "Price: {price}. The buttons below change the options, with their prices."
        ).format(price=credits(price))
    return _("Price: {price}.").format(price=credits(price))


def quote(title: str, price: int, balance: int, measures: Mapping[str, float | None]) -> str:
    audio, video = measures.get("audio_seconds"), measures.get("video_seconds")
    if audio is not None:
        seconds = max(1, math.ceil(audio))
        return ngettext(
            "{title} of {seconds} s of audio costs {price}. Your balance: {balance}.\nStart?",
            "{title} of {seconds} s of audio costs {price}. Your balance: {balance}.\nStart?",
            seconds,
        ).format(title=_(title), seconds=seconds, price=credits(price), balance=credits(balance))
    if video is not None:
        seconds = max(1, math.ceil(video))
        return ngettext(
            "{title} of {seconds} s of video costs {price}. Your balance: {balance}.\nStart?",
            "{title} of {seconds} s of video costs {price}. Your balance: {balance}.\nStart?",
            seconds,
        ).format(title=_(title), seconds=seconds, price=credits(price), balance=credits(balance))
    return _("{title} costs {price}. Your balance: {balance}.\nStart?").format(
        title=_(title), price=credits(price), balance=credits(balance)
    )


def again_quote(title: str, price: int, balance: int) -> str:
    return _(
        "The same {title} again, with the same inputs and options, costs "
        "{price}. Your balance: {balance}.\nStart?"
    ).format(title=_(title).lower(), price=credits(price), balance=credits(balance))


def option_button(label: str, current: str) -> str:
    return f"{label}: {current} ▸"


def choice_button(label: str, price: int | None, chosen: bool) -> str:
    text = f"{label} · {credits(price)}" if price is not None else label
    return f"✓ {text}" if chosen else text


_MORE_OPTIONS_BUTTON = N_("More options ▸")
_BACK_BUTTON = N_("« Back")
_ADULT_MODELS_BUTTON = N_("🔞 Show 18+ models")
_ADULT_CONFIRM_BUTTON = N_("I am 18 or older")
_ADULT_QUESTION = N_("18+ models are only for adults. Tap “I am 18 or older” to confirm, once.")
_ADULT_CONFIRMED = N_("Thanks. 18+ models are shown from now on.")
_OPTION_SET = N_("Done.")
_STALE_BUTTON = N_("This button is out of date. Please use the latest message.")
_TAP_A_BUTTON = N_("Please tap one of the buttons.")
_TEXT_EXPECTED = N_("Please send it as a text message.")

_MENU_BUTTONS = {
    "swap_face": N_("Face swap: use as face"),
    "swap_target": N_("Face swap: use as target"),
    "edit": N_("Edit"),
    "upscale": N_("Upscale"),
    "similar": N_("Similar"),
    "angles": N_("Angles"),
    "lipsync": N_("Lipsync (as portrait)"),
    "actor": N_("Save as actor"),
    "animate": N_("Animate"),
}


def menu_button(label: str, price: str) -> str:
    return f"{label} · {price}"


def photo_menu(count: int) -> str:
    return ngettext(
        "What should I do with this photo? Each button shows its price.",
        "What should I do with these {count} photos? Each button shows its price.",
        count,
    ).format(count=count)


_RESULT_BUTTONS = {
    "again": N_("🔁 Again"),
    "edit": N_("✏️ Edit"),
    "upscale": N_("🔍 Upscale"),
    "swap": N_("🎭 Face swap into this"),
    "actor": N_("💾 Save as actor"),
    "animate": N_("🎬 Animate"),
    "lipsync": N_("🗣 Lipsync"),
    "upscale_video": N_("🔍 Upscale video"),
    "merge": N_("🎞 Merge with…"),
}


def result_card(
    title: str,
    count: int,
    price: int,
    balance: int,
    reusable: bool,
    charged_at_most: bool = False,
) -> str:
    """The caption of a delivered result: what was made, what it cost, the balance left. A
    job charged the most it could cost (a linked video) is settled only after its delivery."""
    made = ngettext("{title}: your result is ready.", "{title}: {count} results.", count).format(
        title=_(title), count=count
    )
    if charged_at_most:
        cost = _(
            "Charged: {price}, the most it can cost; the difference comes back once the AI "
            "service reports what it charged. Balance left: {balance}."
        )
    else:
        cost = _("Price: {price}. Balance left: {balance}.")
    cost = cost.format(price=credits(price), balance=credits(balance))
    follow = _("Use it next without sending it again:") if reusable else _("Make another one:")
    return f"{made}\n{cost}\n{follow}"


_WHICH_RESULT = N_("Which one? They are numbered in the order they came.")
_RESULT_GONE = N_("This result is not available any more.")
_RESULT_EXPIRED = N_(
    "This result can't be used again: it has expired at the AI service. Please send it as a "
    "photo instead."
)
_VIDEO_RESULT_EXPIRED = N_(
    "This video can't be used again: it has expired at the AI service. Please send the video "
    "itself instead."
)
_ACTOR_PHOTO_TYPES_REFUSED = N_(
    "An actor's photo must be a JPEG or PNG. Please send one of those."
)


def _NEW_ACTOR_NAME_FOR_PHOTO() -> str:
    return _(
        "Let's save this face as an actor. What's their name? (up to {limit} characters)"
    ).format(limit=MAX_NAME_LENGTH)


_SAVED_FACE_CAPTION = N_("This face, to keep as an actor.")

_SETTING_LABELS = {
    "image_model": N_("Picture model"),
    "ratio": N_("Shape"),
    "image_count": N_("Images per job"),
    "faceswap_model": N_("Face swap model"),
    "faceswap_resolution": N_("Face swap resolution"),
    "video_model": N_("Video model"),
    "video_duration": N_("Video length"),
    "video_resolution": N_("Video resolution"),
}
_SETTINGS_INTRO = N_(
    "Your defaults. Every tool uses them where they fit, and you can still change them for "
    "one job on the keyboard under its last question. Tap one to change it."
)
_SETTING_SAVED = N_("Saved.")
_ADULT_SETTING_BUTTON = N_("🔞 18+ models: I am 18 or older")


def setting_button(label: str, current: str) -> str:
    return f"{label}: {current} ▸"


def setting_choice(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


# --- The video studio ----------------------------------------------------------------------


def style_label(name: str) -> str:
    """A named style the provider lists (`curvy`, `film_noir`), as shown on a button: the
    provider's own name, in every language (as its LoRAs' and templates' names are)."""
    return name.replace("_", " ").capitalize()


def video_model(value: str) -> str:
    """A video model's name: brand names, the same in every language, but for its styles."""
    return {
        "seedance_pro_fast": "Seedance Pro Fast",
        "seedance_pro": "Seedance Pro",
        "seedance_v1_5_pro": "Seedance 1.5 Pro",
        "kling@1.6": "Kling 1.6",
        "kling@2.1": "Kling 2.1",
        "kling@2.5": "Kling 2.5",
        "kling@2.6": "Kling 2.6",
        "grok@4.1": "Grok 4.1",
        "wan@2.5": "WAN 2.5",
        "wan@2.6": "WAN 2.6",
        "wan@2.6-flash": "WAN 2.6 Flash",
        "wan@2.7": "WAN 2.7",
        "wan@2.2": "WAN 2.2 18+",
        "wan@2.2-lora": _("WAN 2.2 styles 18+"),
        "wan@2.7-nsfw": "WAN 2.7 18+",
    }[value]


def motion_mode(value: str) -> str:
    return {
        "replace_sfw": _("Replace the person"),
        "animate_sfw": _("Animate your photo"),
        "kling_2_6_sfw": "Kling 2.6",
        "dreamactor_m2": "DreamActor M2",
        "replace_nsfw": _("Replace 18+"),
        "animate_nsfw": _("Animate 18+"),
    }[value]


def sound_label(value: bool) -> str:
    """Whether the AI service makes the video's sound."""
    return _("With sound") if value else _("Silent")


def keep_sound_label(value: bool) -> str:
    """Whether the source's sound stays in the video."""
    return _("Keep the sound") if value else _("No sound")


def transition_label(value: str) -> str:
    return {
        "cut": _("Cut"),
        "fade": _("Fade"),
        "dissolve": _("Dissolve"),
        "slide": _("Slide"),
    }[value]


def seconds(amount: int) -> str:
    return _("{amount} s").format(amount=amount)


def scale_factor(factor: str) -> str:
    return f"×{factor}"


def largest_scale(side: int) -> str:
    """The upscaler's `max`: as large as the longest side may get."""
    return _("Largest ({side} px)").format(side=side)


_VIDEO_EXPECTED = N_("I need a video here: send it as a video or as an MP4, MOV or WebM file.")
_VIDEO_OR_LINK_EXPECTED = N_(
    "I need a video here: send it as a video or as an MP4, MOV or WebM file, or send an "
    "Instagram or TikTok link to it."
)
_VIDEO_TYPE_REFUSED = N_("I can't use that video format. Please send an MP4, MOV or WebM video.")
_VIDEO_UNREADABLE = N_("I couldn't read that video. Please send it again as an MP4 video.")
_VIDEO_NOT_FETCHED = N_("I couldn't fetch that video from Telegram. Please send it again.")
_LINK_REFUSED = N_(
    "That is not a link to an Instagram or TikTok post or reel. Please send the link you get "
    "from the app's Share button, or the video itself."
)
_AUDIO_TRACK_EXPECTED = N_("I need audio here: a voice note or an audio file.")


def video_too_large(limit: int, local_mode: bool) -> str:
    if local_mode:
        return _(
            "That video is too large: the AI service takes videos up to {limit}. "
            "Please send a shorter or smaller one. Nothing was charged."
        ).format(limit=_megabytes(limit))
    return _(
        "That video is too large: Telegram lets me fetch files up to {limit}. "
        "Please send a shorter or smaller one. Nothing was charged."
    ).format(limit=_megabytes(limit))


_VIDEO_MENU_BUTTONS = {
    "motion": N_("Motion transfer (use as source)"),
    "upscale_video": N_("Upscale video"),
    "merge": N_("Merge"),
}
_VIDEO_MENU = N_("What should I do with this video? Each button shows its price.")
_LINK_MENU = N_(
    "What should I do with the video behind this link? Its length is not known until the AI "
    "service fetches it, so the button shows the most it can cost."
)
_PRICE_AFTER_VIDEO = N_("a price that depends on your video, shown before anything is charged")


def at_most(price: int) -> str:
    return _("at most {price}").format(price=credits(price))


def price_line_at_most(price: int) -> str:
    return _(
        "Price: at most {price}. The buttons below change the options, with their prices."
    ).format(price=credits(price))


def quote_at_most(title: str, price: int, balance: int) -> str:
    return _(
        "{title} of a linked video costs at most {price}. Its length is not known until the "
        "AI service fetches it, so the most is charged now, and the difference comes back "
        "once the AI service reports what it charged.\nYour balance: {balance}.\nStart?"
    ).format(title=_(title), price=credits(price), balance=credits(balance))


def quote_leaving_out(
    title: str, price: int, balance: int, seconds: float, left_out: list[str], limit: int
) -> str:
    """A quote of a video too long for some choices, naming them."""
    return ngettext(
        "{title} of {seconds} s of video costs {price}. {choices} takes at most {limit} s "
        "of video, so it is not offered for this one.\nYour balance: {balance}.\nStart?",
        "{title} of {seconds} s of video costs {price}. {choices} take at most {limit} s "
        "of video, so they are not offered for this one.\nYour balance: {balance}.\nStart?",
        len(left_out),
    ).format(
        title=_(title),
        seconds=max(1, math.ceil(seconds)),
        price=credits(price),
        choices=", ".join(left_out),
        limit=limit,
        balance=credits(balance),
    )


def clips_question(count: int, least: int, most: int) -> str:
    """The question asking for the next clip, once some are in."""
    if count < least:
        return _(
            "send the next video, or tap one of your earlier videos below. {count} of "
            "{least} to {most} so far."
        ).format(count=count, least=least, most=most)
    return _(
        "send the next video, tap one of your earlier videos below, or tap Done. "
        "{count} of at most {most} so far."
    ).format(count=count, most=most)


def clips_done_button(count: int, price: int) -> str:
    return _("✅ Done: merge these {count} — {price}").format(count=count, price=credits(price))


def result_pick(number: int, title: str, created_at: str) -> str:
    """One of the user's earlier video results, as a button: its tool's title and when."""
    return f"🎞 {number}. {_(title)} · {_date(created_at, 'dd MMM HH:mm')}"


def overcharge_note(title: str) -> str:
    return _("{title} cost less than the most charged").format(title=_(title).lower())


def job_done_overcharged(title: str, refunded: int) -> str:
    return _(
        "✅ {title}: done. It cost less than the most that was charged: {credits} refunded."
    ).format(title=_(title), credits=credits(refunded))


def video_sending(title: str) -> str:
    return _("⏳ {title}: sending your files to the AI service…").format(title=_(title))


def video_queued(title: str) -> str:
    return _("⏳ {title}: waiting for its turn at the AI service…").format(title=_(title))


def video_processing(title: str, elapsed: timedelta) -> str:
    # Whole ten-second steps, as job_processing.
    shown = timedelta(seconds=int(elapsed.total_seconds()) // 10 * 10)
    return _(
        "⚙️ {title}: the AI service is making the video… {elapsed} (videos take a few minutes)"
    ).format(title=_(title), elapsed=_elapsed(shown))


def trim_button(seconds: int) -> str:
    return _("✂️ Use its first {seconds} s").format(seconds=seconds)


def trimmed_caption(seconds: int) -> str:
    return _("The first {seconds} s of your video: this is the part I use.").format(
        seconds=seconds
    )
