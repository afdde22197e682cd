"""The interface's language: Korean for Korean users, English for everyone else.

Messages are written in English in the code, inside `_()` (or `N_()` where a string is defined before the
language is known and translated where it is shown), and looked up in the gettext catalog
`ollama_chat/locale/ko/LC_MESSAGES/ollama_chat.mo`, compiled from the `.po` beside it by `tools/po.py`.

The language: `--lang`, else `language` in the config, else the locale variables as gettext reads them
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the first that is set), `ko*` meaning Korean. The variables are read,
not `setlocale`, so it works where the Korean locale is not installed.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Mapping
from pathlib import Path

LANGUAGES = ("ko", "en")
DOMAIN = "ollama_chat"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_catalog: _gettext.NullTranslations = _gettext.NullTranslations()
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
    if language == "en":
        _catalog = _gettext.NullTranslations()
        return
    try:
        with open(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
            _catalog = _gettext.GNUTranslations(f)
    except OSError:
        _catalog = _gettext.NullTranslations()


def _(message: str) -> str:
    """`message` in the interface's language."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """`singular` or `plural` by `n`, each translated as a message of its own (Korean has one form)."""
    return _(singular if n == 1 else plural)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; `_()` translates it where it is shown."""
    return message
