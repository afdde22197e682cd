"""TOML with errors that point at a line: for persona headers and the config file."""

from __future__ import annotations

import re
import sys

from ollama_chat.i18n import _

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError
    from tomllib import loads as _loads
else:  # pragma: no cover - exercised on 3.10 only
    from tomli import TOMLDecodeError
    from tomli import loads as _loads


def loads(text: str) -> dict:
    """TOML; a nesting too deep to parse is a TOMLDecodeError like any other malformed text."""
    try:
        return _loads(text)
    except RecursionError:
        raise TOMLDecodeError(_("arrays or tables nested too deeply") + " (at line 1, column 1)") from None

__all__ = ["TOMLDecodeError", "error_line", "key_line", "loads"]


def key_line(toml: str, key: str, start: int = 1) -> int:
    """The line where `key` is set in a TOML text (counting from `start`), so an error can point at it."""
    for offset, text in enumerate(toml.splitlines()):
        if re.match(rf"(\[\[?)?\s*{re.escape(key)}\b", text.strip()):
            return start + offset
    return start


def error_line(error: Exception, text: str) -> tuple[int, str]:
    """(line within `text`, what is wrong) from a TOMLDecodeError; "at end of document" is the last line."""
    message = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        return int(match.group(1)), message[: match.start()].strip()
    match = re.search(r"\(at end of document\)", message)
    what = message[: match.start()].strip() if match else message
    return max(1, len(text.rstrip("\n").split("\n"))), what
