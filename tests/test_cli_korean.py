"""The command line in Korean: help and usage errors (ours and Typer's/click's words), and how the language is
chosen: `--lang`, else `language` in the config file, else the locale variables."""

from __future__ import annotations

import re

import pytest

HANGUL = re.compile("[가-힣]")
KO = {"LANG": "ko_KR.UTF-8"}
ENGLISH_WORDS = ("Usage:", "Options:", "Arguments:", "Commands:", "Show this message", "Error:", "Try '")


def write_config(tmp_path, text: str):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(text, encoding="utf-8")
    return config / "config.toml"


def test_help_is_in_korean_with_a_korean_locale(cli):
    code, out, err = cli("--help", **KO)
    assert code == 0, err
    assert out.startswith("사용법: ollama-chat [OPTIONS] [PROMPT]...")
    assert "\n인수:\n" in out and "\n옵션:\n" in out
    assert "모델 이름(기본값 llama3.2:latest)." in out  # our own option help
    assert "샘플링 프리셋: precise, chat, creative, code." in out  # a help with a value filled in
    assert "이 도움말을 표시하고 끝냅니다." in out  # click's help option
    assert "--lang ko|en" in out
    assert not [word for word in ENGLISH_WORDS if word in out]


def test_a_group_and_its_commands_list_in_korean(cli):
    code, out, _ = cli("history", "--help", **KO)
    assert code == 0
    assert "\n명령:\n" in out and "대화를 최신순으로 나열합니다." in out
    assert not [word for word in ENGLISH_WORDS if word in out]
    code, out, _ = cli("history", "list", "--help", **KO)
    assert code == 0 and "[기본값: 20]" in out and "[default: 20]" not in out


def test_korean_help_folds_at_the_terminal_width_in_cells(cli):
    from ollama_chat.text import cell_width

    _, out, _ = cli("--help", **KO)
    assert max(cell_width(line) for line in out.splitlines()) <= 80


def test_a_usage_error_is_in_korean(cli):
    code, out, err = cli("--top-k", "abc", **KO)
    assert code == 2
    assert "사용법: ollama-chat [OPTIONS] [PROMPT]..." in err
    assert "도움말은 'ollama-chat -h'" in err
    assert "오류: '--top-k'의 값이 잘못되었습니다: 정수여야 합니다" in err
    assert not [word for word in ENGLISH_WORDS if word in err]


@pytest.mark.parametrize("args, expected", [
    (("history", "search"), "인수 'TEXT'가 없습니다."),
    (("history", "lsit"), "'lsit' 명령이 없습니다. 'list'를 의도하셨나요?"),
    (("--modle", "x"), "없는 옵션입니다: --modle (가능한 옵션:"),
    (("personas", "x"), "예상하지 못한 인수가 더 있습니다(x)"),
    (("--model",), "옵션 '--model'에는 값이 필요합니다."),
])
def test_clicks_own_errors_are_in_korean(cli, args, expected):
    code, _, err = cli(*args, **KO)
    assert code == 2 and expected in err and "Error:" not in err, err


def test_lang_en_wins_over_a_korean_locale(cli):
    english = cli("--help")
    assert cli("--lang", "en", "--help", **KO) == english
    assert cli("--help", "--lang=en", **KO) == english
    code, out, _ = cli("history", "--lang", "en", "--help", **KO)
    assert code == 0 and "Commands:" in out and not HANGUL.search(out)


def test_lang_ko_with_an_english_locale(cli):
    code, out, _ = cli("--lang", "ko", "--help", LANG="en_US.UTF-8")
    assert code == 0 and "\n옵션:\n" in out


def test_the_config_file_language_wins_over_the_locale(cli, tmp_path):
    write_config(tmp_path, 'language = "en"\n')
    assert cli("--help", **KO) == cli("--help")
    write_config(tmp_path, 'language = "ko"\n')
    code, out, _ = cli("--help", LANG="en_US.UTF-8")
    assert code == 0 and "\n옵션:\n" in out


def test_lang_wins_over_the_config_file(cli, tmp_path):
    write_config(tmp_path, 'language = "en"\n')
    code, out, _ = cli("--lang", "ko", "--help")
    assert code == 0 and "\n옵션:\n" in out and "Options:" not in out


@pytest.mark.parametrize("value, shown", [('"fr"', "'fr'"), ("1", "1")])
def test_a_wrong_language_in_the_config_file_is_a_clear_error(cli, tmp_path, value, shown):
    path = write_config(tmp_path, f"language = {value}\n")
    code, out, err = cli("--help")  # help is still shown, in the locale's language
    assert code == 0 and "Options:" in out
    code, _, err = cli("q")
    assert code == 2
    assert f"Error: Config file {path}, line 1: 'language' must be \"ko\" or \"en\", not {shown}" in err


def test_a_wrong_language_in_the_config_file_in_korean(cli, tmp_path):
    path = write_config(tmp_path, 'language = "fr"\n')
    code, _, err = cli("q", **KO)
    assert code == 2
    assert f"설정 파일 {path}, 1번째 줄: 'language'는 \"ko\" 또는 \"en\"이어야 합니다. 'fr'은 안 됩니다" in err


def test_a_wrong_lang_is_the_parsers_error(cli):
    code, _, err = cli("--lang", "fr", "q")
    assert code == 2 and "Error: Invalid value for '--lang': 'fr' is not ko or en." in err
    code, _, err = cli("--lang", "fr", "q", **KO)
    assert code == 2 and "오류: '--lang'의 값이 잘못되었습니다: 'fr'은 ko도 en도 아닙니다." in err


def test_an_english_locale_gives_the_english_help_byte_for_byte(cli):
    english = cli("--help")
    assert english[1].startswith("Usage: ollama-chat [OPTIONS] [PROMPT]...\n\n  Chat with a model served by Ollama or an OpenAI-compatible server.")
    assert "\nOptions:\n" in english[1] and "  -h, --help                 Show this message and exit.\n" in english[1]
    for locale in ("en_US.UTF-8", "C.UTF-8", "ja_JP.UTF-8"):
        assert cli("--help", LANG=locale) == english
    for args in (("history", "--help"), ("history", "list", "--help"), ("models", "pull", "--help")):
        assert cli(*args, LANG="en_US.UTF-8") == cli(*args)


def test_an_english_usage_error_is_unchanged(cli):
    code, _, err = cli("--top-k", "abc", LANG="en_US.UTF-8")
    assert code == 2 and err.startswith("Usage: ollama-chat [OPTIONS] [PROMPT]...\nTry 'ollama-chat -h' for help.\n\nError: ")


def test_a_message_of_ours_is_in_korean(cli, fake_ollama):
    code, _, err = cli("-c", "--resume", "abc", "q", **KO)
    assert code == 2 and "오류:" in err and "Error:" not in err and HANGUL.search(err)
