"""The MCP client over streamable HTTP, against the official SDK's server in subprocesses on loopback: one that
serves both eras (the client finds 2026-07-28), one that refuses the modern revision as a 2025 server does (the
client falls back to `initialize` and a session), and a few HTTP faults from a small server of our own."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
import requests
from mcp_helpers import ctrl_c_when, http_server, manager, size, wait_for

from ollama_chat.tools.mcp import RUNNING


@pytest.fixture(scope="module")
def urls(tmp_path_factory):
    logs = tmp_path_factory.mktemp("http")
    with http_server("http", logs / "modern.err") as modern, http_server("http-legacy", logs / "legacy.err") as legacy:
        yield {"modern": modern, "legacy": legacy, "modern.err": logs / "modern.err", "legacy.err": logs / "legacy.err"}


@pytest.fixture(scope="module")
def servers(urls, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    config = {"web": {"url": urls["modern"], "headers": {"Authorization": "Bearer ${WEB_TOKEN}"}},
              "old": {"type": "http", "url": urls["legacy"], "headers": {"X-Key": "k-123"}}}
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "WEB_TOKEN": "s3cret"}
    with manager(home, config, env) as servers:
        assert servers.tools().problems == ()
        yield servers


def state(servers, name):
    return next(s for s in servers.states() if s.name == name)


def headers_seen(servers, tool):
    return dict(line.split(": ", 1) for line in servers.call(tool, {}).text.splitlines())


def test_each_server_speaks_the_era_it_knows(servers):
    assert (state(servers, "web").protocol, state(servers, "old").protocol) == ("2026-07-28", "2025-11-25")
    assert {state(servers, n).status for n in ("web", "old")} == {RUNNING}


def test_http_tools_are_marked_as_reaching_the_network(servers):
    specs = {t.spec.name: t.spec for t in servers.tools().tools}
    assert specs["web__echo"].network and specs["old__echo"].network and specs["web__echo"].read_only_hint is True


def test_a_modern_post_carries_the_revision_headers_and_ours(servers):
    seen = headers_seen(servers, "web__whoami")
    assert seen["authorization"] == "Bearer s3cret"
    assert seen["accept"] == "application/json, text/event-stream"
    assert (seen["mcp-protocol-version"], seen["mcp-method"], seen["mcp-name"]) == ("2026-07-28", "tools/call", "whoami")
    assert "mcp-session-id" not in seen


def test_a_legacy_post_carries_the_session_and_the_negotiated_version(servers):
    seen = headers_seen(servers, "old__whoami")
    assert seen["x-key"] == "k-123" and seen["mcp-protocol-version"] == "2025-11-25" and seen["mcp-session-id"]


@pytest.mark.parametrize("server", ["web", "old"])
def test_calls_give_text_errors_and_notes(servers, server):
    assert servers.call(f"{server}__echo", {"text": "안녕"}).text == "안녕"
    assert servers.call(f"{server}__fail", {"why": "x"}).is_error
    picture = servers.call(f"{server}__picture", {})
    assert picture.text == "a red dot" and picture.notes[0].startswith("an image (image/png")


@pytest.mark.parametrize("server,log", [("web", "modern.err"), ("old", "legacy.err")])
def test_a_timeout_cancels_the_call_on_the_server(servers, urls, server, log):
    at = size(urls[log])
    result = servers.call(f"{server}__hang", {}, timeout=0.5)
    assert result.is_error and "gave no answer within 0.5 s" in result.text
    wait_for(urls[log], "hang cancelled", after=at)


def test_ctrl_c_during_an_http_call_cancels_it(servers, urls):
    at = size(urls["legacy.err"])
    with ctrl_c_when(urls["legacy.err"], "hang started", after=at), pytest.raises(KeyboardInterrupt):
        servers.call("old__hang", {})
    wait_for(urls["legacy.err"], "hang cancelled", after=at)
    assert servers.call("old__echo", {"text": "on"}).text == "on"


def test_requests_from_a_legacy_http_server_are_answered_over_post(servers):
    assert servers.call("old__ask_client", {}, timeout=20).text.splitlines() == [
        "ping: answered", "roots: MCPError: roots/list is not supported by this client",
        "sampling: MCPError: sampling/createMessage is not supported by this client"]
    assert servers.call("old__chatter", {}).text == "chattered"
    assert "server log (info): working on it" in state(servers, "old").log.read_text()


def test_a_legacy_http_server_that_can_change_its_tools_is_read_before_each_use(servers):
    assert servers.call("old__add_tool", {}).text == "added"
    assert "old__added" in {t.spec.name for t in servers.tools(["old"]).tools}
    assert servers.call("old__added", {}).text == "I am new"


def test_an_expired_session_is_started_anew(servers, urls):
    transport = next(s for s in servers._servers.values() if s.config.name == "old").session.transport
    gone = transport.session_id
    requests.delete(urls["legacy"], headers={"Mcp-Session-Id": gone, "MCP-Protocol-Version": "2025-11-25"}, timeout=5)
    assert servers.call("old__echo", {"text": "again"}).text == "again"
    assert transport.session_id and transport.session_id != gone


def test_closing_ends_the_legacy_session(urls, tmp_path):
    with manager(tmp_path, {"old": {"url": urls["legacy"]}}) as servers:
        servers.tools()
        session_id = next(iter(servers._servers.values())).session.transport.session_id
    answer = requests.post(urls["legacy"], json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=5,
                           headers={"Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25",
                                    "Accept": "application/json, text/event-stream"})
    assert answer.status_code == 404  # the DELETE went through


# -- faults ----------------------------------------------------------------------------------------------------


class Faults(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/moved":
            self.send_response(307)
            self.send_header("Location", "https://elsewhere.example/mcp")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/locked":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/page":
            body = b"<html>Welcome</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def faults():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Faults)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_http_faults_are_reported_by_name(faults, tmp_path):
    closed = tmp_path / "closed"
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = {"moved": {"url": faults + "/moved"}, "locked": {"url": faults + "/locked"},
              "page": {"url": faults + "/page"}, "down": {"url": f"http://127.0.0.1:{port}/mcp"}}
    closed.write_text("")
    with manager(tmp_path, config) as servers:
        problems = {p.server: p.message for p in servers.tools().problems}
    assert problems == {
        "moved": "MCP server 'moved' could not be started: the server redirects to https://elsewhere.example/mcp; "
                 "put that address in mcp.json",
        "locked": "MCP server 'locked' could not be started: the server refused access (HTTP 401); check the headers "
                  "in mcp.json",
        "page": "MCP server 'page' could not be started: it answered with text/html, not JSON or an event stream",
        "down": f"MCP server 'down' could not be started: cannot connect to http://127.0.0.1:{port}/mcp: connection "
                "refused (is the server running?)",
    }
    assert json.dumps(problems)  # plain strings, ready to show
