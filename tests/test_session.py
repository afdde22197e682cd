"""The chat's rules, driven line by line: commands, history, failures, retries. No terminal needed."""

from __future__ import annotations

import base64
import io
import json

import pytest
from rich.console import Console

from ollama_chat.client import OllamaClient
from ollama_chat.commands import COMMANDS, handle_line, strip_block_quotes
from ollama_chat.personas import load_persona
from ollama_chat.render_terminal import terminal_output
from ollama_chat.session import ChatSession
from ollama_chat.settings import Flags, resolve


@pytest.fixture
def chat(fake_ollama, tmp_path):
    persona = load_persona("monk", tmp_path)
    settings = resolve(Flags(max_messages=4), {}, {"OLLAMA_HOST": fake_ollama.host_port}, persona)
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None, theme=None)
    session = ChatSession(settings, OllamaClient(settings.host, 5), terminal_output(console), console, tmp_path)
    return session


def screen(chat) -> str:
    return chat.console.file.getvalue()


def sent(fake, i=-1):
    return [(m["role"], m["content"]) for m in fake.chat_requests[i]["messages"]]


def test_two_turns_in_korean_carry_the_first_exchange(chat, fake_ollama):
    assert handle_line(chat, "내 이름은 철수야")
    assert handle_line(chat, "내 이름이 뭐였지?")
    assert sent(fake_ollama) == [
        ("system", chat.settings.system),
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
    assert chat.conversation.turns == 2
    assert [m["content"] for m in chat.conversation.history] == ["질문 1", "echo: 질문 1", "질문 2", "echo: 질문 2"]
    assert "oldest 1 exchange(s) were dropped" in screen(chat)
    assert chat.toolbar() == " llama3.2:latest · monk · 2/2 turns kept "


def test_failed_request_leaves_no_dangling_turn(chat, fake_ollama):
    handle_line(chat, "첫 질문")
    fake_ollama.reply(["부분 ", "답변"], error_after=1)
    handle_line(chat, "실패할 질문")
    assert [m["role"] for m in chat.conversation.history] == ["user", "assistant"]
    assert "incomplete" in screen(chat) and "Nothing was added to the history" in screen(chat)
    handle_line(chat, "/retry")
    assert sent(fake_ollama)[-1] == ("user", "실패할 질문")
    assert chat.conversation.history[-2:] == [
        {"role": "user", "content": "실패할 질문"},
        {"role": "assistant", "content": "echo: 실패할 질문"},
    ]


def test_server_down_mid_session(chat, fake_ollama):
    fake_ollama.stop()
    handle_line(chat, "안녕")
    assert "Cannot reach Ollama" in screen(chat) and chat.conversation.history == []


def test_retry_replaces_the_last_exchange(chat, fake_ollama):
    handle_line(chat, "q1")
    fake_ollama.reply("다른 답")
    handle_line(chat, "/retry")
    assert sent(fake_ollama) == [("system", chat.settings.system), ("user", "q1")]
    assert chat.conversation.history[-1]["content"] == "다른 답" and chat.conversation.turns == 1


def test_undo_clear_history(chat, fake_ollama):
    handle_line(chat, "q1")
    handle_line(chat, "q2")
    handle_line(chat, "/history")
    assert "1. you: q1" in screen(chat) and "2. you: q2" in screen(chat)
    handle_line(chat, "/undo")
    assert chat.conversation.turns == 1
    handle_line(chat, "/clear")
    assert chat.conversation.history == [] and chat.conversation.system == chat.settings.system
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
    assert chat.conversation.history == []
    handle_line(chat, "이 영화는 최고였어요!")
    assert [c for _, c in sent(fake_ollama)][1:5] == ["오늘 정말 기분이 좋아요!", "긍정", "비가 와서 우울해요.", "부정"]
    handle_line(chat, "/persona nope")
    assert "no persona named 'nope'" in screen(chat) and chat.settings.persona.name == "sentiment"
    handle_line(chat, "/model mistral")
    assert "ollama pull mistral" in screen(chat) and chat.settings.model == "llama3.2:latest"
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
    assert "Unknown command /frobnicate — /help lists them" in screen(chat)


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
    assert json.loads(js.read_text(encoding="utf-8"))["messages"][1]["content"] == "echo: 추천 도서를 알려주세요"
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
    assert "Cannot load" in screen(chat) and chat.conversation.turns == 1


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
    assert "20.0 tok/s" in screen(chat) or "20 tok/s" in screen(chat)
    handle_line(chat, "/show")
    assert "llama3.2:latest" in screen(chat) and "stats    on" in screen(chat)


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
    assert chat.conversation.history[-1]["content"] == "잘린 답"


def test_load_restores_the_saved_persona(chat, fake_ollama, tmp_path):
    handle_line(chat, "/persona librarian")
    handle_line(chat, "추천 도서를 알려주세요")
    saved = tmp_path / "librarian.json"
    handle_line(chat, f"/save {saved}")
    handle_line(chat, "/persona monk")
    handle_line(chat, f"/load {saved}")
    assert chat.settings.persona.name == "librarian" and chat.toolbar().startswith(" llama3.2:latest · librarian")
    assert "(persona librarian)" in screen(chat)
    handle_line(chat, "그 중에서도 과학 소설을 좋아해요")
    assert sent(fake_ollama)[0][1].startswith("당신은 도서관 사서입니다.")
    assert len(sent(fake_ollama)) == 4


def test_load_and_save_messages_for_wrong_files(chat, tmp_path):
    md = tmp_path / "chat.md"
    md.write_text("# not json")
    handle_line(chat, f"/load {md}")
    assert "it is not JSON. /load takes a transcript saved with /save FILE.json" in screen(chat)
    handle_line(chat, f"/save {tmp_path}")
    assert "is a folder; give a file name" in screen(chat)


def test_missing_model_or_server_is_reported_on_start(chat, fake_ollama):
    chat.check_model()
    assert "Error" not in screen(chat)
    chat.update(model="mistral")
    chat.check_model()
    assert "ollama pull mistral" in screen(chat) and "/model NAME" in screen(chat)
    fake_ollama.stop()
    chat.check_model()
    assert "Cannot reach Ollama" in screen(chat)


def test_thinking_is_shown_but_never_kept(chat, fake_ollama):
    fake_ollama.reply("최종 답", thinking="속으로 한 생각")
    handle_line(chat, "q")
    assert "속으로 한 생각" in screen(chat)
    assert chat.conversation.history[-1] == {"role": "assistant", "content": "최종 답"}
    handle_line(chat, "q2")
    assert all("속으로 한 생각" not in m["content"] for m in fake_ollama.last_chat["messages"])
