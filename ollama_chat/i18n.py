"""The interface's language: Korean for Korean users, English for everyone else.

Messages are written in English in the code, inside `_()` (or `N_()` where a string is defined before the
language is known and translated where it is shown), and looked up in the gettext catalog
`ollama_chat/locale/ko/LC_MESSAGES/ollama_chat.mo` with the standard library's gettext; the `.mo` is compiled
from the `.po` beside it by `tools/po.py` (Babel, a development tool: the running program never imports it).

The language: `--lang`, else `language` in the config, else the locale variables as gettext reads them
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the first that is set), `ko*` meaning Korean. The variables are read,
not `setlocale`, so it works where the Korean locale is not installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

LANGUAGES = ("ko", "en")
DOMAIN = "ollama_chat"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_catalog: Any = None  # a gettext.GNUTranslations while Korean is spoken; None: English, as written
language = "en"


def from_environment(environ: Mapping[str, str]) -> str:
    """The language the locale variables ask for, in gettext's order of precedence."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(var, "")
        if value:
            first = value.split(":")[0].strip().lower()
            return "ko" if first.startswith("ko") else "en"
    return "en"


def use(lang: str) -> None:
    """Speak `lang` from now on ("ko" or "en"); a missing catalog means English."""
    global _catalog, language
    language = lang if lang in LANGUAGES else "en"
    _catalog = None
    if language == "en":
        return  # English needs no catalog, nor the gettext module: start-up stays as it was
    import gettext

    try:
        with open(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
            _catalog = gettext.GNUTranslations(f)
    except OSError:
        pass


class _Translated(str):
    """A translated message whose `format` fits the Korean particles to the words filled in."""

    def format(self, *args: object, **kwargs: object) -> str:
        return particles(str.format(self, *args, **kwargs))


def _(message: str) -> str:
    """`message` in the interface's language."""
    return message if _catalog is None else _Translated(_catalog.gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` of one catalog entry (`msgid`/`msgid_plural`), chosen by the language's Plural-Forms
    rule: Korean has one form, other languages two, three or more; English is `singular` for 1."""
    if _catalog is None:
        return singular if n == 1 else plural
    return _Translated(_catalog.ngettext(singular, plural, n))


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; `_()` translates it where it is shown."""
    return message


# -- Korean particles -------------------------------------------------------------------------------------
# A message like "{name}을(를) 읽을 수 없습니다" cannot know its particle until {name} is filled in; `particles`
# picks it then (in `_Translated.format`), from the sound the word before it ends in (a digit or a Latin letter
# as Koreans read it).

_PAIRS = (("을(를)", "을", "를"), ("이(가)", "이", "가"), ("은(는)", "은", "는"), ("과(와)", "과", "와"),
          ("이라는", "이라는", "라는"), ("(으)로", "으로", "로"))
_CONSONANT_DIGITS = set("0136789")  # 영 일 삼 육 칠 팔 구... 9 (구) ends in a vowel
_CONSONANT_DIGITS.discard("9")
_CONSONANT_LETTERS = set("lmnrLMNR")  # 엘 엠 엔 알: the letters whose Korean names end in a consonant
_CLOSERS = "'\"”’)]}`»"


def _final(char: str) -> str | None:
    """'' (a vowel ending), 'ㄹ', 'C' (another consonant) for the sound `char` ends in; None if unknown."""
    if "\uac00" <= char <= "\ud7a3":
        final = (ord(char) - 0xAC00) % 28
        return "" if final == 0 else "ㄹ" if final == 8 else "C"
    if char.isdigit():
        return "ㄹ" if char in "178" else "C" if char in _CONSONANT_DIGITS else ""
    if char.isascii() and char.isalpha():
        return "ㄹ" if char in "lLrR" else "C" if char in _CONSONANT_LETTERS else ""
    return None


def particles(text: str) -> str:
    """`text` with each "을(를)"-style pair, and "이라는", fitted to the word before it (Korean only)."""
    if language != "ko" or ("(" not in text and "이라는" not in text):
        return text
    for pair, after_consonant, after_vowel in _PAIRS:
        start = 0
        while (at := text.find(pair, start)) > 0:
            before = text[:at].rstrip(_CLOSERS)
            final = _final(before[-1]) if before else None
            if final is None:
                start = at + len(pair)
                continue
            if pair == "(으)로":
                choice = after_consonant if final == "C" else after_vowel
            else:
                choice = after_consonant if final else after_vowel
            text = text[:at] + choice + text[at + len(pair):]
            start = at + len(choice)
    return text
