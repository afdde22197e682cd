"""The interface's language: Korean for Korean users, English for everyone else.

Messages are written in English in the code, inside `_()` (or `N_()` where a string is defined before the
language is known and translated where it is shown), and looked up in the gettext catalog
`ollama_chat/locale/ko/LC_MESSAGES/ollama_chat.mo`, compiled from the `.po` beside it by `tools/po.py`.

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


def _(message: str) -> str:
    """`message` in the interface's language."""
    return message if _catalog is None else _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """`singular` or `plural` by `n`, each translated as a message of its own (Korean has one form)."""
    return _(singular if n == 1 else plural)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; `_()` translates it where it is shown."""
    return message
