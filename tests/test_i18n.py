"""Korean for Korean users: the language choice, the catalog's completeness (every message has a Korean entry,
none is stale, the compiled catalog is the .po's), and the main screens in both languages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ollama_chat import i18n

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import po  # noqa: E402

HANGUL = re.compile("[가-힣]")


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"), ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LANG": "C.UTF-8"}, "en"), ({"LC_ALL": "ko_KR"}, "ko"),
    ({"LANGUAGE": "en:ko", "LANG": "ko_KR.UTF-8"}, "en"), ({"LANGUAGE": "ko", "LANG": "C"}, "ko"),
    ({"LC_MESSAGES": "ko_KR.eucKR"}, "ko"), ({"LANG": "ja_JP.UTF-8"}, "en"),
])
def test_the_language_follows_the_locale_variables(environ, expected):
    assert i18n.from_environment(environ) == expected


def test_every_message_has_a_korean_entry_and_the_catalog_is_compiled():
    assert po.check() == []


def test_a_message_without_a_translation_or_an_f_string_is_caught(tmp_path):
    (tmp_path / "m.py").write_text('from ollama_chat.i18n import _\nx = 1\n_("new message")\n_(f"{x} bad")\n')
    found, problems = po.messages(tmp_path)
    assert "new message" in found and any("JoinedStr" in p for p in problems)


def test_korean_is_used_when_asked_and_english_otherwise():
    i18n.use("ko")
    assert HANGUL.search(i18n._("Bye!")) if "Bye!" in po.read_po() else True
    i18n.use("en")
    assert i18n._("Bye!") == "Bye!"
