"""mcp.json: the common `mcpServers` shape, checked on load, every message naming the file and the server (and
the line, for a JSON syntax error); `${VAR}` expanded when a server starts. Pure: no server is started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ollama_chat.tools.mcp import HttpServer, McpConfigError, StdioServer, config_path, load_config, parse_config
from ollama_chat.tools.mcp.config import MissingVariable, expand

PATH = Path("/home/me/.config/ollama-chat/mcp.json")


def parse(servers: dict):
    return parse_config(json.dumps({"mcpServers": servers}), PATH)


def test_the_file_lives_in_our_config_folder():
    assert config_path({"HOME": "/home/me"}) == PATH
    assert config_path({"HOME": "/x", "XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/ollama-chat/mcp.json")


def test_a_claude_desktop_style_file_is_read_as_it_is():
    config = parse({
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "~/notes"],
                  "env": {"DEBUG": "1"}},
        "search": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${KEY}"}},
        "local": {"type": "streamable-http", "url": "http://127.0.0.1:8000/mcp", "timeout": 30,
                  "description": "other clients' keys are ignored", "autoApprove": ["everything"]},
        "off": {"command": "x", "disabled": True},
    })
    assert config.servers == (
        StdioServer("files", "npx", ("-y", "@modelcontextprotocol/server-filesystem", "~/notes"), {"DEBUG": "1"}),
        HttpServer("search", "https://example.com/mcp", {"Authorization": "Bearer ${KEY}"}),
        HttpServer("local", "http://127.0.0.1:8000/mcp", {}, 30.0),
    )
    assert config.disabled == ("off",) and config.problems == ()


def test_no_file_means_no_servers(tmp_path):
    assert load_config(tmp_path / "mcp.json").servers == ()


def test_a_json_syntax_error_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text('{\n  "mcpServers": {\n    "a": {"command": "x",}\n  }\n}\n')
    with pytest.raises(McpConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(f"{path}, line 3, column 26: invalid JSON (")
    assert "move it away" in caught.value.hint


@pytest.mark.parametrize("text", ['[]', '{"servers": {}}', '{"mcpServers": []}'])
def test_a_file_without_an_mcpservers_object_is_refused(text):
    with pytest.raises(McpConfigError) as caught:
        parse_config(text, PATH)
    assert caught.value.message == f'{PATH} has no "mcpServers" object.'


def test_a_folder_where_the_file_should_be_is_a_clear_error(tmp_path):
    (tmp_path / "mcp.json").mkdir()
    with pytest.raises(McpConfigError) as caught:
        load_config(tmp_path / "mcp.json")
    assert caught.value.message.startswith(f"Cannot read {tmp_path / 'mcp.json'}: ")


@pytest.mark.parametrize("name,entry,problem", [
    ("my server", {"command": "x"}, "a server name is 1 to 32 letters, digits, '-' or '_'"),
    ("a__b", {"command": "x"}, "a server name is 1 to 32 letters"),
    ("x" * 33, {"command": "x"}, "a server name is 1 to 32 letters"),
    ("s", "npx", 'the entry must be an object with "command" or "url"'),
    ("s", {"command": "x", "url": "http://h/mcp"}, 'give either "command" (a program to start) or "url"'),
    ("s", {"type": "sse", "url": "http://h/sse"}, "the old HTTP+SSE transport is not supported"),
    ("s", {"type": "websocket", "url": "ws://h"}, "unknown \"type\" 'websocket' (it takes stdio or http)"),
    ("s", {"url": "ftp://h/mcp"}, '"url" must be an http:// or https:// address'),
    ("s", {"args": ["a"]}, 'the entry needs "command"'),
    ("s", {"command": "x", "args": "a b"}, '"args" must be a list of strings'),
    ("s", {"command": "x", "env": {"N": 1}}, '"env" must be an object whose values are strings'),
    ("s", {"url": "http://h/mcp", "headers": ["a"]}, '"headers" must be an object whose values are strings'),
    ("s", {"command": "x", "timeout": 0}, '"timeout" must be a number of seconds from 1 to 3600'),
    ("s", {"command": "x", "args": ["${NOT A NAME}"]}, "\"args\": '${NOT A NAME}' is not a variable"),
])
def test_a_bad_entry_is_skipped_and_named_and_the_others_are_kept(name, entry, problem):
    config = parse({name: entry, "good": {"command": "y"}})
    assert config.names() == ["good"]
    (found,) = config.problems
    assert found.server == name and found.message.startswith(f"{PATH}: server '{name[:40]}")
    assert problem in found.message


def test_variables_are_expanded_as_claude_code_does():
    env = {"KEY": "k1", "EMPTY": ""}
    assert expand("Bearer ${KEY}", env) == "Bearer k1"
    assert expand("${MISSING:-fallback}/${EMPTY:-used}", env) == "fallback/used"
    assert expand("$KEY stays, ${EMPTY} is empty", env) == "$KEY stays,  is empty"
    with pytest.raises(MissingVariable) as caught:
        expand("${NOWHERE}", env)
    assert caught.value.name == "NOWHERE"


def test_korean_users_read_the_problems_in_korean(tmp_path):
    from mcp_helpers import manager

    from ollama_chat import i18n

    i18n.use("ko")
    config = parse({"my server": {"command": "x"}})
    assert config.problems[0].message.startswith(f"{PATH}: 서버 'my server': 서버 이름은 영문자, 숫자")
    with manager(tmp_path, {"gone": {"command": "no-such-program-here"}}) as servers:
        (problem,) = servers.tools().problems
    assert problem.message == "MCP 서버 'gone'를 시작할 수 없습니다: 명령 'no-such-program-here'를 PATH에서 찾을 수 없습니다"
    assert problem.hint.startswith("서버 로그: ")
