"""The conversation as pure functions: the full log is kept; what is sent is a window of whole exchanges
after the pinned prefix, which is never trimmed."""

import pytest

from ollama_chat.chat.conversation import Conversation, pinned_messages, window
from ollama_chat.chat.personas import Example
from ollama_chat.types import Exchange, Message


def ex(i, model="m"):
    return Exchange(Message("user", f"q{i}"), f"a{i}", model)


@pytest.mark.parametrize("n, cap, sent", [(3, 20, 3), (11, 20, 10), (11, 5, 2), (2, 2, 1), (5, 1, 0), (0, 4, 0)])
def test_window_is_the_newest_whole_exchanges(n, cap, sent):
    log = [ex(i) for i in range(n)]
    assert list(window(log, cap)) == log[n - sent :]


def test_pinned_prefix_is_never_trimmed_and_the_log_is_kept_whole():
    conv = Conversation()
    pinned = pinned_messages("스님", (Example("오늘 좋아요", "긍정"),))
    for i in range(5):
        conv.add(Exchange(Message("user", f"질문 {i}"), f"답 {i}", "m"))
    assert len(conv.exchanges) == 5  # nothing is cut from the log
    sent = conv.request_messages(pinned, Message("user", "마지막"), 2)
    assert [m.content for m in sent] == ["스님", "오늘 좋아요", "긍정", "질문 3", "답 3", "질문 4", "답 4", "마지막"]
    assert [m.role for m in sent] == ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"]


def test_no_system_prompt_means_no_system_message():
    assert Conversation().request_messages(pinned_messages("", ()), Message("user", "q"), 20) == (Message("user", "q"),)


def test_undo_and_clear():
    conv = Conversation()
    assert conv.undo() is None and conv.last is None
    first, second = ex(1), ex(2)
    conv.add(first)
    conv.add(second)
    assert conv.undo() is second and conv.exchanges == [first] and conv.last is first
    conv.clear()
    assert conv.exchanges == []


def test_a_summary_is_sent_in_place_of_the_exchanges_it_covers():
    conv = Conversation([ex(i) for i in range(5)])
    conv.compact("앞의 대화 요약", 3)
    assert list(conv.eligible) == conv.exchanges[3:]
    sent = conv.request_messages(pinned_messages("s", ()), Message("user", "q"), 5)
    assert [m.content for m in sent][2:] == ["q3", "a3", "q4", "a4", "q"]
    assert sent[1].role == "system" and sent[1].content.endswith("앞의 대화 요약")
    assert conv.undo() and conv.undo() and conv.summarized == 3 and conv.undo() and conv.summarized == 2
    conv.clear()
    assert (conv.summary, conv.summarized) == ("", 0)
