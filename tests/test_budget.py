"""The context window: the pure estimate, calibration, window choice and fit; then the chat against a fake
server that loads windows and cuts over-long prompts as Ollama does, where no request may exceed the window."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_ollama.replies import DEFAULT_WINDOW, PATIENCE, fake_tokens, message_tokens, prompt_tokens
from ollama_chat.chat.budget import OLLAMA_DEFAULT_WINDOW, choose_window, fit, reply_room, short
from ollama_chat.estimate import Calibration, base_parts, base_tokens
from ollama_chat.chat.settings import Flags
from ollama_chat.ui.commands import handle_line

from test_session import make_chat, screen
from ollama_chat.ui.status import toolbar


def test_the_estimate_does_not_undercount_korean():
    korean = "오늘은 날씨가 정말 좋아서 공원에 산책을 다녀왔습니다"
    assert base_tokens(korean) >= sum(1 for ch in korean if "가" <= ch <= "힣")
    assert base_tokens("hello world this is English") == pytest.approx(27 / 4)
    assert base_tokens('{"a": [1, 2]}') > len('{"a": [1, 2]}') / 4  # code and JSON are dense with symbols


def _old_base_tokens(text: str) -> float:
    """base_tokens as it was defined first: a Python loop over the characters (the reference)."""
    symbols = frozenset("{}[]()<>=:;,.'\"`|\\/*+-_#@$%^&!?~\n")

    def wide(code: int) -> bool:
        return (0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
                or 0x3040 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF)

    w = s = 0
    for ch in text:
        if ch in symbols:
            s += 1
        elif wide(ord(ch)):
            w += 1
    return w + s / 2 + (len(text) - w - s) / 4.0


# Every boundary of the wide ranges and its neighbours, the symbols, and text around them.
_EDGES = "".join(chr(c) for a, b in ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F), (0x3040, 0x30FF),
                                      (0x4E00, 0x9FFF), (0x3400, 0x4DBF)) for c in (a - 1, a, a + 1, b - 1, b, b + 1))


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(_EDGES + "{}[]()<>=:;,.'\"`|\\/*+-_#@$%^&!?~\n"),
                                  st.sampled_from("가나다 abc 日本 カナ ㄱㅏ")), max_size=300))
@settings(max_examples=400, deadline=None)
def test_the_fast_estimate_equals_the_character_by_character_one(text):
    assert base_tokens(text) == _old_base_tokens(text)


def test_the_symbols_are_counted_once_each():
    from ollama_chat.estimate import _SYMBOLS

    assert len(set(_SYMBOLS)) == len(_SYMBOLS)
    assert base_tokens(_SYMBOLS) == len(_SYMBOLS) / 2


def test_calibration_converges_on_the_reported_counts():
    cal = Calibration()
    text = "데이터베이스 인덱스를 만들면 검색이 빨라집니다. The index makes queries faster. " * 5
    for _ in range(3):
        cal = cal.observe(base_parts(text), fake_tokens(text))
    assert cal.tokens(text) == pytest.approx(fake_tokens(text), rel=0.02)
    assert Calibration().observe((1, 2), 100).samples == 0  # too short to learn from


@pytest.mark.parametrize("num_ctx, loaded, most, expected", [
    (None, None, None, (OLLAMA_DEFAULT_WINDOW, "default")),
    (None, 8192, 131072, (8192, "loaded")),
    (16384, 8192, 131072, (16384, "num_ctx")),
    (65536, None, 32768, (32768, "model_max")),  # never above what the model supports, and said so
])
def test_which_window_applies(num_ctx, loaded, most, expected):
    window = choose_window(num_ctx, loaded, most)
    assert (window.tokens, window.source) == expected


def test_far_below_the_maximum_is_worth_a_word_unless_num_ctx_was_chosen():
    assert choose_window(None, 4096, 131072).far_below_max
    assert not choose_window(8192, 4096, 131072).far_below_max and not choose_window(None, 4096, 8192).far_below_max


def test_reply_room():
    assert reply_room(4096, None) == 1024 and reply_room(4096, 300) == 300 and reply_room(1024, None) == 256
    assert reply_room(4096, 100_000) == 1024  # a num_predict that leaves no room for a prompt is not honoured


def test_fit_takes_the_newest_whole_exchanges_that_fit():
    assert fit(100, [50, 60, 70], 20, 299, 10).sent == 2  # 100 + 20 + 70 + 60 = 250; +50 is over
    assert fit(100, [50, 60, 70], 20, 1000, 2).sent == 2 and fit(100, [50, 60, 70], 20, 1000, 2).capped
    assert not fit(100, [50], 250, 300, 10).fits
    assert fit(100, [], 20, 120, 10).fits and fit(100, [], 20, 120, 10).tokens == 120


def test_short_counts():
    assert [short(n) for n in (950, 1843, 4096, 131072, 8000)] == ["950", "1.8k", "4k", "128k", "8k"]


def test_the_fake_cuts_oldest_first_keeping_system_and_last():
    messages = [{"role": "system", "content": "s"}] + [{"role": "user", "content": "단어 " * 100}] * 3
    total = sum(message_tokens(m) for m in messages)
    kept, cut = prompt_tokens(messages, total - 1)
    assert cut and kept == total - message_tokens(messages[1])
    assert prompt_tokens(messages, DEFAULT_WINDOW) == (total, False)


def long_chat(chat, fake, turns, size=600):
    for i in range(turns):
        fake.reply(f"답 {i}: " + "자세한 설명입니다. " * (size // 10))
        handle_line(chat, f"질문 {i}: " + "긴 질문입니다 " * (size // 8))


@pytest.mark.parametrize("options", [{}, {"num_ctx": 1024}], ids=["nothing set", "num_ctx=1024"])
def test_a_long_chat_never_sends_more_than_the_window(fake_ollama, tmp_path, options):
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(options=options, max_messages=200))
    window = options.get("num_ctx", DEFAULT_WINDOW)
    long_chat(chat, fake_ollama, 14 if options else 20)
    assert fake_ollama.cut_prompts == []  # the server never had to cut a prompt
    for body in fake_ollama.chat_requests:
        assert sum(message_tokens(m) for m in body["messages"]) <= window
        assert body["truncate"] is False
    last = fake_ollama.chat_requests[-1]["messages"]
    assert last[0]["role"] == "system" and last[-1]["content"].startswith("질문 ")  # the persona and the question stay
    assert len(last) < 2 * len(chat.session.conversation.exchanges)  # older exchanges were left out
    assert screen(chat).count("no longer fit") == 1  # said once
    assert "ctx " in toolbar(chat.session) and f"/{short(window)}" in toolbar(chat.session)
    handle_line(chat, "/history")
    assert "not sent with new questions (too long for the" in screen(chat)


def test_a_question_that_cannot_fit_is_not_sent(fake_ollama, tmp_path):
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(options={"num_ctx": 512}))
    handle_line(chat, "아주 긴 질문 " * 400)
    assert fake_ollama.chat_requests == [] and "Not sent" in screen(chat) and "/set num_ctx" in screen(chat)
    assert chat.session.conversation.exchanges == []


def test_the_loaded_window_is_learnt_and_a_small_one_pointed_out(fake_ollama, tmp_path):
    fake_ollama.add_model("llama3.2:latest", context_length=131072)
    chat = make_chat(fake_ollama, tmp_path)
    chat.session.check_model()
    handle_line(chat, "안녕하세요")
    assert "runs with a 4,096-token context window but supports 131,072: /set num_ctx 16384" in screen(chat)
    handle_line(chat, "/set num_ctx 8192")
    handle_line(chat, "다시")
    assert fake_ollama.last_chat["options"]["num_ctx"] == 8192
    handle_line(chat, "/show")
    assert "8,192 tokens (num_ctx, set by /set; the model supports up to 131,072)" in screen(chat)
    assert screen(chat).count("runs with a") == 1


def test_compact_sends_a_summary_in_place_of_what_no_longer_fits(fake_ollama, tmp_path):
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(options={"num_ctx": 1024}, max_messages=200))
    handle_line(chat, "/compact")
    assert "nothing to compact" in screen(chat) and fake_ollama.chat_requests == []
    long_chat(chat, fake_ollama, 8)
    before = len(fake_ollama.chat_requests)
    fake_ollama.reply("철수는 서울에 살고 파이썬을 배운다.")
    handle_line(chat, "/compact")
    summary_request = fake_ollama.chat_requests[before]
    assert summary_request["messages"][0]["content"].startswith("Summarise the conversation")
    assert "질문 0:" in summary_request["messages"][1]["content"]  # the oldest exchange is summarised
    conversation = chat.session.conversation
    assert conversation.summary == "철수는 서울에 살고 파이썬을 배운다." and conversation.summarized > 0
    handle_line(chat, "다음 질문")
    sent = fake_ollama.last_chat["messages"]
    assert sent[1]["role"] == "system" and sent[1]["content"].endswith("철수는 서울에 살고 파이썬을 배운다.")
    assert sum(message_tokens(m) for m in sent) <= 1024 and fake_ollama.cut_prompts == []
    assert len(conversation.exchanges) == 9  # nothing was deleted
    handle_line(chat, "/history")
    assert "sent as a summary (/compact)" in screen(chat)


def test_the_fake_reports_only_what_it_evaluated_as_ollama_does(fake_ollama):
    import requests

    def ask(messages):
        body = {"model": "llama3.2", "messages": messages, "stream": False}
        return requests.post(f"{fake_ollama.url}/api/chat", json=body, timeout=PATIENCE).json()

    first = [{"role": "system", "content": "스님"}, {"role": "user", "content": "마음이 어지러워요"}]
    assert ask(first)["prompt_eval_count"] == sum(message_tokens(m) for m in first)
    follow = [*first, {"role": "assistant", "content": "echo: 마음이 어지러워요"}, {"role": "user", "content": "왜요"}]
    assert ask(follow)["prompt_eval_count"] == sum(message_tokens(m) for m in follow[2:])  # the prefix was cached
    assert "prompt_eval_count" not in ask(follow)  # all of it cached: omitted


def test_calibration_converges_within_10_percent_after_three_replies(fake_ollama, tmp_path):
    """Words the fake model's tokenizer splits in two (five letters: 2 tokens) where the first estimate says
    1.5: the dangerous direction, an under-estimate, corrected by what the server counts."""
    chat = make_chat(fake_ollama, tmp_path, flags=Flags(max_messages=200))
    replies = ["apple grape lemon melon peach mango guava " * 8, "table chair couch shelf stool bench " * 8,
               "river ocean creek delta shore coast " * 8]
    held_out = "tiger zebra camel horse sheep goose eagle " * 10
    assert Calibration().tokens(held_out) < 0.9 * fake_tokens(held_out)  # uncalibrated: more than 10 % under
    for i, reply in enumerate(replies):
        fake_ollama.reply(reply)
        handle_line(chat, f"질문 {i}")
    cal = chat.session.context.calibration("llama3.2:latest")
    assert cal.samples >= 3 and cal.tokens(held_out) == pytest.approx(fake_tokens(held_out), rel=0.10)


def test_the_summary_is_stored_resumed_and_left_out_when_it_no_longer_fits(fake_ollama, tmp_path):
    from ollama_chat.chat.recorder import Recorder
    from ollama_chat.chat.resume import from_store
    from ollama_chat.store.sqlite import Store

    with Store.open(tmp_path / "c.db") as store:
        chat = make_chat(fake_ollama, tmp_path, flags=Flags(options={"num_ctx": 1024}, max_messages=200))
        chat.session.log.recorder = Recorder(store, lambda text, hint: None)
        long_chat(chat, fake_ollama, 6)
        fake_ollama.reply("요약: 철수는 긴 질문을 여러 번 했다. " * 12)
        handle_line(chat, "/compact")
        summarized = chat.session.conversation.summarized
        assert "Summarising exchange" in screen(chat) and summarized > 0
        resumed = from_store(store.load(store.latest()))
        assert resumed.transcript.summary.startswith("요약:") and resumed.transcript.summarized == summarized

        again = make_chat(fake_ollama, tmp_path, flags=Flags(options={"num_ctx": 1024}, max_messages=200))
        again.session.resume(resumed)
        handle_line(again, "이어서")
        assert fake_ollama.last_chat["messages"][1]["content"].endswith(resumed.transcript.summary)
        handle_line(again, "/set num_ctx 512")
        handle_line(again, "짧은 질문")
        assert "The /compact summary no longer fits the 512-token context and is left out" in screen(again)
        assert not any(m["content"].startswith("A summary") for m in fake_ollama.last_chat["messages"])
        handle_line(again, "아주 긴 질문 " * 200)
        assert "the question (about" in screen(again) and "with the system prompt and examples (" in screen(again)
