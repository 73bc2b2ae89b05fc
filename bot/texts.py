"""Every user-facing string, in one place so it can be translated."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from providers.models import Training
from storage.actors import MAX_ACTORS, MAX_NAME_LENGTH, MAX_PHOTOS, Actor, ActorTraining
from storage.broadcasts import BroadcastCounts
from storage.jobs import Job
from storage.payments import Payment, PaymentRefund, Subscription
from storage.promos import PromoCode
from storage.stats import Overview
from storage.users import LedgerEntry, LedgerKind, User

TOOL_DESCRIPTIONS = {
    "by_prompt": "A picture from your description",
    "image_editor": "Change photos by saying what to change",
    "upscaler": "Make a photo bigger and sharper",
    "by_ref": "A new picture like a photo you send",
    "photoshoot": "A photo series of one person in a style",
    "facegen": "A brand-new face, to keep as an actor",
    "carousel": "One photo seen from other angles",
    "collaber": "Two people together in one picture",
    "faceswap": "Put a face from one photo onto another photo",
    "lipsync": "Make a portrait speak your voice note",
}

COMMANDS: list[tuple[str, str]] = [
    ("settings", "Your defaults: model, shape, number of images"),
    ("actors", "Your saved characters: faces, voice, trained likeness"),
    ("newactor", "Save a character to reuse in every tool"),
    ("balance", "Show your credits"),
    ("buy", "Buy credits with Telegram Stars"),
    ("subscription", "Monthly plans: credits every month"),
    ("redeem", "Redeem a promo code"),
    ("history", "Every credit change, page by page"),
    ("invite", "Invite friends and earn credits"),
    ("cancel", "Stop what you are doing"),
    ("help", "What I can do"),
    ("terms", "Terms of use and of sale"),
    ("paysupport", "Help with a payment"),
    ("start", "Welcome and your free credits"),
]


def credits(amount: int) -> str:
    return f"{amount} credit" if abs(amount) == 1 else f"{amount} credits"


def price_summary(cheapest: int, varies: bool, per: str | None) -> str:
    """A tool's price for the command menu: "1 credit", "from 1 credit per image", ..."""
    amount = credits(cheapest)
    if per == "image":
        amount = f"{amount} per image"
    elif per == "second":
        amount = f"{amount} per second"
    elif per == "megapixel":
        amount = f"{amount} per output megapixel and second"
    return f"from {amount}" if varies else amount


def commands(tools: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Every command with its description: the tools (command, tool, price) first."""
    listed = [(command, f"{TOOL_DESCRIPTIONS[tool]} ({price})") for command, tool, price in tools]
    return listed + COMMANDS


def welcome(name: str, created: bool, welcome_credits: int, balance: int, mock: bool) -> str:
    lines = [
        f"Hi {name}! I'm castbot: I turn your photos and voice notes into AI media.",
        "",
        "• Send me a photo, and pick what to do with it",
        "• /imagine — a picture from your words",
        "• /faceswap — put a face from one photo onto another photo",
        "• /lipsync — make a portrait speak your voice note",
        "• /newactor — save a face (and a voice) once, reuse it everywhere",
        "",
    ]
    if created and welcome_credits:
        lines.append(f"You got {credits(welcome_credits)} to start with.")
    lines.append(f"Your balance: {credits(balance)}. /help lists every command.")
    if mock:
        lines += ["", MOCK_NOTICE]
    return "\n".join(lines)


MOCK_NOTICE = (
    "Note: this bot runs in demo mode without an AI provider, so every result is a "
    "placeholder image or video."
)


def help_text(commands: list[tuple[str, str]]) -> str:
    lines = ["Here is what I can do:", ""]
    lines += [f"/{command} — {description}" for command, description in commands]
    lines += [
        "",
        "Or just send a photo and pick what to do with it. Every tool tells you its price "
        "before anything is charged.",
    ]
    return "\n".join(lines)


def balance(amount: int) -> str:
    return f"Your balance: {credits(amount)}"


LEDGER_LABELS = {
    LedgerKind.WELCOME: "welcome gift",
    LedgerKind.CHARGE: "charged",
    LedgerKind.REFUND: "refunded",
    LedgerKind.PURCHASE: "purchase",
    LedgerKind.GRANT: "granted",
}


def history(entries: list[LedgerEntry]) -> str:
    if not entries:
        return "No credit changes yet."
    lines = ["Your credit changes, newest first:", ""]
    lines += [_ledger_line(entry) for entry in entries]
    return "\n".join(lines)


HISTORY_OLDER_BUTTON = "« Older"
HISTORY_NEWER_BUTTON = "Newer »"


def _ledger_line(entry: LedgerEntry) -> str:
    when = datetime.fromisoformat(entry.created_at).strftime("%d %b %H:%M")
    label = LEDGER_LABELS[entry.kind]
    if entry.job_id is not None:
        title = TOOL_TITLES.get(entry.tool or "") or entry.tool or "job"
        return f"{when} UTC  {entry.amount:+d}  {label} · {title} #{entry.job_id[:8]}"
    detail = f" ({entry.note})" if entry.note else ""
    return f"{when} UTC  {entry.amount:+d}  {label}{detail}"


NOTHING_TO_CANCEL = "There is nothing to cancel. /help lists what I can do."
CANCELLED = "Cancelled. Nothing was charged for it."
NOT_UNDERSTOOD = "I didn't get that. /help lists what I can do."
BUTTON_GONE = "That button no longer does anything."


def unknown_command(command: str) -> str:
    return f"I don't know {command}. /help lists every command."


SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side. Please try again; /balance shows your credits."
)


def _elapsed(elapsed: timedelta) -> str:
    seconds = int(elapsed.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


def job_queued(title: str) -> str:
    return f"⏳ {title}: queued…"


def job_processing(title: str, elapsed: timedelta) -> str:
    # Whole ten-second steps, so the status message is edited at a calm pace.
    shown = timedelta(seconds=int(elapsed.total_seconds()) // 10 * 10)
    return f"⚙️ {title}: processing… {_elapsed(shown)}"


def job_done(title: str, refunded: int) -> str:
    if refunded:
        return f"✅ {title}: done, but not every result came back; {credits(refunded)} refunded."
    return f"✅ {title}: done."


def job_failed_status(title: str) -> str:
    return f"❌ {title}: failed."


def job_failed(title: str, reason: str | None, refunded: int, balance: int) -> str:
    why = reason or (
        "The AI service has a temporary problem on its side. Please try again in a while."
    )
    return (
        f"Sorry, your {title.lower()} failed. {why}\n\n"
        f"{credits(refunded)} refunded. Your balance: {credits(balance)}."
    )


def refund_note(title: str) -> str:
    return f"{title.lower()} did not complete"


PROVIDER_UNAVAILABLE = "That AI service is not available right now. Please try again later."
JOB_TIMED_OUT = "It took far longer than it should, so I stopped waiting."
RESULT_TOO_LARGE = (
    "The result is larger than Telegram lets me send, and the AI service offers no link to it."
)
RESULT_UNDELIVERABLE = "Telegram would not accept the result in any form I could send it."
INPUT_FILE_UNAVAILABLE = "I could not fetch one of your files from Telegram any more."


def result_link(title: str, url: str) -> str:
    return (
        f"Your {title.lower()} result is larger than Telegram lets me send, so here is a "
        f"download link:\n{url}\n\nThe link expires after a while: save the file soon."
    )


def result_refused_link(title: str, url: str) -> str:
    return (
        f"Telegram would not take your {title.lower()} result as a file, so here is a "
        f"download link:\n{url}\n\nThe link expires after a while: save the file soon."
    )


def too_many_jobs(limit: int) -> str:
    return (
        f"You already have {limit} jobs running, the most at once. Please wait until one of "
        "them finishes, then try again. Nothing was charged."
    )


ALREADY_UNDER_WAY = (
    "That is already under way, so I did not start it a second time. Nothing was charged."
)


def provider_refused_input(detail: str | None) -> str:
    return (
        f"The AI service did not accept your input: {detail}"
        if detail
        else ("The AI service did not accept your input.")
    )


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


PHOTO_EXPECTED = "I need a photo here: send it as a photo or as a JPEG, PNG or WebP file."
AUDIO_EXPECTED = "I need audio here: a voice note or an audio file (up to 35 seconds)."
AUDIO_TYPE_REFUSED = "I can't use that audio format. Send a voice note, MP3, M4A, OGG or WAV."
AUDIO_UNREADABLE = (
    "I couldn't read the length of that audio. Please record it again as a voice note."
)
AUDIO_NOT_FETCHED = "I couldn't fetch that audio from Telegram. Please send it again."


def image_type_refused(allowed: str) -> str:
    return f"I can't use that image format. Please send a {allowed} image."


def file_too_large(limit: int) -> str:
    return f"That file is too large: the limit is {_megabytes(limit)}. Please send a smaller one."


def not_enough_credits(needed: int, balance: int) -> str:
    return (
        f"Not enough credits: this needs {credits(needed)} and you have {credits(balance)}. "
        "Nothing was charged. Buy a pack below, then start again."
    )


def short_of_credits(needed: int, balance: int) -> str:
    return (
        f"Not enough credits: this needs {credits(needed)} and you have {credits(balance)}. "
        "Nothing was charged. Buy a pack below: I keep this ready and offer to start it "
        "as soon as the payment goes through."
    )


def resume_offer(title: str, price: int, balance: int) -> str:
    return (
        f"Your {title.lower()} is still ready to start: it costs {credits(price)}, and your "
        f"balance is now {credits(balance)}. Start it?"
    )


TERMS = (
    "Before you use a real person's face or voice for the first time, please agree to these "
    "terms:\n\n"
    "• Use only photos and voices of people who agreed to it.\n"
    "• Nothing involving minors.\n"
    "• No sexual or defamatory content of real people.\n\n"
    "Breaking them gets your account blocked."
)
TERMS_AGREE_BUTTON = "I agree"
TERMS_ACCEPTED = TERMS + "\n\n✅ You agreed to these terms."
TERMS_WAITING = "Please tap “I agree” under the terms to continue, or /cancel."


def audio_too_long(seconds: float, limit: int) -> str:
    return (
        f"That audio is {seconds:.0f} seconds long; lipsync takes at most {limit} seconds. "
        "Please send a shorter one. Nothing was charged."
    )


def start_button(price: int) -> str:
    return f"Start — {credits(price)}"


CANCEL_BUTTON = "Cancel"
QUOTE_DECLINED = "Cancelled. Nothing was charged."
QUOTE_GONE = "This offer was already used or cancelled."
JOB_ACCEPTED = "Charged. Working on it…"


# --- Buying credits with Telegram Stars, admin commands, referrals ----------------------------


def stars(amount: int) -> str:
    return f"{amount} Star" if amount == 1 else f"{amount} Stars"


def buy_intro(balance: int) -> str:
    return (
        f"Your balance: {credits(balance)}.\n\n"
        "Choose a pack. You pay with Telegram Stars and the credits arrive at once; "
        "/terms has the terms of sale."
    )


def pack_button(pack_credits: int, price: int) -> str:
    return f"{credits(pack_credits)} — ⭐ {price}"


def invoice_description(pack_credits: int) -> str:
    return f"{credits(pack_credits)} for the pictures and videos of this bot."


PACK_GONE = "This pack is no longer offered. Please open /buy again."
PAYMENT_NOT_YOURS = "This invoice was made for someone else. Please open /buy yourself."
PAYMENT_OFFER_CHANGED = "This offer has changed. Please open /buy again."
PAYMENT_NOT_RECOGNISED = (
    "Your payment arrived, but I could not match it to a credit pack. Nothing is lost: "
    "send /paysupport and it will be sorted out."
)


def payment_thanks(added: int, balance: int) -> str:
    return f"Thank you! {credits(added)} added. Your balance: {credits(balance)}."


STARS_REFUND_NOTE = "Stars refunded"


def payment_refunded(paid: int, debited: int) -> str:
    taken = f" {credits(debited)} taken back." if debited else ""
    return f"Your payment of {stars(paid)} was refunded.{taken}"


TERMS_OF_SALE = (
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
PAYSUPPORT = (
    "Trouble with a payment? Write to the operator of this bot and include the payment's "
    "date and amount; refunds of Stars are made for purchases whose credits were not "
    "delivered or not used.\n\n"
    "Note: Telegram support cannot help with purchases made in this bot."
)
ACCOUNT_BLOCKED = "Your account is blocked."


# Admin commands: only the operator reads these.

REFUND_USAGE = "Usage: /refund <telegram_payment_charge_id>"


def no_payment(charge_id: str) -> str:
    return f"There is no payment with charge id {charge_id}."


def payment_already_refunded(payment: Payment) -> str:
    return f"Payment {payment.telegram_payment_charge_id} was refunded on {payment.refunded_at}."


def refund_refused(reason: str) -> str:
    return f"Telegram refused the refund: {reason}"


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


def promo_created(promo: PromoCode, link: str) -> str:
    return f"Created {_promo_line(promo)}\nUsers redeem it with /redeem {promo.code} or {link}"


def promo_exists(code: str) -> str:
    return f"Promo code {code} exists already."


def _promo_line(promo: PromoCode) -> str:
    uses = f"{promo.uses} of {promo.max_uses}" if promo.max_uses else f"{promo.uses}, no limit"
    ends = f", expires {_when(promo.expires_at)}" if promo.expires_at else ""
    return f"{promo.code}: {credits(promo.credits)}, used {uses}{ends}"


def promo_list(promos: list[PromoCode]) -> str:
    if not promos:
        return "No promo codes yet. " + PROMO_USAGE
    return "Promo codes:\n" + "\n".join(_promo_line(promo) for promo in promos)


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


def no_user(user_id: int) -> str:
    return f"There is no user {user_id}: they have not written to the bot yet."


def granted(user_id: int, amount: int, balance: int) -> str:
    sign = "+" if amount > 0 else ""
    return f"{sign}{credits(amount)} for user {user_id}. Their balance: {credits(balance)}."


def grant_below_zero(user_id: int, balance: int) -> str:
    return (
        f"User {user_id} has only {credits(balance)}, and a balance never goes below zero. "
        "Nothing was changed."
    )


def blocked_now(user_id: int) -> str:
    return f"User {user_id} is blocked: their messages get one short reply, nothing else."


def unblocked_now(user_id: int) -> str:
    return f"User {user_id} is no longer blocked."


def _when(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%d %b %Y %H:%M UTC")


def user_card(
    user: User,
    jobs: list[Job],
    entries: list[LedgerEntry],
    payments: list[Payment],
    inviter_id: int | None,
) -> str:
    lines = [
        f"User {user.id}: {user.name or '(no name)'}, language {user.language or '?'}",
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


def broadcast_started(broadcast_id: int, recipients: int) -> str:
    return f"Broadcast #{broadcast_id} to {recipients} users started; I report when it is done."


def broadcast_report(broadcast_id: int, counts: BroadcastCounts) -> str:
    return (
        f"Broadcast #{broadcast_id} finished: {counts.sent} sent, {counts.failed} failed "
        f"(of {counts.recipients})."
    )


def stats_chart_caption(days: int) -> str:
    return f"The last {days} days, in UTC."


CHART_JOBS_TITLE = "Jobs per day, by tool"
CHART_CREDITS_TITLE = "Credits sold per day (packs and plans)"


def backup_caption(size: int) -> str:
    return (
        f"A consistent copy of the database, taken just now ({_file_size(size)}, "
        "gzip-compressed SQLite). It holds every user's data: keep it somewhere safe."
    )


def backup_too_large(size: int, limit: int) -> str:
    return (
        f"The compressed backup is {_file_size(size)}, over Telegram's {_megabytes(limit)} "
        "upload limit. Run python -m bot backup PATH on the server instead."
    )


def _file_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


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


def provider_balance_low(balance: float | None, threshold: float) -> str:
    shown = "unknown" if balance is None else f"{balance:g} credits"
    return (
        f"⚠️ The AI provider's balance is low: {shown} (alert under {threshold:g}). "
        "Jobs fail and are refunded when it runs out; please top it up."
    )


# Referrals

REFERRAL_NOTE = "invited friend's first purchase"


def invite(link: str, reward: int) -> str:
    lines = [f"Invite friends with your link:\n{link}"]
    if reward:
        lines.append(
            f"\nYou get {credits(reward)} when a friend who joins through it makes their "
            "first purchase of credits."
        )
    return "\n".join(lines)


def referral_reward(reward: int) -> str:
    return f"A friend you invited made their first purchase: you got {credits(reward)}!"


# Groups and channels

GROUP_REPLY = "I work in a private chat. Tap the button to open it."
OPEN_PRIVATE_CHAT_BUTTON = "Open castbot"


# Monthly plans (Telegram Stars subscriptions)

PLANS_OFF = "There are no monthly plans on this bot. /buy has credit packs."


def plans_intro(balance: int) -> str:
    return (
        f"Your balance: {credits(balance)}.\n\n"
        "A monthly plan adds credits every 30 days, paid with Telegram Stars, until you "
        "cancel it here in /subscription. Choose a plan:"
    )


def plan_button(plan_credits: int, price: int) -> str:
    return f"{credits(plan_credits)} a month — ⭐ {price}"


def plan_title(plan_credits: int) -> str:
    return f"{credits(plan_credits)} a month"


def plan_description(plan_credits: int) -> str:
    return (
        f"{credits(plan_credits)} every 30 days for the tools of this bot, until you cancel "
        "in /subscription."
    )


def _day(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp).strftime("%d %b %Y")


def subscription_status(subscription: Subscription) -> str:
    plan = f"Your plan: {credits(subscription.credits)} a month for {stars(subscription.stars)}."
    if subscription.canceled:
        return (
            f"{plan} It is cancelled: it ends on {_day(subscription.expires_at)} and will not "
            "renew. Your credits stay yours."
        )
    return f"{plan} It renews on {_day(subscription.expires_at)}."


CANCEL_PLAN_BUTTON = "Cancel renewal"
RENEW_PLAN_BUTTON = "Renew again"
PLAN_CANCELED = "Renewal cancelled."
PLAN_RENEWABLE = (
    "Renewal is allowed again. If Telegram still shows the plan as cancelled, turn it on "
    "under Settings › My Stars."
)
SUBSCRIPTION_GONE = "This plan has ended. /subscription shows what you can subscribe to."
SUBSCRIPTION_EDIT_REFUSED = "Telegram did not accept that change. Please try again later."


def plan_started(added: int, balance: int, renews_at: str) -> str:
    return (
        f"Thank you! Your monthly plan is on: {credits(added)} added, your balance is "
        f"{credits(balance)}. It renews on {_day(renews_at)}; /subscription shows or cancels it."
    )


def plan_renewed(added: int, balance: int, renews_at: str) -> str:
    return (
        f"Your monthly plan renewed: {credits(added)} added, your balance is "
        f"{credits(balance)}. Next renewal on {_day(renews_at)}."
    )


# Promo codes

REDEEM_USAGE = "Send /redeem followed by the code, like /redeem SPRING."


def promo_note(code: str) -> str:
    return f"promo code {code}"


def promo_redeemed(code: str, added: int, balance: int) -> str:
    return f"Promo code {code}: {credits(added)} added. Your balance: {credits(balance)}."


def promo_unknown(code: str) -> str:
    return f"There is no promo code {code}. Please check the spelling."


def promo_expired(code: str) -> str:
    return f"Promo code {code} has expired."


def promo_used_up(code: str) -> str:
    return f"Promo code {code} has been used as often as it may be."


def promo_already(code: str) -> str:
    return f"You have already redeemed promo code {code}."


# --- Actors


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} min"


def training_status(title: str, actor_name: str, training: Training) -> str:
    parts = [training.stage.replace("-", " ") if training.stage else "training"]
    if training.progress is not None:
        parts.append(f"{training.progress:.0%}")
    if training.remaining_seconds is not None:
        parts.append(f"{_minutes(training.remaining_seconds)} left")
    return f"⚙️ {title} of {actor_name}: " + ", ".join(parts) + "…"


def training_done(kind: str, actor_name: str) -> str:
    if kind == "voice":
        return f"🎙 {actor_name}'s voice is cloned. /actors shows it."
    return (
        f"🎉 {actor_name}'s likeness is trained. Open /actors and tap “Picture from a prompt” "
        "to see them anywhere you can describe."
    )


NO_ACTORS = (
    "You have no actors yet. An actor is a saved character: a name, face photos and "
    "optionally a voice, reused in every tool without sending them again.\n\n"
    "/newactor creates one."
)


def actors_list(count: int) -> str:
    return f"Your actors ({count} of {MAX_ACTORS}). Tap one to see it and what it can do."


def _training_line(label: str, training: ActorTraining | None) -> str | None:
    if training is None:
        return None
    if training.status == "trained":
        return f"{label}: ✅ trained"
    if training.status == "failed":
        return f"{label}: ❌ failed (refunded)"
    progress = f" {training.progress:.0%}" if training.progress is not None else ""
    return f"{label}: ⚙️ training{progress}"


def actor_card(actor: Actor, training_offered: bool) -> str:
    lines = [f"🎭 {actor.name}", f"Photos: {len(actor.photos)} of {MAX_PHOTOS}"]
    if actor.voice:
        lines.append(f"Voice sample: {actor.voice.seconds:.0f} s")
    else:
        lines.append("Voice sample: none")
    for line in (
        _training_line("Likeness", actor.likeness),
        _training_line("Cloned voice", actor.voice_clone),
    ):
        if line:
            lines.append(line)
    if not training_offered:
        lines += ["", TRAINING_UNAVAILABLE]
    return "\n".join(lines)


TRAINING_UNAVAILABLE = (
    "Likeness training and voice cloning are not available on this bot right now."
)
ACTOR_GONE = "This actor does not exist any more. /actors lists yours."
ACTOR_BUTTON_USE = "Use"
ACTOR_BUTTON_RENAME = "Rename"
ACTOR_BUTTON_PHOTOS = "Add photos"
ACTOR_BUTTON_VOICE = "Set voice"
ACTOR_BUTTON_DELETE = "Delete"
ACTOR_BUTTON_PICTURE = "Picture from a prompt"
ACTORS_BACK = "« All actors"
DONE_BUTTON = "Done"
SKIP_BUTTON = "Skip"
YES_DELETE = "Yes, delete"
KEEP_BUTTON = "No, keep"


def train_likeness_button(price: int) -> str:
    return f"Train likeness — {credits(price)}"


def clone_voice_button(price: int) -> str:
    return f"Clone voice — {credits(price)}"


USE_TOOL_BUTTONS = {
    "faceswap": "Face swap with {name}",
    "lipsync": "Lipsync with {name}",
    "by_ref": "A similar picture of {name}",
    "photoshoot": "A photoshoot of {name}",
    "collaber": "{name} together with someone",
}


def use_tool_button(tool: str, name: str) -> str:
    return USE_TOOL_BUTTONS[tool].format(name=name)


def use_actor(name: str) -> str:
    return f"What should {name} do?"


def pick_actor_button(name: str) -> str:
    return f"🎭 {name}"


ACTOR_PICKER_HINT = "Or tap one of your actors below."
NEW_ACTOR_NAME = f"Let's save a new actor. What's their name? (up to {MAX_NAME_LENGTH} characters)"
ACTOR_NAME_PROBLEMS = {
    "empty": "The name can't be empty. Please send a name.",
    "too_long": f"That name is too long: up to {MAX_NAME_LENGTH} characters, please.",
    "line_break": "The name must be a single line. Please send it again.",
}
ACTOR_NAME_TAKEN = "You already have an actor with that name. Please pick another one."
ACTOR_NAME_EXPECTED = "Please send the name as text."
ACTOR_LIMIT = (
    f"You already have {MAX_ACTORS} actors, the most you can keep. "
    "Delete one in /actors to make room."
)


def actor_photos_intro(name: str) -> str:
    return (
        f"Now send photos of {name}'s face: one by one or as an album, up to {MAX_PHOTOS}. "
        "Clear, well-lit faces work best; likeness training needs at least 4."
    )


def actor_photos_saved(name: str, count: int) -> str:
    return f"{name} has {count} photo{'s' if count != 1 else ''}. Send more, or tap Done."


def photos_added(name: str, count: int) -> str:
    return f"✅ {name} now has {count} photo{'s' if count != 1 else ''}."


VOICE_SAMPLE_EXPECTED = (
    "I need a voice sample here: a voice note or audio file of 10 seconds to 3 minutes."
)


def actor_photos_full(name: str, room: int) -> str:
    if room == 0:
        return f"{name} already has {MAX_PHOTOS} photos, the most an actor keeps. Tap Done."
    return (
        f"Only {room} more photo{'s' if room != 1 else ''} fit ({MAX_PHOTOS} at most); "
        "that one was not added."
    )


ACTOR_PHOTO_TYPES = "JPEG or PNG"
ACTOR_PHOTO_EXPECTED = "Please send a photo of the face, or tap Done."


def actor_voice_intro(name: str) -> str:
    return (
        f"Optional: send a voice sample of {name} — a voice note or audio file of "
        "10 seconds to 3 minutes of clear speech. Or tap Skip."
    )


def voice_length_refused(seconds: float, shortest: int, longest: int) -> str:
    return (
        f"That sample is {seconds:.0f} seconds long; a voice sample must be "
        f"{shortest} seconds to {longest // 60} minutes. Please send another one."
    )


def actor_saved(name: str) -> str:
    return (
        f"✅ {name} is saved. Pick them wherever a face is asked for (/faceswap, /lipsync, "
        "/photoshoot, ...) instead of sending photos again; /actors shows what else they can do."
    )


def rename_prompt(name: str) -> str:
    return f"Send the new name for {name}."


def renamed(name: str) -> str:
    return f"Renamed to {name}."


def add_photos_prompt(name: str, count: int) -> str:
    return f"{name} has {count} of {MAX_PHOTOS} photos. Send more, one by one or as an album."


def set_voice_prompt(name: str) -> str:
    return (
        f"Send a new voice sample of {name}: a voice note or audio file of "
        "10 seconds to 3 minutes."
    )


def voice_saved(name: str) -> str:
    return f"🎙 {name}'s voice sample is saved."


def confirm_delete(name: str) -> str:
    return f"Delete {name} with all their photos, voice and trainings? This can't be undone."


def deleted(name: str) -> str:
    return f"{name} is deleted."


def busy_training(name: str) -> str:
    return f"{name} is training right now. Please wait until it finishes."


def needs_photos_to_train(name: str, have: int, need: int) -> str:
    return (
        f"Likeness training needs at least {need} photos of {name}; there "
        f"{'is' if have == 1 else 'are'} {have}. Tap “Add photos” first."
    )


NEEDS_VOICE_TO_CLONE = "Set a voice sample first: tap “Set voice”."


def likeness_quote(name: str, photos: int, price: int, balance: int) -> str:
    return (
        f"Training {name}'s likeness on {photos} photos costs {credits(price)} and takes "
        f"up to about 20 minutes. Your balance: {credits(balance)}.\n"
        "If it fails, every credit comes back. Start?"
    )


def voice_quote(name: str, price: int, balance: int) -> str:
    return (
        f"Cloning {name}'s voice costs {credits(price)}. Your balance: {credits(balance)}.\n"
        "If it fails, every credit comes back. Start?"
    )


def picture_prompt(name: str, price: int) -> str:
    return (
        f"Describe the picture of {name} — the scene, clothes, light, style. "
        f"A picture costs {credits(price)}."
    )


PROMPT_EXPECTED = "Please describe the picture in a text message."


def prompt_too_long(limit: int) -> str:
    return f"That text is too long: up to {limit} characters, please. Nothing was charged."


def picture_quote(name: str, price: int, balance: int) -> str:
    return f"A picture of {name} costs {credits(price)}. Your balance: {credits(balance)}.\nStart?"


def actor_voice_too_long(name: str, seconds: float, limit: int) -> str:
    return f"{name}'s voice sample is {seconds:.0f} s; lipsync takes at most {limit} s."


# --- The studio: tools, their questions and options ---------------------------------------------

TOOL_TITLES = {
    "faceswap": "Face swap",
    "lipsync": "Lipsync",
    "by_prompt": "Picture",
    "image_editor": "Edit",
    "upscaler": "Upscale",
    "by_ref": "Similar picture",
    "photoshoot": "Photoshoot",
    "facegen": "New face",
    "carousel": "Angles",
    "collaber": "Together",
    "actor_likeness": "Likeness training",
    "actor_voice": "Voice clone",
    "actor_picture": "Actor picture",
}

OPTION_LABELS = {
    "model": "Model",
    "resolution": "Resolution",
    "ratio": "Shape",
    "mode": "Mode",
    "count": "Images",
    "style": "Style",
    "template": "Template",
    "version": "Engine",
    "megapixels": "Size",
    "strength": "Likeness to the reference",
    "body_type": "Body type",
    "eye_color": "Eye colour",
    "hair_color": "Hair colour",
    "hair_type": "Hair type",
    "hair_style": "Hair style",
    "beard": "Beard",
    "beard_color": "Beard colour",
    "makeup": "Makeup",
}

FACESWAP_MODEL_LABELS = {
    "SDXL": "Standard",
    "GENERAL": "General",
    "GENERAL_ADVANCED": "Advanced",
    "FULL_HEAD": "Full head",
}
IMAGE_MODEL_LABELS = {
    "GENERAL_SFW": "General",
    "GENERAL_NSFW": "General 18+",
    "SDXL_NSFW": "SDXL 18+",
    "FLUX_KLEIN_NSFW": "Flux Klein 18+",
    "FLUX_KLEIN_LORA": "Flux Klein templates 18+",
    "NANO_BANANA": "Nano Banana",
    "QWEN_IMAGE": "Qwen",
    "QWEN_IMAGE_PRO": "Qwen Pro",
    "SEEDREAM_5": "Seedream 5",
    "WAN": "WAN (legacy)",
    "WAN_2_7_IMAGE": "WAN 2.7",
    "WAN_2_7_IMAGE_PRO": "WAN 2.7 Pro",
}
SIMILAR_MODEL_LABELS = {"GENERAL": "General", "SDXL": "SDXL 18+"}
MODE_LABELS = {"fast": "Fast", "quality": "Quality"}
UPSCALER_VERSION_LABELS = {
    "basic": "Basic",
    "basic_safe_face": "Basic, keep face",
    "natural_clarity": "Natural",
    "premium_realism": "Premium",
    "premium_safe_face": "Premium, keep face",
    "ultra_clarity": "Ultra",
}
STRENGTH_LABELS = {0.5: "Loose", 0.75: "Close", 1.0: "Very close"}
SAME_AS_PHOTO = "Same as the photo"
ANY_VALUE = "Any"
NO_STYLE = "None"
GENDER_LABELS = {"Female": "Woman", "Male": "Man"}


def provider_value(value: str) -> str:
    """A value the provider names itself (an origin, a hair colour, a ratio), as shown on a
    button: as the provider spells it, for now."""
    return value


def images(count: int) -> str:
    return f"{count} image" if count == 1 else f"{count} images"


def megapixels(amount: int) -> str:
    return f"{amount} MP"


QUESTIONS = {
    "faceswap": {
        "face": "send the face photo — the face I should put in.",
        "target": "now send the target photo — the picture whose face I replace.",
    },
    "lipsync": {
        "portrait": "send a portrait photo (JPG or PNG, under 5 MB).",
        "audio": "now send the audio — a voice note or an audio file of up to 35 seconds.",
    },
    "by_prompt": {"prompt": "describe the picture you want (up to 2,000 characters)."},
    "image_editor": {
        "photos": "send the photo to edit — or up to 10 as an album, to combine them.",
        "instruction": "say what to change (up to 2,000 characters).",
    },
    "upscaler": {"photo": "send the photo to make bigger and sharper."},
    "by_ref": {
        "reference": "send the photo the new picture should be like.",
        "face": "optionally, send a face to put in the picture.",
    },
    "photoshoot": {
        "face": "send a photo of the face.",
        "body": "now send a photo of the body (the face may be hidden or cropped out).",
        "category": "pick a style, or type a description of the shot.",
    },
    "facegen": {
        "gender": "a woman or a man?",
        "age": "how old?",
        "origin": "which origin or look?",
    },
    "carousel": {"photo": "send the photo to see from other angles."},
    "collaber": {
        "first": "send a photo of the first person.",
        "second": "now a photo of the second person.",
        "location": "optionally, send a photo of the place to put them in.",
        "prompt": "optionally, describe what they do together (up to 2,000 characters).",
    },
}

MEASURED = {"audio_seconds": "{title} of {seconds} s of audio"}
"""How a quote names what a measured price was measured from."""


def flow_left(title: str) -> str:
    return f"I stopped your {title.lower()}; nothing was charged for it."


def flow_intro(title: str, price: str, balance: int) -> str:
    return f"{title} costs {price}. Your balance: {credits(balance)}."


def price_per_second(per_second: int, limit: float | None) -> str:
    text = f"{credits(per_second)} per second of audio"
    return f"{text}, up to {limit:.0f} seconds" if limit else text


def per_second_short(per_second: int) -> str:
    return f"{credits(per_second)}/s"


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
    line = f"Step {step} of {steps}: {question}"
    if actors:
        line = f"{line} {ACTOR_PICKER_HINT}"
    if skip:
        line = f"{line} {SKIP_HINT}"
    return "\n\n".join(part for part in (intro, line, price_line) if part)


SKIP_HINT = "Or tap Skip."


def price_line(price: int, has_options: bool) -> str:
    if has_options:
        return f"Price: {credits(price)}. The buttons below change the options, with their prices."
    return f"Price: {credits(price)}."


def quote(title: str, price: int, balance: int, measures: dict[str, float]) -> str:
    what = title
    for measure, seconds in measures.items():
        if measure in MEASURED:
            what = MEASURED[measure].format(title=title, seconds=max(1, math.ceil(seconds)))
    return f"{what} costs {credits(price)}. Your balance: {credits(balance)}.\nStart?"


def again_quote(title: str, price: int, balance: int) -> str:
    return (
        f"The same {title.lower()} again, with the same inputs and options, costs "
        f"{credits(price)}. Your balance: {credits(balance)}.\nStart?"
    )


def option_button(label: str, current: str) -> str:
    return f"{label}: {current} ▸"


def choice_button(label: str, price: int | None, chosen: bool) -> str:
    text = f"{label} · {credits(price)}" if price is not None else label
    return f"✓ {text}" if chosen else text


MORE_OPTIONS_BUTTON = "More options ▸"
BACK_BUTTON = "« Back"
ADULT_MODELS_BUTTON = "🔞 Show 18+ models"
ADULT_CONFIRM_BUTTON = "I am 18 or older"
ADULT_QUESTION = "18+ models are only for adults. Tap “I am 18 or older” to confirm, once."
ADULT_CONFIRMED = "Thanks. 18+ models are shown from now on."
OPTION_SET = "Done."
STALE_BUTTON = "This button is out of date. Please use the latest message."
TAP_A_BUTTON = "Please tap one of the buttons."
TEXT_EXPECTED = "Please send it as a text message."

MENU_BUTTONS = {
    "swap_face": "Face swap: use as face",
    "swap_target": "Face swap: use as target",
    "edit": "Edit",
    "upscale": "Upscale",
    "similar": "Similar",
    "angles": "Angles",
    "lipsync": "Lipsync (as portrait)",
    "actor": "Save as actor",
}


def menu_button(label: str, price: str) -> str:
    return f"{label} · {price}"


def photo_menu(count: int) -> str:
    if count == 1:
        return "What should I do with this photo? Each button shows its price."
    return f"What should I do with these {count} photos? Each button shows its price."


RESULT_BUTTONS = {
    "again": "🔁 Again",
    "edit": "✏️ Edit",
    "upscale": "🔍 Upscale",
    "swap": "🎭 Face swap into this",
    "actor": "💾 Save as actor",
}


def result_card(title: str, count: int, reusable: bool) -> str:
    done = f"{title}: your result is ready." if count == 1 else f"{title}: {count} results."
    if reusable:
        return f"{done} Use it next without sending it again:"
    return f"{done} Make another one:"


WHICH_RESULT = "Which one? They are numbered in the order they came."
RESULT_GONE = "This result is not available any more."
RESULT_EXPIRED = (
    "This result can't be used again: it has expired at the AI service. Please send it as a "
    "photo instead."
)
ACTOR_PHOTO_TYPES_REFUSED = "An actor's photo must be a JPEG or PNG. Please send one of those."
NEW_ACTOR_NAME_FOR_PHOTO = (
    f"Let's save this face as an actor. What's their name? (up to {MAX_NAME_LENGTH} characters)"
)
SAVED_FACE_CAPTION = "This face, to keep as an actor."

SETTING_LABELS = {
    "image_model": "Picture model",
    "ratio": "Shape",
    "image_count": "Images per job",
    "faceswap_model": "Face swap model",
    "faceswap_resolution": "Face swap resolution",
}
SETTINGS_INTRO = (
    "Your defaults. Every tool uses them where they fit, and you can still change them for "
    "one job on the keyboard under its last question. Tap one to change it."
)
SETTING_SAVED = "Saved."
ADULT_SETTING_BUTTON = "🔞 18+ models: I am 18 or older"


def setting_button(label: str, current: str) -> str:
    return f"{label}: {current} ▸"


def setting_choice(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


# --- The video studio (issue 10), and the named styles of the image studio ---------------------


def style_label(name: str) -> str:
    """A named style the provider lists (`curvy`, `film_noir`), as shown on a button."""
    return name.replace("_", " ").capitalize()


TOOL_TITLES.update(
    {
        "videogen": "Animation",
        "video2video": "Motion transfer",
        "video_upscaler": "Video upscale",
        "video_merger": "Merge",
    }
)
TOOL_DESCRIPTIONS.update(
    {
        "videogen": "Bring a photo to life as a short video",
        "video2video": "Put your character into the moves of a video",
        "video_upscaler": "Make a video bigger and sharper",
        "video_merger": "Join 2 to 5 videos into one",
    }
)
OPTION_LABELS.update(
    {
        "duration": "Length",
        "sound": "Sound",
        "scale": "Scale",
        "transition": "Transition",
        "keep_audio": "Audio",
    }
)
QUESTIONS.update(
    {
        "videogen": {
            "photo": "send the photo to animate.",
            "last_frame": "optionally, send the last frame — the picture the video should end on.",
            "audio": "optionally, send audio for the video to follow — a voice note or an "
            "audio file.",
            "prompt": "optionally, describe the motion (up to 2,000 characters).",
        },
        "video2video": {
            "character": "send a photo of your character — the one who takes over the moves.",
            "source": "now send the video whose moves to use, or an Instagram or TikTok link "
            "to it.",
        },
        "video_upscaler": {"video": "send the video to make bigger and sharper."},
        "video_merger": {
            "clips": "send the videos to join, one by one in the order they should play, or "
            "tap your earlier videos below: 2 to 5 in all.",
        },
    }
)
VIDEO_MODEL_LABELS = {
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
    "wan@2.2-lora": "WAN 2.2 styles 18+",
    "wan@2.7-nsfw": "WAN 2.7 18+",
}
MOTION_MODE_LABELS = {
    "replace_sfw": "Replace the person",
    "animate_sfw": "Animate your photo",
    "kling_2_6_sfw": "Kling 2.6",
    "dreamactor_m2": "DreamActor M2",
    "replace_nsfw": "Replace 18+",
    "animate_nsfw": "Animate 18+",
}
SOUND_LABELS = {True: "With sound", False: "Silent"}
KEEP_SOUND_LABELS = {True: "Keep the sound", False: "No sound"}
TRANSITION_LABELS = {"cut": "Cut", "fade": "Fade", "dissolve": "Dissolve", "slide": "Slide"}
MAX_SCALE_LABEL = "Largest (5120 px)"


def seconds(amount: int) -> str:
    return f"{amount} s"


def scale_factor(factor: str) -> str:
    return f"×{factor}"


VIDEO_EXPECTED = "I need a video here: send it as a video or as an MP4, MOV or WebM file."
VIDEO_OR_LINK_EXPECTED = (
    "I need a video here: send it as a video or as an MP4, MOV or WebM file, or send an "
    "Instagram or TikTok link to it."
)
VIDEO_TYPE_REFUSED = "I can't use that video format. Please send an MP4, MOV or WebM video."
VIDEO_UNREADABLE = "I couldn't read that video. Please send it again as an MP4 video."
VIDEO_NOT_FETCHED = "I couldn't fetch that video from Telegram. Please send it again."
LINK_REFUSED = (
    "That is not a link to an Instagram or TikTok post or reel. Please send the link you get "
    "from the app's Share button, or the video itself."
)


def video_too_large(limit: int, local_mode: bool) -> str:
    if local_mode:
        return (
            f"That video is too large: the AI service takes videos up to {_megabytes(limit)}. "
            "Please send a shorter or smaller one. Nothing was charged."
        )
    return (
        f"That video is too large: Telegram lets me fetch files up to {_megabytes(limit)}. "
        "Please send a shorter or smaller one. Nothing was charged."
    )


MEASURED["video_seconds"] = "{title} of {seconds} s of video"
MENU_BUTTONS["animate"] = "Animate"
RESULT_BUTTONS.update(
    {
        "animate": "🎬 Animate",
        "lipsync": "🗣 Lipsync",
        "upscale_video": "🔍 Upscale video",
        "merge": "🎞 Merge with…",
    }
)
VIDEO_MENU_BUTTONS = {
    "motion": "Motion transfer (use as source)",
    "upscale_video": "Upscale video",
    "merge": "Merge",
}
VIDEO_MENU = "What should I do with this video? Each button shows its price."
LINK_MENU = (
    "What should I do with the video behind this link? Its length is not known until the AI "
    "service fetches it, so the button shows the most it can cost."
)
PRICE_AFTER_VIDEO = "a price that depends on your video, shown before anything is charged"


def at_most(price: int) -> str:
    return f"at most {credits(price)}"


def price_line_at_most(price: int) -> str:
    return (
        f"Price: at most {credits(price)}. The buttons below change the options, with their "
        "prices."
    )


def quote_at_most(title: str, price: int, balance: int) -> str:
    return (
        f"{title} of a linked video costs at most {credits(price)}. Its length is not known "
        "until the AI service fetches it, so the most is charged now, and the difference "
        "comes back once the AI service reports what it charged.\n"
        f"Your balance: {credits(balance)}.\nStart?"
    )


def quote_leaving_out(
    title: str, price: int, balance: int, seconds: float, left_out: list[str], limit: int
) -> str:
    """A quote of a video too long for some choices, naming them."""
    return (
        f"{title} of {max(1, math.ceil(seconds))} s of video costs {credits(price)}. "
        f"{', '.join(left_out)} take at most {limit} s of video, so they are not offered for "
        f"this one.\nYour balance: {credits(balance)}.\nStart?"
    )


def clips_question(count: int, least: int, most: int) -> str:
    """The question asking for the next clip, once some are in."""
    if count < least:
        return (
            f"send the next video, or tap one of your earlier videos below. {count} of "
            f"{least} to {most} so far."
        )
    return (
        "send the next video, tap one of your earlier videos below, or tap Done. "
        f"{count} of at most {most} so far."
    )


def clips_done_button(count: int, price: int) -> str:
    return f"✅ Done: merge these {count} — {credits(price)}"


def result_pick(number: int, title: str, created_at: str) -> str:
    when = datetime.fromisoformat(created_at).strftime("%d %b %H:%M")
    return f"🎞 {number}. {title} · {when}"


def overcharge_note(title: str) -> str:
    return f"{title.lower()} cost less than the most charged"


def job_done_overcharged(title: str, refunded: int) -> str:
    return (
        f"✅ {title}: done. It cost less than the most that was charged: "
        f"{credits(refunded)} refunded."
    )


SETTING_LABELS.update(
    {
        "video_model": "Video model",
        "video_duration": "Video length",
        "video_resolution": "Video resolution",
    }
)


USE_TOOL_BUTTONS["video2video"] = "{name} in the moves of a video"


def video_sending(title: str) -> str:
    return f"⏳ {title}: sending your files to the AI service…"


def video_queued(title: str) -> str:
    return f"⏳ {title}: waiting for its turn at the AI service…"


def video_processing(title: str, elapsed: timedelta) -> str:
    shown = timedelta(seconds=int(elapsed.total_seconds()) // 10 * 10)
    return (
        f"⚙️ {title}: the AI service is making the video… {_elapsed(shown)} "
        "(videos take a few minutes)"
    )


def trim_button(seconds: int) -> str:
    return f"✂️ Use its first {seconds} s"


def trimmed_caption(seconds: int) -> str:
    return f"The first {seconds} s of your video: this is the part I use."


AUDIO_TRACK_EXPECTED = "I need audio here: a voice note or an audio file."
