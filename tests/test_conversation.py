"""History rules as pure functions: capped, trimmed in whole pairs, pinned prefix never trimmed."""

import pytest

from ollama_chat.conversation import (
    Conversation,
    TranscriptError,
    history_from_transcript,
    to_markdown,
    to_transcript,
    trim_history,
)
from ollama_chat.personas import Example


def pairs(n):
    out = []
    for i in range(n):
        out += [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]
    return out


@pytest.mark.parametrize("n, cap, kept", [(3, 20, 6), (11, 20, 20), (11, 5, 4), (2, 2, 2), (5, 1, 0), (0, 4, 0)])
def test_trim_keeps_newest_whole_pairs(n, cap, kept):
    trimmed = trim_history(pairs(n), cap)
    assert len(trimmed) == kept
    assert trimmed == pairs(n)[len(pairs(n)) - kept :]
    assert not trimmed or trimmed[0]["role"] == "user"


def test_pinned_prefix_is_never_trimmed():
    conv = Conversation("스님", (Example("오늘 좋아요", "긍정"),), max_messages=4)
    for i in range(5):
        dropped = conv.add_exchange(f"질문 {i}", f"답 {i}")
    assert dropped == 2 and conv.turns == 2
    sent = conv.request_messages("마지막")
    assert [m["content"] for m in sent] == ["스님", "오늘 좋아요", "긍정", "질문 3", "답 3", "질문 4", "답 4", "마지막"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"]


def test_request_messages_do_not_change_history():
    conv = Conversation("s")
    conv.request_messages("q")
    assert conv.history == []
    assert conv.request_messages("q") == [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]
    assert Conversation("").request_messages("q") == [{"role": "user", "content": "q"}]


def test_undo_and_clear():
    conv = Conversation("s")
    assert conv.undo() is None
    conv.add_exchange("q1", "a1")
    conv.add_exchange("q2", "a2")
    assert conv.undo() == ("q2", "a2") and conv.history == pairs(1)[:0] + [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
    ]
    conv.clear()
    assert conv.history == [] and conv.system == "s"


def test_transcript_round_trip_and_markdown():
    conv = Conversation("당신은 사서입니다.", max_messages=10)
    conv.add_exchange("추천 도서를 알려주세요", "『코스모스』를 권합니다.")
    data = to_transcript(conv, model="m", persona="librarian")
    assert history_from_transcript(data) == ("당신은 사서입니다.", conv.history)
    md = to_markdown(conv, model="m", persona="librarian")
    assert "## You\n\n추천 도서를 알려주세요" in md and "## m\n\n『코스모스』를 권합니다." in md


@pytest.mark.parametrize(
    "data, words",
    [
        ([], "not an ollama-chat transcript"),
        ({"messages": [{"role": "assistant", "content": "x"}]}, "message 1 should be a user"),
        ({"messages": [{"role": "user", "content": "x"}]}, "no answer"),
        ({"messages": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}]}, "message 1"),
    ],
)
def test_bad_transcripts(data, words):
    with pytest.raises(TranscriptError, match=words):
        history_from_transcript(data)
