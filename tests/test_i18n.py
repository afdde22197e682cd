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
    assert HANGUL.search(i18n._("Bye!"))  # no condition: a catalogue without "Bye!" fails here
    i18n.use("en")
    assert i18n._("Bye!") == "Bye!"


@pytest.mark.parametrize("text, expected", [
    ("'ollama-chat -h'을(를) 실행하세요.", "'ollama-chat -h'를 실행하세요."),  # 에이치: a vowel
    ("9.0은(는) 쓸 수 없습니다", "9.0은 쓸 수 없습니다"),  # 영
    ("5은(는) 쓸 수 없습니다", "5는 쓸 수 없습니다"),  # 오
    ("llama3.2:latest이(가) 센 값", "llama3.2:latest가 센 값"),
    ("/notes.json을(를) 읽을 수 없습니다", "/notes.json을 읽을 수 없습니다"),  # 엔
    ("“질문”이(가) 들어 있는", "“질문”이 들어 있는"),
    ("HTTP 400(으)로 응답했습니다", "HTTP 400으로 응답했습니다"),
    ("서울(으)로 갑니다", "서울로 갑니다"),  # ㄹ takes 로
    ("'nosuch'이라는 페르소나", "'nosuch'라는 페르소나"),
    ("문답이라는 말", "문답이라는 말"),
])
def test_korean_particles_fit_the_word_before_them(text, expected):
    i18n.use("ko")
    assert i18n.particles(text) == expected
    i18n.use("en")
    assert i18n.particles(text) == text  # English text is never touched


def test_korean_errors_read_naturally(cli):
    code, out, err = cli("--temperature", "2.5", "질문", LANG="ko_KR.UTF-8")
    assert code == 2 and "2.5는 쓸 수 없습니다" in err and "(는)" not in err and err.count("옵션") == 1
    code, out, err = cli("--bogus", LANG="ko_KR.UTF-8")
    assert "'ollama-chat -h'를 실행하세요." in err
