"""Saved transcripts: each reply with the model that wrote it, Hangul kept readable, version 1 still loads."""

import json

import pytest

from ollama_chat.store.transcript import TranscriptError, from_json, to_json, to_markdown
from ollama_chat.types import Exchange, Message

LOG = (
    Exchange(Message("user", "추천 도서를 알려주세요"), "『코스모스』를 권합니다.", "llama3.2:latest"),
    Exchange(Message("user", "하나 더요"), "『이기적 유전자』도 좋아요.", "qwen3:8b", interrupted=True),
)


def test_json_round_trip_keeps_each_model_and_stays_readable():
    text = to_json(LOG, model="qwen3:8b", persona="librarian", system="당신은 사서입니다.")
    assert "추천 도서를 알려주세요" in text and "\\u" not in text  # UTF-8, not \\uXXXX escapes
    back = from_json(text)
    assert back.exchanges == LOG
    assert (back.system, back.persona, back.model) == ("당신은 사서입니다.", "librarian", "qwen3:8b")


def test_markdown_credits_each_reply_to_its_model():
    md = to_markdown(LOG, model="qwen3:8b", persona="librarian", system="s")
    assert "## You\n\n추천 도서를 알려주세요\n\n## llama3.2:latest\n\n『코스모스』를 권합니다." in md
    assert "## qwen3:8b (interrupted)\n\n『이기적 유전자』도 좋아요." in md


def test_version_1_files_load():
    v1 = {"version": 1, "model": "m", "persona": "p", "system": "s",
          "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    assert from_json(json.dumps(v1)).exchanges == (Exchange(Message("user", "q"), "a", "m"),)


@pytest.mark.parametrize(
    "text, words",
    [
        ("[]", "not an ollama-chat transcript"),
        ("{}", "not an ollama-chat transcript"),
        ("not json", "not JSON"),
        ('{"messages": [{"role": "assistant", "content": "x"}]}', "message 1 should be a user"),
        ('{"messages": [{"role": "user", "content": "x"}]}', "no answer"),
        ('{"exchanges": [{"question": "q"}]}', "exchange 1 should have"),
    ],
)
def test_bad_transcripts(text, words):
    with pytest.raises(TranscriptError, match=words):
        from_json(text)


@pytest.mark.parametrize(
    "reply, closed",
    [
        ("```python\nx = 1", "```python\nx = 1\n```"),
        ("~~~~\ncode\n~~~", "~~~~\ncode\n~~~\n~~~~"),
        ("```\ndone\n```\n", "```\ndone\n```\n"),
        ("`inline` and ```not a fence```", "`inline` and ```not a fence```"),
        ("    ```indented code, not a fence", "    ```indented code, not a fence"),
    ],
)
def test_an_open_code_fence_is_closed(reply, closed):
    from ollama_chat.store.transcript import close_fences

    assert close_fences(reply) == closed


def test_markdown_after_an_interrupted_code_block_stays_text():
    log = (Exchange(Message("user", "코드"), "```python\nprint(1", "m", interrupted=True), Exchange(Message("user", "다음"), "답", "m"))
    md = to_markdown(log, model="m", persona="p", system="")
    assert "print(1\n```\n\n## You\n\n다음" in md
