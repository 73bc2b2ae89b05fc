"""Languages: the translation catalogs, and the language the current texts are written in.

The texts (bot/texts.py) are written in English, the source language; each other language's
translations are a gettext catalog, `bot/locales/<locale>/LC_MESSAGES/castbot.po`, made and
kept up to date with Babel's tools (`bash scripts/translations`, see the README). A catalog
is compiled in memory the first time its language is used, so no compiled file is kept.

Who writes a text never passes a language: the texts read the locale of the current context.
The account handler sets it once per update, from the user behind it; the job engine once
per job, from the job's user; work that speaks to someone other than whoever caused it (a
referral reward for the inviter, a refund notice for the buyer) sets it around what it sends.
"""

from __future__ import annotations

import gettext as gnu_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from storage.users import User, UsersRepository

SOURCE_LOCALE = "en"
LOCALES = (SOURCE_LOCALE, "ru", "es", "pt_BR")
"""Every language the bot speaks, the source first."""
DOMAIN = "castbot"
LOCALES_DIR = Path(__file__).parent / "locales"

_current: ContextVar[str] = ContextVar("locale", default=SOURCE_LOCALE)


def locale_for(language_code: str | None) -> str:
    """The locale for a Telegram `language_code` (an IETF tag such as "ru" or "pt-br"):
    the language it names when the bot speaks it, English otherwise."""
    primary = (language_code or "").replace("_", "-").split("-")[0].lower()
    if primary == "pt":
        return "pt_BR"  # the one Portuguese offered; pt-PT readers get it too
    return primary if primary in LOCALES else SOURCE_LOCALE


def locale_of(user: User | None) -> str:
    """The language to speak to a user in: the one chosen with /language, else their
    Telegram app's (English for an unknown user)."""
    if user is None:
        return SOURCE_LOCALE
    return user.locale if user.locale in LOCALES else locale_for(user.language)


async def user_locale(users: UsersRepository, user_id: int) -> str:
    return locale_of(await users.get(user_id))


def command_language(locale: str) -> str:
    """The `language_code` the command menu of a locale is set for: Telegram takes a
    two-letter ISO 639-1 code there ("" is the default menu, the source language's)."""
    return "" if locale == SOURCE_LOCALE else locale.split("_")[0]


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    """Write the texts in `locale` for the rest of the current task (an update, a job)."""
    _current.set(_spoken(locale))


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Write the texts in `locale` inside the block only."""
    token = _current.set(_spoken(locale))
    try:
        yield
    finally:
        _current.reset(token)


def _spoken(locale: str) -> str:
    """`locale` if the bot speaks it, else the source language."""
    return locale if locale in LOCALES else SOURCE_LOCALE


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gnu_gettext.NullTranslations:
    """The compiled catalog of a locale (the source language needs none). A fuzzy or
    missing translation is left out, so its text is shown in English."""
    if locale == SOURCE_LOCALE:
        return gnu_gettext.NullTranslations()
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gnu_gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a text for the number `n`: two in English, three in Russian, ..."""
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A short text whose translation depends on what it is about (a colour of eyes or of
    hair), told by `context`."""
    return translations(_current.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a message for extraction where it is kept as data; it is translated when shown."""
    return message
