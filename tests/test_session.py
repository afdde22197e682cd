"""The chat's rules, driven line by line: commands, history, failures, retries. No terminal needed."""

from __future__ import annotations

import base64
import io
import json

import pytest
from rich.console import Console

from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import COMMANDS, handle_line
from ollama_chat.ui.typed import strip_block_quotes
from ollama_chat.ui.chat import ConsoleNotify
from ollama_chat.ui.status import toolbar


def make_chat(fake, folder, flags=Flags(max_messages=4), width=200):
    persona = load_persona("monk", folder)
    layers = build_layers(flags, {}, {"OLLAMA_HOST": fake.host_port}, persona)
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=None, theme=None)
    settings = layers.resolve()
    if settings.backend_api == "openai":
        from ollama_chat.backends.openai import OpenAIBackend

        backend = OpenAIBackend(settings.host, timeout=PATIENCE)
    else:
        backend = OllamaBackend(settings.host, PATIENCE)
    return Chat(ChatSession(layers, backend, still_output(console), ConsoleNotify(console), folder), console)


@pytest.fixture
def chat(fake_ollama, tmp_path):
    return make_chat(fake_ollama, tmp_path)


def screen(chat) -> str:
    return chat.console.file.getvalue()


def log(chat):
    """The conversation's log as (question, reply) pairs."""
    return [(e.question.content, e.reply) for e in chat.session.conversation.exchanges]


def sent(fake, i=-1):
    return [(m["role"], m["content"]) for m in fake.chat_requests[i]["messages"]]


def test_two_turns_in_korean_carry_the_first_exchange(chat, fake_ollama):
    assert handle_line(chat, "내 이름은 철수야")
    assert handle_line(chat, "내 이름이 뭐였지?")
    assert sent(fake_ollama) == [
        ("system", chat.session.settings.system),
        ("user", "내 이름은 철수야"),
        ("assistant", "echo: 내 이름은 철수야"),
        ("user", "내 이름이 뭐였지?"),
    ]
    assert "echo: 내 이름이 뭐였지?" in screen(chat)


@pytest.mark.parametrize("word", ["quit", "exit", "종료", "  QUIT ", "Exit", "/bye", "/exit", "/quit"])
def test_exit_words(chat, word):
    assert handle_line(chat, word) is False


def test_history_is_capped_in_pairs_and_says_so(chat, fake_ollama):
    for i in range(3):
        handle_line(chat, f"질문 {i}")
    assert len(log(chat)) == 3  # the log keeps everything; only the window is capped
    handle_line(chat, "질문 3")
    assert [c for _, c in sent(fake_ollama)[1:]] == ["질문 1", "echo: 질문 1", "질문 2", "echo: 질문 2", "질문 3"]
    assert screen(chat).count("From now on only the last 2 exchanges are sent") == 1
    handle_line(chat, "질문 4")
    assert screen(chat).count("From now on only the last 2 exchanges are sent") == 1  # said once, not every turn
    assert toolbar(chat.session).startswith(" llama3.2:latest · ctx ")
    assert toolbar(chat.session).endswith("/4k · monk · 5 exchanges, last 2 sent · not saved ")


def test_failed_request_leaves_no_dangling_turn(chat, fake_ollama):
    handle_line(chat, "첫 질문")
    fake_ollama.reply(["부분 ", "답변"], error_after=1)
    handle_line(chat, "실패할 질문")
    assert log(chat) == [("첫 질문", "echo: 첫 질문")]
    assert "incomplete" in screen(chat) and "Nothing was added to the history" in screen(chat)
    handle_line(chat, "/retry")
    assert sent(fake_ollama)[-1] == ("user", "실패할 질문")
    assert log(chat) == [("첫 질문", "echo: 첫 질문"), ("실패할 질문", "echo: 실패할 질문")]


def test_server_down_mid_session(chat, fake_ollama):
    fake_ollama.stop()
    handle_line(chat, "안녕")
    assert "Cannot reach Ollama" in screen(chat) and log(chat) == []


def test_retry_replaces_the_last_exchange(chat, fake_ollama):
    handle_line(chat, "q1")
    fake_ollama.reply("다른 답")
    handle_line(chat, "/retry")
    assert sent(fake_ollama) == [("system", chat.session.settings.system), ("user", "q1")]
    assert log(chat) == [("q1", "다른 답")]


def test_undo_clear_history(chat, fake_ollama):
    handle_line(chat, "q1")
    handle_line(chat, "q2")
    handle_line(chat, "/history")
    assert "1. you: q1" in screen(chat) and "2. you: q2" in screen(chat)
    handle_line(chat, "/undo")
    assert log(chat) == [("q1", "echo: q1")]
    handle_line(chat, "/clear")
    assert log(chat) == []
    handle_line(chat, "q3")
    assert sent(fake_ollama)[0][0] == "system"


def test_set_and_unset_reach_the_next_request(chat, fake_ollama):
    handle_line(chat, "/set temperature 0.1")
    handle_line(chat, '/set stop "###" "끝"')
    handle_line(chat, "/set num_ctx 8192")
    handle_line(chat, "q")
    options = fake_ollama.last_chat["options"]
    assert options["temperature"] == 0.1 and options["stop"] == ["###", "끝"] and options["num_ctx"] == 8192
    handle_line(chat, "/unset num_ctx")
    handle_line(chat, "/set top_p 2")
    handle_line(chat, "/set temprature 1")
    handle_line(chat, "q")
    assert "num_ctx" not in fake_ollama.last_chat["options"] and fake_ollama.last_chat["options"]["top_p"] == 0.9
    assert "between 0 and 1" in screen(chat) and "Did you mean 'temperature'" in screen(chat)


def test_system_persona_model_format(chat, fake_ollama):
    handle_line(chat, "/system 당신은 해적입니다.")
    handle_line(chat, "q")
    assert sent(fake_ollama)[0] == ("system", "당신은 해적입니다.")
    handle_line(chat, "/persona sentiment")
    assert log(chat) == []
    handle_line(chat, "이 영화는 최고였어요!")
    assert [c for _, c in sent(fake_ollama)][1:5] == ["오늘 정말 기분이 좋아요!", "긍정", "비가 와서 우울해요.", "부정"]
    handle_line(chat, "/persona nope")
    assert "no persona named 'nope'" in screen(chat) and chat.session.settings.persona.name == "sentiment"
    handle_line(chat, "/model mistral")
    assert "/pull mistral downloads it" in screen(chat) and chat.session.settings.model == "llama3.2:latest"
    fake_ollama.add_model("qwen3:8b")
    handle_line(chat, "/model qwen3:8b")
    handle_line(chat, "/format json")
    handle_line(chat, "q")
    assert fake_ollama.last_chat["model"] == "qwen3:8b" and fake_ollama.last_chat["format"] == "json"
    handle_line(chat, "/format off")
    handle_line(chat, "q")
    assert "format" not in fake_ollama.last_chat


def test_unknown_command(chat):
    handle_line(chat, "/frobnicate now")
    assert "Unknown command /frobnicate. /help lists them" in screen(chat)
    handle_line(chat, "/hisotry")
    assert "Unknown command /hisotry. Did you mean /history?" in screen(chat)


def test_help_lists_every_command(chat):
    handle_line(chat, "/help")
    for name in COMMANDS:
        assert name in screen(chat)


def test_save_and_load(chat, fake_ollama, tmp_path):
    handle_line(chat, "추천 도서를 알려주세요")
    md, js = tmp_path / "chat.md", tmp_path / "chat.json"
    handle_line(chat, f"/save {md}")
    handle_line(chat, f"/save {js}")
    assert "## You\n\n추천 도서를 알려주세요" in md.read_text(encoding="utf-8")
    assert json.loads(js.read_text(encoding="utf-8"))["exchanges"][0]["reply"] == "echo: 추천 도서를 알려주세요"
    assert "추천 도서를 알려주세요" in js.read_text(encoding="utf-8")  # UTF-8, not \\uXXXX escapes
    assert md.stat().st_mode & 0o777 == 0o600
    md.write_text("keep me")
    handle_line(chat, f"/save {md}")
    assert md.read_text() == "keep me" and f"/save! {md}" in screen(chat)
    handle_line(chat, f"/save! {md}")
    assert md.read_text(encoding="utf-8").startswith("# ollama-chat")
    handle_line(chat, "/clear")
    handle_line(chat, f"/load {js}")
    handle_line(chat, "그 중에서도 과학 소설을 좋아해요")
    assert sent(fake_ollama)[1:4] == [
        ("user", "추천 도서를 알려주세요"),
        ("assistant", "echo: 추천 도서를 알려주세요"),
        ("user", "그 중에서도 과학 소설을 좋아해요"),
    ]


def test_unwritable_and_broken_files(chat, tmp_path):
    handle_line(chat, "q")
    handle_line(chat, f"/save {tmp_path}/no/such/dir/x.md")
    assert "Cannot write" in screen(chat) and "Nothing was saved" in screen(chat)
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [{"role": "assistant", "content": "x"}]}')
    handle_line(chat, f"/load {bad}")
    assert "Cannot load" in screen(chat) and len(log(chat)) == 1


def test_copy_uses_osc52(chat, fake_ollama):
    fake_ollama.reply("복사할 답")
    handle_line(chat, "q")
    handle_line(chat, "/copy")
    payload = base64.b64encode("복사할 답".encode()).decode()
    assert f"\x1b]52;c;{payload}\x07" in screen(chat)


def test_show_and_stats(chat, fake_ollama):
    handle_line(chat, "/stats on")
    fake_ollama.reply("답", eval_count=10, eval_duration=500_000_000)
    handle_line(chat, "q")
    assert "10 tokens · 20.0 tok/s" in screen(chat)
    start = len(screen(chat))  # what /show says, not what was on the screen before (the spinner named the model)
    handle_line(chat, "/show")
    shown = screen(chat)[start:]
    assert "llama3.2:latest" in shown and "stats    on" in shown


def test_hostile_text_in_history_is_shown_safely(chat, fake_ollama):
    fake_ollama.reply("clear\x1b[2J title\x1b]2;pwned\x07 done")
    handle_line(chat, "q")
    handle_line(chat, "/history")
    assert "\x1b[2J" not in screen(chat) and "\x1b]2;" not in screen(chat)


def test_triple_quoted_block_is_one_message():
    assert strip_block_quotes('"""\n첫 줄\n둘째 줄\n"""') == "첫 줄\n둘째 줄"
    assert strip_block_quotes("그냥 질문") == "그냥 질문"


def test_cut_answer_is_marked(chat, fake_ollama):
    fake_ollama.reply("잘린 답", done_reason="length")
    handle_line(chat, "q")
    assert "[cut: the answer reached the length limit" in screen(chat)
    assert log(chat)[-1] == ("q", "잘린 답")


def test_load_restores_the_saved_persona(chat, fake_ollama, tmp_path):
    handle_line(chat, "/persona librarian")
    handle_line(chat, "추천 도서를 알려주세요")
    saved = tmp_path / "librarian.json"
    handle_line(chat, f"/save {saved}")
    handle_line(chat, "/persona monk")
    handle_line(chat, f"/load {saved}")
    assert chat.session.settings.persona.name == "librarian" and " · librarian · 1 exchange" in toolbar(chat.session)
    assert "(persona librarian, model llama3.2:latest)" in screen(chat)
    handle_line(chat, "그 중에서도 과학 소설을 좋아해요")
    assert sent(fake_ollama)[0][1].startswith("당신은 도서관 사서입니다.")
    assert len(sent(fake_ollama)) == 4


def test_load_and_save_messages_for_wrong_files(chat, tmp_path):
    md = tmp_path / "chat.md"
    md.write_text("# not json")
    handle_line(chat, f"/load {md}")
    assert "it is not JSON; /load takes a transcript saved with /save FILE.json" in screen(chat)
    handle_line(chat, f"/save {tmp_path}")
    assert "is a folder; give a file name" in screen(chat)


def test_missing_model_or_server_is_reported_on_start(chat, fake_ollama):
    chat.session.check_model()
    assert "Error" not in screen(chat)
    chat.session.set(model="mistral")
    chat.session.check_model()
    assert "/pull mistral downloads it" in screen(chat) and "/model NAME" in screen(chat)  # the chat's words
    fake_ollama.stop()
    chat.session.check_model()
    assert "Cannot reach Ollama" in screen(chat)


def test_thinking_is_shown_but_never_kept(chat, fake_ollama):
    fake_ollama.reply("최종 답", thinking="속으로 한 생각")
    handle_line(chat, "q")
    assert "속으로 한 생각" in screen(chat)
    assert log(chat) == [("q", "최종 답")]
    handle_line(chat, "q2")
    assert all("속으로 한 생각" not in m["content"] for m in fake_ollama.last_chat["messages"])


# -- bugs a new user hit (each failed before the foundation rework) ------------------------------------------


def test_persona_switch_keeps_flag_and_set_options_and_the_flag_model(fake_ollama, tmp_path):
    (tmp_path / "fast.md").write_text('+++\nmodel = "persona-model"\n[options]\ntemperature = 0.9\n+++\n빠르게.', encoding="utf-8")
    fake_ollama.add_model("mine:1b")
    chat = make_chat(fake_ollama, tmp_path, Flags(model="mine:1b", options={"temperature": 0.1}))
    handle_line(chat, "/set top_k 3")
    handle_line(chat, "/persona coder")
    handle_line(chat, "q")
    assert fake_ollama.last_chat["options"]["temperature"] == 0.1 and fake_ollama.last_chat["options"]["top_k"] == 3
    handle_line(chat, "/persona fast")
    handle_line(chat, "q")
    assert fake_ollama.last_chat["model"] == "mine:1b" and fake_ollama.last_chat["options"]["temperature"] == 0.1
    assert sent(fake_ollama)[0] == ("system", "빠르게.")


def test_retry_after_a_failed_repeat_keeps_the_earlier_identical_exchange(chat, fake_ollama):
    handle_line(chat, "q0")
    handle_line(chat, "q")
    fake_ollama.reply_status(503, {"error": "server busy, please try again."})
    handle_line(chat, "q")  # the server is "down"
    assert "HTTP 503" in screen(chat)
    handle_line(chat, "/retry")
    assert log(chat) == [("q0", "echo: q0"), ("q", "echo: q"), ("q", "echo: q")]
    assert [c for _, c in sent(fake_ollama)[1:]] == ["q0", "echo: q0", "q", "echo: q", "q"]


def test_retry_after_undoing_everything_sends_nothing(chat, fake_ollama):
    handle_line(chat, "q1")
    handle_line(chat, "q2")
    handle_line(chat, "/undo")
    handle_line(chat, "/undo")
    before = len(fake_ollama.chat_requests)
    handle_line(chat, "/retry")
    assert len(fake_ollama.chat_requests) == before and log(chat) == []
    assert "Nothing to retry" in screen(chat)


def test_each_reply_is_credited_to_the_model_that_wrote_it(chat, fake_ollama, tmp_path):
    fake_ollama.add_model("qwen3:8b")
    handle_line(chat, "첫 질문")
    handle_line(chat, "/model qwen3:8b")
    handle_line(chat, "둘째 질문")
    handle_line(chat, "/history")
    assert "   llama3.2:latest: echo: 첫 질문" in screen(chat) and "   qwen3:8b: echo: 둘째 질문" in screen(chat)
    handle_line(chat, f"/save {tmp_path / 'c.md'}")
    handle_line(chat, f"/save {tmp_path / 'c.json'}")
    md = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert "## llama3.2:latest\n\necho: 첫 질문" in md and "## qwen3:8b\n\necho: 둘째 질문" in md
    models = [e["model"] for e in json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["exchanges"]]
    assert models == ["llama3.2:latest", "qwen3:8b"]


def test_hangul_persona_names(fake_ollama, tmp_path):
    (tmp_path / "할머니.md").write_text("+++\ndescription = \"다정한 할머니\"\n+++\n당신은 다정한 할머니입니다.", encoding="utf-8")
    chat = make_chat(fake_ollama, tmp_path)
    handle_line(chat, "/personas")
    assert "할머니" in screen(chat) and "다정한 할머니" in screen(chat)
    handle_line(chat, "/persona 할머니")
    handle_line(chat, "안녕하세요")
    assert sent(fake_ollama)[0] == ("system", "당신은 다정한 할머니입니다.")


def test_history_rows_fit_the_width_in_display_cells(fake_ollama, tmp_path):
    from rich.cells import cell_len

    chat = make_chat(fake_ollama, tmp_path, width=40)
    handle_line(chat, "가나다라마바사아자차카타파하 " * 6)
    start = len(screen(chat))
    handle_line(chat, "/history")
    rows = screen(chat)[start:].rstrip("\n").split("\n")
    assert len(rows) == 2, rows  # one row for the question, one for the reply: nothing spilled over
    assert all(cell_len(row) <= 40 for row in rows) and rows[0].endswith("…")


def test_ollama_repl_habits_are_aliases(chat, fake_ollama):
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    handle_line(chat, "/model qwen3:8b")
    for line in ("/set parameter num_ctx 4096", "/set system 당신은 해적입니다.", "/set verbose", "/set format json", "/set think"):
        handle_line(chat, line)
    handle_line(chat, "q")
    body = fake_ollama.last_chat
    assert body["options"]["num_ctx"] == 4096 and body["messages"][0]["content"] == "당신은 해적입니다."
    assert body["format"] == "json" and body["think"] is True and chat.session.settings.verbose
    for line in ("/set quiet", "/set noformat", "/set nothink"):
        handle_line(chat, line)
    handle_line(chat, "q")
    assert "format" not in fake_ollama.last_chat and fake_ollama.last_chat["think"] is False
    assert not chat.session.settings.verbose
    assert "num_ctx, num_predict" not in screen(chat)  # no wall of option names


def test_did_you_mean_for_personas_and_models(chat, fake_ollama):
    fake_ollama.add_model("gemma3:1b")
    handle_line(chat, "/persona mnk")
    assert "Did you mean monk?" in screen(chat)
    handle_line(chat, "/model gemma3")
    assert "Did you mean gemma3:1b?" in screen(chat) and "ollama pull gemma3" not in screen(chat)
    assert chat.session.settings.model == "llama3.2:latest"


def test_save_keeps_the_old_file_when_the_write_fails(chat, fake_ollama, tmp_path, monkeypatch):
    import os

    handle_line(chat, "q")
    target = tmp_path / "keep.md"
    target.write_text("old contents")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    handle_line(chat, f"/save! {target}")
    assert target.read_text() == "old contents" and "No space left on device" in screen(chat)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


def test_save_to_a_mistyped_home_folder_is_a_message(chat, fake_ollama):
    handle_line(chat, "q")
    handle_line(chat, "/save ~Documents/chat.md")
    assert "'~Documents' is no user's home folder here (did you mean ~/Documents/chat.md?)" in screen(chat)


def test_load_never_opens_a_path_named_as_the_persona(chat, fake_ollama, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("비밀 내용", encoding="utf-8")
    saved = tmp_path / "evil.json"
    saved.write_text(json.dumps({"persona": str(secret), "exchanges": [{"question": "q", "reply": "a"}]}), encoding="utf-8")
    handle_line(chat, f"/load {saved}")
    assert chat.session.settings.persona.name == "monk" and "is not available here" in screen(chat)
    handle_line(chat, "다음")
    assert all("비밀 내용" not in m["content"] for m in fake_ollama.last_chat["messages"])


def test_a_model_named_without_its_tag_is_recorded_by_its_full_name(chat, fake_ollama):
    handle_line(chat, "/model llama3.2")
    handle_line(chat, "q")
    assert chat.session.settings.model == "llama3.2:latest" and log(chat) and chat.session.conversation.last.model == "llama3.2:latest"


def test_think_on_a_model_that_cannot_warns_at_once(chat, fake_ollama):
    handle_line(chat, "/think on")
    assert "llama3.2:latest says it cannot think" in screen(chat)
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    handle_line(chat, "/model qwen3:8b")
    start = len(screen(chat))
    handle_line(chat, "/set think high")
    assert "cannot think" not in screen(chat)[start:] and chat.session.settings.think == "high"


def test_history_n_shows_one_exchange_in_full(chat, fake_ollama):
    fake_ollama.reply("# 제목\n\n" + "긴 답변입니다. " * 40)
    handle_line(chat, "첫 질문")
    handle_line(chat, "둘째")
    start = len(screen(chat))
    handle_line(chat, "/history 1")
    from ui_helpers import screen_lines

    shown = " ".join(screen_lines(screen(chat)[start:], 200, 50))  # what a terminal shows in the end
    assert "1. you:" in shown and "첫 질문" in shown and shown.count("긴 답변입니다.") == 40 and "제목" in shown
    handle_line(chat, "/history 9")
    assert "N from 1 to 2" in screen(chat)


def test_hostile_server_texts_are_shown_safely_in_the_repl(chat, fake_ollama):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ollama_chat.ui.completion import ChatCompleter

    evil = "\x1b[2J\x1b]0;pwned\x07"
    name = fake_ollama.add_model(f"evil{evil}:1b")
    fake_ollama.override("/api/show", 500, {"error": f"show failed{evil}"})
    chat.session.check_model()  # what the REPL does when it opens
    handle_line(chat, "/models")
    fake_ollama.clear_overrides()
    handle_line(chat, f"/model {name}")
    fake_ollama.reply_status(500, {"error": f"chat failed{evil}"})
    handle_line(chat, "q")
    shown = screen(chat)
    assert "show failed" in shown and "chat failed" in shown and "evil" in shown
    assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\x07" not in shown
    assert "\x1b" not in toolbar(chat.session)
    menu = ChatCompleter(chat.session).get_completions(Document("/model ev"), CompleteEvent(completion_requested=True))
    assert all("\x1b" not in "".join(text for _, text in c.display) for c in menu)


def test_deeply_nested_transcript_is_a_message(chat, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    handle_line(chat, f"/load {deep}")
    assert "it is not JSON" in screen(chat)
    assert handle_line(chat, "q")  # the REPL goes on


def test_show_says_where_the_model_came_from(chat, fake_ollama):
    handle_line(chat, "/show")
    assert "llama3.2:latest (from the default)" in screen(chat)
    fake_ollama.add_model("qwen3:8b")
    handle_line(chat, "/model qwen3:8b")
    handle_line(chat, "/show")
    assert "qwen3:8b (from /model)" in screen(chat)


def test_show_prints_brackets_as_they_are(chat):
    handle_line(chat, "/show")
    assert "monk [built-in]" in screen(chat)
