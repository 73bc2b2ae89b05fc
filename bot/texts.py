"""Every user-facing string, in one place so it can be translated."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.users import LedgerEntry, LedgerKind

COMMANDS: list[tuple[str, str]] = [
    ("faceswap", "Put a face from one photo onto another photo"),
    ("lipsync", "Make a portrait speak your voice note"),
    ("balance", "Show your credits"),
    ("history", "Your last 10 credit changes"),
    ("cancel", "Stop what you are doing"),
    ("help", "What I can do"),
    ("start", "Welcome and your free credits"),
]


def credits(amount: int) -> str:
    return f"{amount} credit" if abs(amount) == 1 else f"{amount} credits"


def welcome(name: str, created: bool, welcome_credits: int, balance: int, mock: bool) -> str:
    lines = [
        f"Hi {name}! I'm castbot: I turn your photos and voice notes into AI media.",
        "",
        "• /faceswap — put a face from one photo onto another photo",
        "• /lipsync — make a portrait speak your voice note",
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


def help_text() -> str:
    lines = ["Here is what I can do:", ""]
    lines += [f"/{command} — {description}" for command, description in COMMANDS]
    lines += ["", "Every tool tells you its price before anything is charged."]
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
    lines = ["Your last credit changes:", ""]
    for entry in entries:
        when = datetime.fromisoformat(entry.created_at).strftime("%d %b %H:%M")
        label = LEDGER_LABELS[entry.kind]
        detail = f" ({entry.note})" if entry.note else ""
        lines.append(f"{when} UTC  {entry.amount:+d}  {label}{detail}")
    return "\n".join(lines)


NOTHING_TO_CANCEL = "There is nothing to cancel. /help lists what I can do."
CANCELLED = "Cancelled. Nothing was charged for it."
NOT_UNDERSTOOD = "I didn't get that. /help lists what I can do."


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


JOB_TIMED_OUT = "It took far longer than it should, so I stopped waiting."
RESULT_TOO_LARGE = "The result is larger than Telegram lets me send (50 MB)."
INPUT_FILE_UNAVAILABLE = "I could not fetch one of your files from Telegram any more."


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
AUDIO_UNREADABLE = "I couldn't read the length of that audio. Please send it as a voice note."


def image_type_refused(allowed: str) -> str:
    return f"I can't use that image format. Please send a {allowed} image."


def file_too_large(limit: int) -> str:
    return f"That file is too large: the limit is {_megabytes(limit)}. Please send a smaller one."


def not_enough_credits(needed: int, balance: int) -> str:
    return (
        f"Not enough credits: this needs {credits(needed)} and you have {credits(balance)}. "
        "Nothing was charged."
    )


TERMS = (
    "Before your first face swap or lipsync, please agree to these terms:\n\n"
    "• Use only photos and voices of people who agreed to it.\n"
    "• Nothing involving minors.\n"
    "• No sexual or defamatory content of real people.\n\n"
    "Breaking them gets your account blocked."
)
TERMS_AGREE_BUTTON = "I agree"
TERMS_ACCEPTED = TERMS + "\n\n✅ You agreed to these terms."
TERMS_WAITING = "Please tap “I agree” under the terms to continue, or /cancel."

FACESWAP_MODEL_LABELS = {
    "SDXL": "Standard",
    "GENERAL": "General",
    "GENERAL_ADVANCED": "Advanced",
    "FULL_HEAD": "Full head",
}


def faceswap_intro(price: int, balance: int) -> str:
    return (
        f"Face swap costs {credits(price)}. Your balance: {credits(balance)}.\n\n"
        "Step 1 of 2: send the face photo — the face I should put in."
    )


def faceswap_target(model_label: str) -> str:
    return (
        "Step 2 of 2: now send the target photo — the picture whose face I replace.\n\n"
        f"Model: {model_label}. Tap another one below if you like; no need to otherwise."
    )


FACESWAP_MODEL_CHOSEN = "Model set."


def lipsync_intro(price_per_second: int, balance: int) -> str:
    return (
        f"Lipsync costs {credits(price_per_second)} per second of audio, up to 35 seconds. "
        f"Your balance: {credits(balance)}.\n\n"
        "Step 1 of 2: send a portrait photo (JPG or PNG, under 5 MB)."
    )


LIPSYNC_AUDIO = (
    "Step 2 of 2: now send the audio — a voice note or an audio file of up to 35 seconds."
)


def audio_too_long(seconds: float, limit: int) -> str:
    return (
        f"That audio is {seconds:.0f} seconds long; lipsync takes at most {limit} seconds. "
        "Please send a shorter one. Nothing was charged."
    )


def lipsync_quote(started_seconds: int, price: int, balance: int) -> str:
    return (
        f"Lipsync of {started_seconds} s of audio costs {credits(price)}. "
        f"Your balance: {credits(balance)}.\nStart?"
    )


def start_button(price: int) -> str:
    return f"Start — {credits(price)}"


CANCEL_BUTTON = "Cancel"
QUOTE_DECLINED = "Cancelled. Nothing was charged."
QUOTE_GONE = "This offer was already used or cancelled."
JOB_ACCEPTED = "Charged. Working on it…"
