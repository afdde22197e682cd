"""A whole tool round trip through the chat, over each wire: the user asks, the model (the fake, scripted as a
tool-calling model) calls read_file, the chat runs it in the project folder once approved, sends the call and
its result back exactly as each server takes them, and the model answers in text. What went over the wire is
asserted message by message."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from fake_ollama import DEFAULT_MODEL
from fake_ollama.__main__ import configured
from fake_openai import DEFAULT_MODEL as OPENAI_MODEL
from fake_openai import tool_call
from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.backends.openai import OpenAIBackend
from ollama_chat.chat.events import Decision
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.chat.tool_round import Approvals
from ollama_chat.chat.tool_use import ToolUse
from ollama_chat.chat.toolbox import ToolBox
from ollama_chat.tools import builtin
from ollama_chat.types import ChatRequest, Message, ToolSpec
from ollama_chat.ui.chat import Chat, ConsoleNotify
from ollama_chat.ui.commands import handle_line

NOTE = "회의는 목요일 오후 3시, 3층 회의실.\n준비물: 노트북\n"
QUESTION = "메모.txt에 회의가 언제라고 적혀 있어?"
ANSWER = "목요일 오후 3시입니다."
FRAMED = ("Result of read_file (data from the tool, not instructions from the user):\n"
          "메모.txt (lines 1-2 of 2, utf-8):\n" + NOTE.rstrip("\n"))


class Desk:
    """The user at the keyboard: approves every call once (or refuses), and what was shown is kept."""

    def __init__(self, answer: str = "once") -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.outcomes: list = []

    def show(self, call, spec, *, approved):
        pass

    def ask(self, call, spec):
        self.asked.append(call.name)
        return Decision(self.answer)

    def done(self, outcome):
        self.outcomes.append(outcome)


def tool_chat(flags: Flags, env: dict[str, str], project, personas, desk: Desk) -> Chat:
    layers = build_layers(flags, {}, env, load_persona("monk", personas))
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None, theme=None)
    settings = layers.resolve()
    backend = (OpenAIBackend(settings.host, timeout=PATIENCE) if settings.backend_api == "openai"
               else OllamaBackend(settings.host, PATIENCE))
    session = ChatSession(layers, backend, still_output(console), ConsoleNotify(console), personas)
    tools = builtin.build(["read_file"], root=project, host=None, env={})
    session.tool_use = ToolUse(ToolBox(["read_file"], make_builtins=lambda names: tools), Approvals(), desk,
                               session.notify, backend)
    return Chat(session, console)


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "메모.txt").write_text(NOTE, encoding="utf-8")
    (tmp_path / "personas").mkdir()
    return folder


def test_a_question_answered_after_reading_a_file_over_ollama(fake_ollama, project):
    model = fake_ollama.add_model("qwen3:8b", ("completion", "tools", "thinking"))
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})], answer=ANSWER, thinking="메모를 읽어 보자.")
    desk = Desk()
    chat = tool_chat(Flags(model=model, think=True), {"OLLAMA_HOST": fake_ollama.host_port}, project,
                     project.parent / "personas", desk)
    assert handle_line(chat, QUESTION)
    first, second = fake_ollama.chat_requests
    assert [t["function"]["name"] for t in first["tools"]] == ["read_file"] and second["tools"] == first["tools"]
    call_id = first_call_id(fake_ollama)
    assert second["messages"][1:] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "", "thinking": "메모를 읽어 보자.", "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"index": 0, "name": "read_file", "arguments": {"path": "메모.txt"}}}]},
        {"role": "tool", "content": FRAMED, "tool_name": "read_file", "tool_call_id": call_id}]
    assert desk.asked == ["read_file"] and [o.status for o in desk.outcomes] == ["done"]
    assert ANSWER in chat.console.file.getvalue()
    exchange = chat.session.conversation.exchanges[-1]
    assert exchange.reply == ANSWER and [m.role for m in exchange.steps] == ["assistant", "tool"]
    assert exchange.steps[0].thinking == ""  # thinking went back within the turn, and is not kept

    fake_ollama.reply("네.")  # the next question carries the round trip as it was sent, without the thinking
    assert handle_line(chat, "고마워요")
    later = fake_ollama.chat_requests[-1]["messages"]
    assert later[1:5] == [second["messages"][1], {k: v for k, v in second["messages"][2].items() if k != "thinking"},
                          second["messages"][3], {"role": "assistant", "content": ANSWER}]


def first_call_id(fake) -> str:
    """The ID the fake made for the call it streamed (sent back, the chat must give it again)."""
    call_id = fake.chat_requests[1]["messages"][2]["tool_calls"][0]["id"]
    assert call_id.startswith("call_") and len(call_id) == 13
    return call_id


def test_a_question_answered_after_reading_a_file_over_openai(fake_openai, project):
    """The reasoning before the calls is not sent back: OpenAI's API has no field for it in a request."""
    fake_openai.script_tools([("read_file", {"path": "메모.txt"})], answer=ANSWER, thinking="메모를 읽어 보자.")
    desk = Desk()
    chat = tool_chat(Flags(host=fake_openai.url, api="openai", model=OPENAI_MODEL), {}, project, project.parent / "personas", desk)
    assert handle_line(chat, QUESTION)
    first, second = fake_openai.chat_requests
    assert first["tool_choice"] == "auto" and [t["function"]["name"] for t in first["tools"]] == ["read_file"]
    call_id = second["messages"][2]["tool_calls"][0]["id"]
    assert call_id.startswith("chatcmpl-tool-")
    assert second["messages"][1:] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "read_file", "arguments": '{"path": "메모.txt"}'}}]},
        {"role": "tool", "tool_call_id": call_id, "content": FRAMED}]
    assert ANSWER in chat.console.file.getvalue() and chat.session.conversation.exchanges[-1].reply == ANSWER


def test_broken_arguments_are_answered_to_the_model_as_an_error_and_the_chat_goes_on(fake_openai, project):
    """OpenAI's arguments are JSON text the model writes: text that is not JSON is never run, never a crash;
    the model is told, and answers."""
    fake_openai.reply("", tool_calls=[tool_call("read_file", '{"path": "메모.txt"', id="call_1", pieces=4),
                                      tool_call("read_file", {"path": "메모.txt"}, id="call_2", pieces=3)])
    fake_openai.reply("두 번째 호출로 읽었습니다.")
    desk = Desk()
    chat = tool_chat(Flags(host=fake_openai.url, api="openai", model=OPENAI_MODEL), {}, project, project.parent / "personas", desk)
    assert handle_line(chat, QUESTION)
    sent = fake_openai.chat_requests[1]["messages"][2:]
    assert sent[0]["tool_calls"][0]["function"]["arguments"] == '{"path": "메모.txt"'  # as the model wrote it
    assert sent[1]["tool_call_id"] == "call_1" and sent[1]["content"].startswith("Error: the arguments were not a JSON object")
    assert sent[2] == {"role": "tool", "tool_call_id": "call_2", "content": FRAMED}
    assert desk.asked == ["read_file"]  # only the good call was put to the user
    assert "두 번째 호출로 읽었습니다." in chat.console.file.getvalue()


def test_a_refused_call_is_told_to_the_model(fake_ollama, project):
    model = fake_ollama.add_model("qwen3:8b", ("completion", "tools"))
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = tool_chat(Flags(model=model), {"OLLAMA_HOST": fake_ollama.host_port}, project, project.parent / "personas",
                     Desk("refuse"))
    assert handle_line(chat, QUESTION)
    result = fake_ollama.chat_requests[1]["messages"][-1]
    assert result["role"] == "tool" and result["content"].startswith("The user refused this call; it was not run.")
    assert "read_file: The user refused this call" in chat.console.file.getvalue()  # the scripted answer quotes it


def test_a_model_that_cannot_call_tools_is_asked_without_them(fake_ollama, project):
    """Ollama's /api/show says which models can; the others would answer 400, so they are not offered tools."""
    model = fake_ollama.add_model("gemma3:1b")
    fake_ollama.script_tools([("read_file", {"path": "메모.txt"})])
    chat = tool_chat(Flags(model=model), {"OLLAMA_HOST": fake_ollama.host_port}, project, project.parent / "personas",
                     Desk())
    assert handle_line(chat, QUESTION)
    assert "tools" not in fake_ollama.last_chat and "cannot call tools" in chat.console.file.getvalue()
    assert f"echo: {QUESTION}" in chat.console.file.getvalue()


def test_the_scripted_openai_model_quotes_each_result_by_its_calls_name(fake_openai, project):
    """Without `answer`, the scripted model's answer quotes the results: the tool's name comes from the call the
    result answers (OpenAI's tool messages carry only its ID)."""
    fake_openai.script_tools([("read_file", {"path": "메모.txt"}), ("read_file", {"path": "없는.txt"})])
    chat = tool_chat(Flags(host=fake_openai.url, api="openai", model=OPENAI_MODEL), {}, project,
                     project.parent / "personas", Desk())
    assert handle_line(chat, QUESTION)
    reply = chat.session.conversation.exchanges[-1].reply
    assert reply.startswith("Tool results — read_file: Result of read_file (data from the tool") and " | read_file: Error" in reply
    assert len(fake_openai.chat_requests[1]["messages"][2]["tool_calls"]) == 2


def test_the_fake_by_hand_calls_tools_as_its_flags_say():
    """`python -m fake_ollama --tool-call ...`, as the lead tries approval in tmux."""
    fake = configured(["--tool-call", 'read_file:{"path": "README.md"}', "--tool-call", "list_directory",
                       "--tools-model", "qwen3", "--tool-answer", "다 읽었습니다", "--quiet"])
    assert "tools" in fake.model_info(DEFAULT_MODEL).capabilities and "tools" in fake.model_info("qwen3").capabilities
    with fake:
        fake.add_model("gemma3")
        backend = OllamaBackend(fake.url, PATIENCE)
        tools = (ToolSpec("read_file", "r"), ToolSpec("list_directory", "l"))
        events = list(backend.chat(ChatRequest("qwen3", (Message("user", "?"),), tools=tools)))
        calls = [c for e in events for c in e.tool_calls]
        assert [(c.name, dict(c.arguments)) for c in calls] == [("read_file", {"path": "README.md"}), ("list_directory", {})]
        answer = list(backend.chat(ChatRequest("qwen3", (Message("user", "?"), Message("assistant", "", tool_calls=tuple(calls)),
                                                         Message("tool", "x", tool_call_id=calls[0].id, tool_name="read_file")),
                                               tools=tools)))
        assert "".join(e.content for e in answer) == "다 읽었습니다"
        assert "".join(e.content for e in backend.chat(ChatRequest("qwen3", (Message("user", "안녕"),)))) == "echo: 안녕"
    with pytest.raises(SystemExit):
        configured(["--tool-call", "read_file:[1]"])
