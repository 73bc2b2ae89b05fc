"""The catalog checks: every text of bot/ is translated into every language, not fuzzy, with
the source's placeholders, and within Telegram's limits once rendered.

A text added to bot/texts.py (or anywhere in bot/) without its translations fails here:
`bash scripts/translations update`, translate it in each .po file, run this again. A new
text function needs representative arguments in SAMPLES below.
"""

from __future__ import annotations

import inspect
import re
import string
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n, texts
from bot.catalog import command_menu
from bot.i18n import LOCALES, SOURCE_LOCALE, catalog_path, use_locale
from providers.models import Training, TrainingState
from storage.actors import Actor, ActorPhoto, ActorTraining, ActorVoice
from storage.payments import Subscription
from storage.users import LedgerEntry, LedgerKind

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [locale for locale in LOCALES if locale != SOURCE_LOCALE]
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
INVOICE_TITLE_LIMIT = 32
INVOICE_DESCRIPTION_LIMIT = 255

LONG_NAME = "Maximiliana-Wolkenstein Ortega"[:32]
"""As long as an actor's or a user's name gets (32 characters)."""
BIG = 1_234_567
LINK = "https://t.me/castbot?start=ref_" + "x" * 40
URL = "https://cdn.example/results/" + "y" * 200
ISO = "2026-03-07T14:05:00+00:00"


def _actor() -> Actor:
    photo = ActorPhoto(file_id="f", file_unique_id="u")
    voice = ActorVoice(file_id="v", file_unique_id="w", seconds=34.6, filename="v", mime_type="a")
    training = ActorTraining(
        kind="likeness",
        provider="scenario",
        job_id="j",
        status="training",
        progress=0.42,
        updated_at=ISO,
    )
    return Actor(
        id=1,
        user_id=1,
        name=LONG_NAME,
        photos=[photo] * 30,
        voice=voice,
        likeness=training,
        voice_clone=training.model_copy(update={"kind": "voice", "status": "failed"}),
        created_at=ISO,
    )


def _entries() -> list[LedgerEntry]:
    base = {"user_id": 1, "created_at": ISO, "job_id": None, "note": None}
    charge = {**base, "job_id": "a" * 32, "tool": "faceswap"}
    return [
        LedgerEntry(id=1, amount=-BIG, kind=LedgerKind.CHARGE, **charge),
        LedgerEntry(id=2, amount=BIG, kind=LedgerKind.GRANT, **{**base, "note": "x" * 200}),
        LedgerEntry(id=3, amount=10, kind=LedgerKind.WELCOME, **base),
    ] * 4


def _subscription(canceled: bool) -> Subscription:
    return Subscription(
        id=1,
        user_id=1,
        payload="p",
        charge_id="c",
        credits=BIG,
        stars=10000,
        expires_at=ISO,
        canceled=canceled,
        created_at=ISO,
    )


TRAINING = Training(
    id="t",
    state=TrainingState.TRAINING,
    stage="running-train",
    progress=0.5,
    remaining_seconds=900,
)

SAMPLES: dict[str, list[tuple[Any, ...]]] = {
    "title": [("Face swap",)],
    "credits": [(1,), (2,), (5,), (21,), (BIG,)],
    "price_summary": [(1, False, None), (BIG, True, "image"), (3, True, "second"), (2, True, None)]
    + [
        (1, False, "image"),
        (3, False, "second"),
        (BIG, True, "megapixel"),
        (2, False, "megapixel"),
    ],
    "commands": [([("faceswap", "faceswap", "from 1234567 credits per image")] * 10,)],
    "welcome": [(LONG_NAME, True, BIG, BIG, True), ("Ann", False, 0, 0, False)],
    "help_text": [(command_menu(1000.0),)],
    "balance": [(BIG,)],
    "history": [(_entries(),), ([],)],
    "unknown_command": [("/" + "x" * 64,)],
    "job_queued": [("Likeness training",)],
    "job_in_line": [
        ("Face swap", 2, timedelta(seconds=3)),
        ("Face swap", 12, timedelta(seconds=34)),
        ("Face swap", BIG, timedelta(minutes=21)),
    ],
    "job_processing": [("Likeness training", timedelta(hours=2, seconds=5))],
    "job_done": [("Photoshoot", 0), ("Photoshoot", BIG)],
    "job_failed_status": [("Similar picture",)],
    "job_failed": [("Similar picture", None, BIG, BIG), ("Edit", "r" * 300, 1, 0)],
    "refund_note": [("Face swap",)],
    "result_link": [("Upscale", URL)],
    "result_refused_link": [("Upscale", URL)],
    "too_many_jobs": [(1,), (3,), (25,)],
    "provider_refused_input": [(None,), ("d" * 300,)],
    "image_type_refused": [("JPG, PNG",)],
    "file_too_large": [(20 * 1024 * 1024,)],
    "not_enough_credits": [(BIG, BIG - 1)],
    "short_of_credits": [(BIG, BIG - 1)],
    "resume_offer": [("Likeness training", BIG, BIG)],
    "audio_too_long": [(3599.4, 35)],
    "start_button": [(BIG,)],
    "stars": [(1,), (BIG,)],
    "buy_intro": [(BIG,)],
    "pack_button": [(BIG, 10000)],
    "invoice_title": [(1,), (99999,)],
    "invoice_description": [(99999,)],
    "payment_thanks": [(BIG, BIG)],
    "payment_refunded": [(10000, 0), (10000, BIG)],
    "invite": [(LINK, BIG), (LINK, 0)],
    "referral_reward": [(BIG,)],
    "plans_intro": [(BIG,)],
    "plan_button": [(BIG, 10000)],
    "plan_title": [(1,), (99999,)],
    "plan_description": [(99999,)],
    "subscription_status": [(_subscription(True),), (_subscription(False),)],
    "plan_started": [(BIG, BIG, ISO)],
    "plan_renewed": [(BIG, BIG, ISO)],
    "promo_note": [("X" * 32,)],
    "promo_redeemed": [("X" * 32, BIG, BIG)],
    "promo_unknown": [("X" * 32,)],
    "promo_expired": [("X" * 32,)],
    "promo_used_up": [("X" * 32,)],
    "promo_already": [("X" * 32,)],
    "training_status": [("Likeness training", LONG_NAME, TRAINING)],
    "training_done": [("voice", LONG_NAME), ("likeness", LONG_NAME)],
    "actors_list": [(20,)],
    "actor_card": [(_actor(), False), (_actor(), True)],
    "train_likeness_button": [(BIG,)],
    "clone_voice_button": [(BIG,)],
    "use_tool_button": [(tool, LONG_NAME) for tool in texts.USE_TOOL_BUTTONS],
    "use_actor": [(LONG_NAME,)],
    "pick_actor_button": [(LONG_NAME,)],
    "actor_photos_intro": [(LONG_NAME,)],
    "actor_photos_saved": [(LONG_NAME, 1), (LONG_NAME, 3), (LONG_NAME, 30)],
    "photos_added": [(LONG_NAME, 1), (LONG_NAME, 22)],
    "actor_photos_full": [(LONG_NAME, 0), (LONG_NAME, 1), (LONG_NAME, 5)],
    "actor_voice_intro": [(LONG_NAME,)],
    "voice_length_refused": [(3600.0, 10, 180)],
    "actor_saved": [(LONG_NAME,)],
    "rename_prompt": [(LONG_NAME,)],
    "renamed": [(LONG_NAME,)],
    "add_photos_prompt": [(LONG_NAME, 29)],
    "set_voice_prompt": [(LONG_NAME,)],
    "voice_saved": [(LONG_NAME,)],
    "confirm_delete": [(LONG_NAME,)],
    "deleted": [(LONG_NAME,)],
    "busy_training": [(LONG_NAME,)],
    "needs_photos_to_train": [(LONG_NAME, 1, 4), (LONG_NAME, 3, 4)],
    "likeness_quote": [(LONG_NAME, 30, BIG, BIG)],
    "voice_quote": [(LONG_NAME, BIG, BIG)],
    "picture_prompt": [(LONG_NAME, BIG)],
    "picture_quote": [(LONG_NAME, BIG, BIG)],
    "prompt_too_long": [(2000,)],
    "actor_voice_too_long": [(LONG_NAME, 180.0, 35)],
    "option_label": [("makeup",), ("strength",)],
    "faceswap_model": [("FULL_HEAD",)],
    "image_model": [("FLUX_KLEIN_LORA",), ("GENERAL_SFW",)],
    "similar_model": [("GENERAL",)],
    "mode_label": [("quality",)],
    "upscaler_version": [("premium_safe_face",)],
    "strength_label": [(0.75,)],
    "gender_label": [("Female",)],
    "same_as_photo": [()],
    "any_value": [()],
    "provider_value": [("makeup", "Sunset Eye Makeup"), ("origin", "Oceanian / Pacific Islander")],
    "images": [(1,), (4,), (10,)],
    "megapixels": [(32,)],
    "flow_left": [("Likeness training",)],
    "flow_intro": [("Photoshoot", "from 1234567 credits per image", BIG)],
    "price_per_second": [(BIG, 35.0), (3, None)],
    "per_second_short": [(BIG,)],
    "question": [
        {
            "step": 4,
            "steps": 4,
            "question": texts.QUESTIONS["collaber"]["prompt"],
            "intro": "i" * 200,
            "actors": True,
            "skip": True,
            "price_line": texts.price_line(BIG, True),
        }
    ],
    "price_line": [(BIG, True), (1, False)],
    "quote": [
        ("Lipsync", BIG, BIG, {"audio_seconds": 34.2}),
        ("Photoshoot", BIG, BIG, {}),
        ("Video upscale", BIG, BIG, {"video_seconds": 3599.2, "video_width": 1920.0}),
    ],
    "again_quote": [("Likeness training", BIG, BIG)],
    "option_button": [("Likeness to the reference", "Very close")],
    "choice_button": [("Premium, keep face", BIG, True), ("None", None, False)],
    "menu_button": [("Face swap: use as target", "1234567 credits")],
    "photo_menu": [(1,), (10,)],
    "result_card": [
        ("Similar picture", 1, BIG, BIG, True),
        ("Photoshoot", 8, BIG, 0, False),
        ("Motion transfer", 1, BIG, BIG, True, True),
    ],
    "setting_button": [("Face swap resolution", "4K")],
    "setting_choice": [("Flux Klein templates 18+", True)],
    "style_label": [("film_noir",)],
    "video_model": [("wan@2.2-lora",), ("seedance_pro_fast",)],
    "motion_mode": [("replace_sfw",), ("dreamactor_m2",)],
    "sound_label": [(True,), (False,)],
    "keep_sound_label": [(True,), (False,)],
    "transition_label": [("dissolve",)],
    "seconds": [(15,)],
    "scale_factor": [("100",)],
    "largest_scale": [(5120,)],
    "video_too_large": [(20 * 1024 * 1024, False), (50 * 1024 * 1024, True)],
    "at_most": [(BIG,)],
    "price_line_at_most": [(BIG,)],
    "quote_at_most": [("Motion transfer", BIG, BIG)],
    "quote_leaving_out": [
        ("Motion transfer", BIG, BIG, 3599.4, ["Kling 2.6", "DreamActor M2"], 30),
        ("Motion transfer", 19, 0, 30.6, ["Kling 2.6"], 30),
    ],
    "clips_question": [(1, 2, 5), (4, 2, 5)],
    "clips_done_button": [(5, BIG)],
    "result_pick": [(8, "Motion transfer", ISO)],
    "overcharge_note": [("Motion transfer",)],
    "job_done_overcharged": [("Motion transfer", BIG)],
    "video_sending": [("Motion transfer",)],
    "video_queued": [("Motion transfer",)],
    "video_processing": [("Motion transfer", timedelta(hours=1, seconds=5))],
    "trim_button": [(30,)],
    "trimmed_caption": [(30,)],
}
"""Representative arguments of every text function: long names, large numbers, each form."""

LANGUAGE_NEUTRAL = {
    "pick_actor_button",
    "option_button",
    "choice_button",
    "menu_button",
    "setting_button",
    "setting_choice",
    "style_label",
    "scale_factor",
}
"""Functions that only arrange texts translated elsewhere (names, labels, prices)."""

CAPTIONS = {"result_card", "SAVED_FACE_CAPTION", "trimmed_caption"}
CALLBACK_ANSWERS = {
    "SETTING_SAVED",
    "ADULT_CONFIRMED",
    "image_type_refused",
    "RESULT_EXPIRED",
    "VIDEO_RESULT_EXPIRED",
}
"""Texts a button press is answered with; those handlers pass as `answer(texts.X` are found
in handlers/ by `callback_answer_names`."""
INVOICE_TITLES = {"invoice_title", "plan_title"}
INVOICE_DESCRIPTIONS = {"invoice_description", "plan_description"}

OPERATOR_CONSTANTS = {
    "REFUND_USAGE",
    "PROMO_USAGE",
    "GRANT_USAGE",
    "USER_USAGE",
    "BLOCK_USAGE",
    "UNBLOCK_USAGE",
    "BROADCAST_USAGE",
    "CANNOT_BLOCK_ADMIN",
    "CHART_JOBS_TITLE",
    "CHART_CREDITS_TITLE",
}
"""The English-only constants only the operator reads (admin commands, /stats)."""


def text_functions() -> dict[str, Callable[..., str]]:
    return {
        name: function
        for name, function in vars(texts).items()
        if inspect.isfunction(function)
        and function.__module__ == texts.__name__
        and not name.startswith("_")
    }


def operator_only(function: Callable[..., str]) -> bool:
    """Whether it is an `@_operator` text (English for the admin, never translated)."""
    return getattr(function, "__wrapped__", None) is not None


def constant_names() -> list[str]:
    """Every `texts.NAME` read through the catalog (declared `_NAME`)."""
    return [name[1:] for name in vars(texts) if name.startswith("_") and name[1:].isupper()]


def callback_answer_names() -> set[str]:
    pattern = re.compile(r"\.answer\(\s*(?:text=)?texts\.(\w+)")
    found = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found


def rendered(locale: str) -> Iterator[tuple[str, str]]:
    """(name, text) of every constant and every sample of every text function."""
    with use_locale(locale):
        for name in constant_names():
            value = getattr(texts, name)
            items = value.values() if isinstance(value, dict) else [value]
            for item in items:
                for text in item.values() if isinstance(item, dict) else [item]:
                    yield name, text
        for name, function in text_functions().items():
            if operator_only(function):
                continue
            for arguments in SAMPLES[name]:
                if isinstance(arguments, dict):
                    yield name, function(**arguments)
                else:
                    yield name, function(*arguments)


def source_messages() -> dict[tuple[str | tuple[str, str], str | None], Any]:
    """Every message of bot/, as extracted (msgid or (singular, plural), context)."""
    found = {}
    for _, _, message, _, context in extract_from_dir(str(ROOT / "bot")):
        msgid = message if isinstance(message, str) else tuple(message[:2])
        found[(msgid, context)] = message
    return found


def load(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_and_not_fuzzy(locale: str) -> None:
    catalog = load(locale)
    problems = []
    for msgid, context in source_messages():
        message = catalog.get(msgid, context=context)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(message.string if isinstance(message.string, tuple) else [message.string]):
            problems.append(f"untranslated: {msgid!r}")
    assert not problems, f"{locale}: run bash scripts/translations update, then translate:\n" + (
        "\n".join(problems)
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_source_placeholders(locale: str) -> None:
    problems = []
    for message in load(locale):
        if not message.id or not message.string:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(placeholders(source) for source in sources))
        found = [placeholders(form) for form in forms]
        if set().union(*found) != expected or any(not form <= expected for form in found):
            problems.append(f"{message.id!r}: {sorted(expected)} -> {found}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_rendered_texts_are_within_telegrams_limits(locale: str) -> None:
    answers = CALLBACK_ANSWERS | callback_answer_names()
    problems = []
    for name, text in rendered(locale):
        limit = MESSAGE_LIMIT
        if name in CAPTIONS:
            limit = CAPTION_LIMIT
        if name in answers:
            limit = CALLBACK_ANSWER_LIMIT
        if name in INVOICE_TITLES:
            limit = INVOICE_TITLE_LIMIT
        if name in INVOICE_DESCRIPTIONS:
            limit = INVOICE_DESCRIPTION_LIMIT
        if not 0 < len(text) <= limit:
            problems.append(f"{name}: {len(text)} characters (1 to {limit}): {text[:80]!r}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


def test_every_text_function_has_samples_and_every_constant_is_translated() -> None:
    functions = text_functions()
    missing = [name for name, function in functions.items() if not operator_only(function)]
    assert sorted(set(missing) - set(SAMPLES)) == [], "add representative arguments to SAMPLES"
    plain = [
        name
        for name, value in vars(texts).items()
        if name.isupper()
        and not name.startswith("_")
        and isinstance(value, str)
        and name not in OPERATOR_CONSTANTS
        and name not in vars(i18n)
    ]
    assert plain == [], "wrap these in N_() as _NAME (README: adding a text) or mark them operator"


def test_no_text_is_left_in_english() -> None:
    """Each text reads differently than in English in some language: none is an f-string
    nobody wrapped (a word may be the same in Spanish: "General")."""
    by_locale: dict[str, dict[str, list[str]]] = {}
    for locale in LOCALES:
        for name, text in rendered(locale):
            by_locale.setdefault(locale, {}).setdefault(name, []).append(text)
    english = by_locale[SOURCE_LOCALE]
    same = [
        name
        for name, texts_in_english in english.items()
        if name not in LANGUAGE_NEUTRAL
        and all(by_locale[locale][name] == texts_in_english for locale in TRANSLATED)
    ]
    assert same == []


def test_operator_texts_stay_english_whatever_the_admins_language() -> None:
    with use_locale("ru"):
        assert texts.no_user(42) == "There is no user 42: they have not written to the bot yet."
        assert texts.granted(42, 5, 15) == "+5 credits for user 42. Their balance: 15 credits."
