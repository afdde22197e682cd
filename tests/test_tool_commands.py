"""/tools and /mcp in the chat (in-process, against the fake server), and the tool settings: --tools, --yes-tools,
the config's tools/mcp/yes_tools and a persona's tools (which may name tools, never approve them)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from rich.console import Console

from fake_ollama import DEFAULT_MODEL
from helpers import PATIENCE
from mcp_helpers import SERVER
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.configfile import parse_config
from ollama_chat.chat.personas import Persona, PersonaError, parse_persona
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.chat.toolbox import ToolPlace
from ollama_chat.errors import ChatError, UsageError
from ollama_chat.tools.names import allowed, chosen
from ollama_chat.ui.chat import Chat, ConsoleNotify
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.tool_desk import ConsoleScreen, ToolDesk

PERSONA = Persona(name="assistant", system="")


@pytest.fixture
def home(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.txt").write_text("hello \x1b[2J there\n", encoding="utf-8")
    return tmp_path


def make_chat(home, fake, flags: Flags = Flags(), answer: str = "once") -> Chat:
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / "state"),
           "PATH": "/usr/bin:/bin"}
    layers = build_layers(flags, {}, {"OLLAMA_HOST": fake.host_port}, PERSONA)
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None, theme=None)
    desk = ToolDesk(ConsoleScreen(console), lambda ask: (ask(), answer)[1])
    session = ChatSession(layers, OllamaBackend(layers.resolve().host, PATIENCE), still_output(console),
                          ConsoleNotify(console), home / "personas", desk=desk,
                          place=ToolPlace(str(home / "project"), None, env))
    return Chat(session, console)


def run(chat: Chat, line: str) -> str:
    """A line typed at the prompt, as the REPL runs it (a ChatError is said, and the chat goes on)."""
    out = chat.console.file
    start = out.tell()
    try:
        handle_line(chat, line)
    except ChatError as e:
        chat.session.notify.error(e)
    out.seek(start)
    return out.read()


def test_tools_lists_them_turns_them_on_and_off(home, fake_ollama):
    chat = make_chat(home, fake_ollama)
    shown = run(chat, "/tools")
    assert "○ read_file" in shown and "○ web_search" in shown and "Nothing runs without asking" in shown
    assert "Tools on: read_file, list_directory, search_files." in run(chat, "/tools on read")
    assert "● read_file" in run(chat, "/tools list") and chat.session.settings.tools == ("read_file", "list_directory",
                                                                                         "search_files")
    assert "Tools on: read_file, search_files." in run(chat, "/tools off list_directory")
    assert "Tools are off" in run(chat, "/tools off") and chat.session.settings.tools == ()
    assert "Tools on: read_file, search_files." in run(chat, "/tools on")  # as they were before /tools off
    shown = run(chat, "/tools on shell")
    assert "There is no built-in tool, group or MCP server named 'shell'." in shown and "Groups: read, web" in shown
    assert "/tools takes on [NAMES]" in run(chat, "/tools maybe")
    assert "read_file, search_files" in run(chat, "/show")


def test_a_question_with_tools_on_and_tools_last_shows_the_whole_result_sanitised(home, fake_ollama):
    fake_ollama.add_model(DEFAULT_MODEL, ("completion", "tools"))
    fake_ollama.script_tools([("read_file", {"path": "a.txt"})])
    chat = make_chat(home, fake_ollama, Flags(tools=("read",)))
    shown = run(chat, "무엇이 있나요?")
    assert "Tool call: read_file (built-in)" in shown and '✓ read_file {"path":"a.txt"} · ok' in shown
    last = run(chat, "/tools last")
    assert "hello ␛[2J there" in last and "\x1b[2J" not in last
    assert "Run without asking" not in run(chat, "/tools")


def test_always_is_remembered_and_listed(home, fake_ollama):
    fake_ollama.add_model(DEFAULT_MODEL, ("completion", "tools"))
    fake_ollama.script_tools([("read_file", {"path": "a.txt"})])
    chat = make_chat(home, fake_ollama, Flags(tools=("read",), yes_tools=("web",)), answer="always")
    run(chat, "무엇이 있나요?")
    assert "Run without asking: read_file, web_fetch, web_search" in run(chat, "/tools")


def test_mcp_lists_servers_without_starting_them_and_tools_on_takes_a_server(home, fake_ollama):
    chat = make_chat(home, fake_ollama)
    shown = run(chat, "/mcp")
    assert "No MCP servers are configured. Put them in " + str(home / ".config" / "ollama-chat" / "mcp.json") in shown
    config = home / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "mcp.json").write_text(json.dumps({"mcpServers": {"srv": {"command": sys.executable, "args": [SERVER, "stdio"]}}}))
    assert "srv · stdio · not started · not in use (/tools on srv)" in run(chat, "/mcp")  # read again, nothing started
    assert "Tools on: srv (MCP server)." in run(chat, "/tools on srv")
    assert "srv · stdio · not started · in use" in run(chat, "/mcp")
    assert "There is no MCP server named 'nope'" in run(chat, "/mcp restart nope")


def test_a_broken_mcp_json_is_named_and_the_chat_goes_on(home, fake_ollama):
    config = home / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "mcp.json").write_text("{not json")
    chat = make_chat(home, fake_ollama)
    shown = run(chat, "/mcp")
    assert "Error:" in shown and "mcp.json" in shown
    assert "echo: 안녕" in run(chat, "안녕")


def test_an_mcp_server_missing_from_mcp_json_is_said_and_the_other_tools_go_on(home, fake_ollama):
    fake_ollama.add_model(DEFAULT_MODEL, ("completion", "tools"))
    fake_ollama.script_tools([("read_file", {"path": "a.txt"})])
    chat = make_chat(home, fake_ollama, Flags(tools=("read",), mcp=("ghost",)))
    shown = run(chat, "무엇이 있나요?")
    assert "There is no MCP server named 'ghost'" in shown and "✓ read_file" in shown


# -- settings -------------------------------------------------------------------------------------------------


def test_names_groups_off_and_allow_lists():
    assert chosen(["read,web_fetch"]) == ("read_file", "list_directory", "search_files", "web_fetch")
    assert chosen(["off"]) == ()
    assert allowed(["read", "fs", "gh__*", "gh__search_code"]) == (
        "read_file", "list_directory", "search_files", "fs__*", "gh__*", "gh__search_code")
    with pytest.raises(UsageError, match="cannot name a tool"):
        allowed(["../etc"])


def test_allow_lists_add_up_and_flags_choose_the_tools():
    config = {"tools": ["web"], "yes_tools": ["read_file"], "mcp": ["fs"]}
    s = build_layers(Flags(tools=("read",), yes_tools=("web_search",)), config, {}, PERSONA).resolve()
    assert s.tools == ("read_file", "list_directory", "search_files") and s.mcp == ("fs",)
    assert s.yes_tools == ("read_file", "web_search")
    assert build_layers(Flags(tools=("off",)), config, {}, PERSONA).resolve().tools == ()
    with pytest.raises(UsageError, match="--tools: There is no built-in tool or group named 'shel'"):
        build_layers(Flags(tools=("shel",)), {}, {}, PERSONA)


def test_a_persona_may_name_tools_but_never_approve_them():
    persona = parse_persona('+++\ntools = ["web"]\nmcp = ["fs"]\n+++\n검색 도우미', "searcher")
    s = build_layers(Flags(), {}, {}, persona).resolve()
    assert s.tools == ("web_search", "web_fetch") and s.mcp == ("fs",) and s.yes_tools == ()
    with pytest.raises(PersonaError, match="unknown header key 'yes_tools'"):
        parse_persona('+++\nyes_tools = ["web"]\n+++\nx', "sneaky")
    with pytest.raises(PersonaError, match="'tools' must be a list of names"):
        parse_persona('+++\ntools = "web"\n+++\nx', "wrong")


def test_the_config_file_checks_its_tool_keys_with_the_line():
    assert parse_config('tools = ["read"]\nyes_tools = ["read_file"]\nmcp = ["fs"]\n', "c.toml")["tools"] == ["read"]
    with pytest.raises(UsageError, match=r"c.toml, line 2: 'yes_tools' must be a list of tools"):
        parse_config('model = "x"\nyes_tools = "read_file"\n', "c.toml")
    with pytest.raises(UsageError, match="'tools' must be a list of built-in tools"):
        parse_config("tools = [1]\n", "c.toml")
