"""The turn as a loop of round trips: a follow-up may ask for another round with what the last brought back
(as tool calls will), the loop ends at an answer, an error or Ctrl+C, and never runs past MAX_ROUNDS."""

from __future__ import annotations

import io

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.context import ContextTracker
from ollama_chat.chat.conversation import Conversation
from ollama_chat.chat.settings import Settings
from ollama_chat.chat.turn import MAX_ROUNDS, fitted_turn
from ollama_chat.types import Message
from ollama_chat.ui.output import make_output


def ask(fake, follow_up):
    backend = OllamaBackend(f"http://{fake.host_port}", timeout=60)
    output = make_output(stdout_is_terminal=False, plain=True, hide_thinking=True, out=io.BytesIO(), err=None)
    return fitted_turn(backend, ContextTracker(), Settings(), Conversation(), Message("user", "질문"), output,
                       follow_up=follow_up)


def test_a_follow_up_sends_one_more_round_with_what_it_added(fake_ollama):
    fake_ollama.reply("먼저 찾아볼게요")
    fake_ollama.reply("다 찾았습니다")
    asked = []

    def follow_up(sent, result):
        asked.append(result.text)
        if len(asked) == 1:
            return [Message("assistant", result.text), Message("user", "찾은 것: 42")]
        return None

    turn = ask(fake_ollama, follow_up)
    assert [len(r.request.messages) for r in turn.rounds] == [1, 3]
    assert [m["content"] for m in fake_ollama.chat_requests[1]["messages"]] == ["질문", "먼저 찾아볼게요", "찾은 것: 42"]
    assert turn.result.text == "다 찾았습니다" and turn.request.messages[-1].content == "질문"
    assert asked == ["먼저 찾아볼게요", "다 찾았습니다"]


def test_the_loop_never_runs_past_its_bound(fake_ollama):
    for i in range(MAX_ROUNDS + 2):
        fake_ollama.reply(f"또 {i}")
    turn = ask(fake_ollama, lambda sent, result: [Message("user", "한 번 더")])
    assert len(turn.rounds) == MAX_ROUNDS == len(fake_ollama.chat_requests)


def test_an_error_ends_the_loop_without_asking_for_more(fake_ollama):
    fake_ollama.reply_status(500, {"error": "model runner crashed"})
    asked = []
    turn = ask(fake_ollama, lambda sent, result: asked.append(result) or [Message("user", "again")])
    assert len(turn.rounds) == 1 and turn.result.error is not None and asked == []
