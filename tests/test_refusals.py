"""The estimate learns from refusals: a prompt the server refuses as longer than its window is a lower bound on
its true count. Against the fake Ollama with a tokenizer denser than the client's estimate (`dense_tokens`: two
tokens a Hangul syllable), which refuses a prompt over the window as Ollama does when asked with truncate: false."""

from __future__ import annotations

import pytest

from fake_ollama.replies import DEFAULT_WINDOW, dense_tokens, message_tokens
from ollama_chat.estimate import Calibration, base_parts
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import Layers
from ollama_chat.types import Exchange, Message, Stats
from ollama_chat.ui.commands import handle_line

from test_session import make_chat, screen

KOREAN = "데이터베이스에 인덱스를 만들면 검색이 훨씬 빨라집니다. "
ENGLISH = "The index makes lookups much faster but slows down writes a little. "


@pytest.fixture
def dense(fake_ollama):
    fake_ollama.tokens = dense_tokens
    return fake_ollama


def true_tokens(body) -> int:
    """What the fake model counts of a request's prompt."""
    return sum(message_tokens(m, dense_tokens) for m in body["messages"])


def question(i: int) -> str:
    return f"질문 {i}: " + KOREAN * 2 + ENGLISH * 4


def test_a_window_smaller_than_assumed_is_learnt_from_the_refusal_and_the_retry_fits(dense, tmp_path):
    """A resumed chat (its replies counted, as the store keeps them) on a server started with a 2,048-token
    default window (OLLAMA_CONTEXT_LENGTH), which the client cannot know before its first request."""
    dense.default_window = 2048
    chat = make_chat(dense, tmp_path, flags=Flags(max_messages=200))
    model, reply = chat.session.settings.model, ENGLISH * 10
    chat.session.conversation.exchanges.extend(
        Exchange(Message("user", question(i)), reply, model, Stats(eval_count=dense_tokens(reply))) for i in range(20))
    for i in range(6):
        dense.reply(reply)
        handle_line(chat, question(100 + i))
    bodies = dense.chat_requests
    refused = [i for i, body in enumerate(bodies) if true_tokens(body) > 2048]
    assert refused == [0]  # the first, sized for 4,096; the retry fits, and no later turn is refused
    assert bodies[1]["messages"][-1] == bodies[0]["messages"][-1]  # the same question, sent again
    assert len(bodies) == 7 and len(chat.session.conversation.exchanges) == 26  # every question answered once
    for body in bodies[1:]:  # as much as fits, with room for the reply
        assert 0.6 * 2048 <= true_tokens(body) <= 2048 - dense_tokens(reply)
    assert ("refused the prompt: it runs with a 2,048-token context window, not the 4,096 assumed; sent again with"
            in screen(chat))
    assert "Error" not in screen(chat)


def test_a_refused_prompt_raises_the_estimate_and_later_counts_do_not_lower_it_again():
    """Pure: the refused prompt's estimate is raised past the window at once, and replies counted afterwards
    (of a text the estimate gets right) do not undo it, as a blind factor of 1.5 was undone."""
    settings = Layers().resolve()
    conversation = Conversation([Exchange(Message("user", KOREAN * 8), ENGLISH * 4, settings.model) for _ in range(12)])
    context = ContextTracker()
    plan = context.plan(settings, conversation, KOREAN * 8)
    context.refused(settings.model, plan, DEFAULT_WINDOW)
    after = context.plan(settings, conversation, KOREAN * 8)
    assert after.fit.sent < plan.fit.sent  # fewer exchanges now fit
    assert context.calibration(settings.model).estimate(plan.prompt_base) >= DEFAULT_WINDOW + 1 - 4 * plan.messages
    english = ENGLISH * 6
    for _ in range(4):  # replies counted exactly as estimated
        reply_plan = context.plan(settings, conversation, KOREAN * 8)
        context.observe(settings.model, reply_plan, Stats(eval_count=round(sum(base_parts(english)))), english)
    assert context.calibration(settings.model).estimate(plan.prompt_base) >= DEFAULT_WINDOW + 1 - 4 * plan.messages


def test_with_no_counts_at_all_a_refusal_alone_corrects_the_estimate(dense, tmp_path):
    """A server that reports no counts: only the refusal says the estimate is low. After it, as much as fits
    is sent, and the next turns are not refused again."""
    chat = make_chat(dense, tmp_path, flags=Flags(options={"num_ctx": 2048}, max_messages=200))
    for i in range(10):
        dense.reply(ENGLISH * 6, eval_count=0, prompt_eval_count=0)
        handle_line(chat, f"질문 {i}: " + KOREAN * 4)
    bodies = dense.chat_requests
    refused = [i for i, body in enumerate(bodies) if true_tokens(body) > 2048]
    assert len(refused) == 1 and refused[0] + 1 < len(bodies)
    for body in bodies[refused[0] + 1:]:  # the retry and every turn after it: accepted, with room for a reply
        assert 0.6 * 2048 <= true_tokens(body) <= 2048 - dense_tokens(ENGLISH * 6)
    assert len(chat.session.conversation.exchanges) == 10
    assert "refused the prompt as longer than its 2,048-token context window: the estimate was low" in screen(chat)


def test_a_thinking_model_calibrates_from_its_thinking_and_answer_together(dense, tmp_path):
    """Its eval_count counts the thinking too: with the thinking's text it is a count like any other (before,
    such replies taught nothing)."""
    chat = make_chat(dense, tmp_path, flags=Flags(max_messages=200))
    dense.add_model("llama3.2", capabilities=("completion", "thinking"))
    for i in range(3):
        dense.reply(KOREAN * 6, thinking=ENGLISH * 3)
        handle_line(chat, f"질문 {i}")
    cal = chat.session.context.calibration(chat.session.settings.model)
    text = KOREAN * 10
    assert cal.samples >= 3 and cal.tokens(text) == pytest.approx(dense_tokens(text), rel=0.1)
    assert Calibration().tokens(text) < 0.6 * dense_tokens(text)  # uncalibrated: far under
