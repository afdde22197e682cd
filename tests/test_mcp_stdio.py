"""The MCP client against real stdio servers written with the official SDK (tests/mcp_server.py), in both spec
eras: the SDK's dual-era server (which our probe finds speaking 2026-07-28), the same tools behind the
handshake-only loop every pre-2026 server runs, a paging server, and a small exact fake for the modern corner
cases. The servers are started once for the module; the ones a test breaks are its own."""

from __future__ import annotations

import json
import os
import stat

import pytest
from mcp_helpers import PY, ctrl_c_when, fake, log_of, manager, process_alive, sdk, size, wait_for

from ollama_chat.tools.mcp import FAILED, INVALID, NOT_STARTED, RUNNING


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    config = {"modern": sdk("stdio"), "legacy": sdk("legacy"), "pager": sdk("paging"), "cached": sdk("cached"),
              "fake": fake(), "bad name": {"command": "x"}}
    with manager(home, config, start_timeout=60) as servers:
        toolset = servers.tools()
        assert toolset.problems == ()
        yield servers


def state(servers, name):
    return next(s for s in servers.states() if s.name == name)


def test_each_server_speaks_the_era_it_knows(servers):
    assert (state(servers, "modern").protocol, state(servers, "legacy").protocol) == ("2026-07-28", "2025-11-25")
    assert state(servers, "fake").protocol == "2026-07-28" and state(servers, "fake").server_info == "fake-modern 9"
    assert {state(servers, n).status for n in ("modern", "legacy", "pager", "cached", "fake")} == {RUNNING}
    assert state(servers, "modern").server_info == "test-server 1.2.3"
    bad = state(servers, "bad name")
    assert bad.status == INVALID and "mcp.json" in bad.error and "'bad name'" in bad.error


def test_the_probe_went_first_and_the_legacy_server_got_the_handshake(servers):
    log = log_of(servers, "legacy").read_text()
    assert "speaking MCP 2025-11-25 (legacy)" in log
    assert "speaking MCP 2026-07-28 (modern)" in log_of(servers, "modern").read_text()


@pytest.mark.parametrize("server", ["modern", "legacy"])
def test_tools_are_offered_as_server__tool_with_the_read_only_hint(servers, server):
    specs = {t.spec.name: t.spec for t in servers.tools([server]).tools}
    echo = specs[f"{server}__echo"]
    assert (echo.source, echo.read_only_hint, echo.network) == (server, True, False)
    assert echo.description == "Say the text back." and echo.parameters["properties"]["text"]["type"] == "string"
    assert specs[f"{server}__picture"].read_only_hint is False and specs[f"{server}__fail"].read_only_hint is None
    skipped = state(servers, server).skipped
    assert [s.name for s in skipped] == ["bad name!"] and "64" in skipped[0].reason
    assert not any(" " in name for name in specs)


@pytest.mark.parametrize("server", ["modern", "legacy"])
def test_calls_give_text_errors_and_notes(servers, server):
    assert servers.call(f"{server}__echo", {"text": "안녕"}).text == "안녕"
    failed = servers.call(f"{server}__fail", {"why": "x"})
    assert failed.is_error and "fail" in failed.text
    picture = servers.call(f"{server}__picture", {})
    assert picture.text == "a red dot" and not picture.is_error
    assert picture.notes == ("an image (image/png, 1 KiB) was left out: only text is passed on",)
    mixed = servers.call(f"{server}__mixed", {})
    assert mixed.text == "first\n[file:///notes.md]\n# Notes"
    assert [n.split(" ")[0] for n in mixed.notes] == ["audio", "a"] and "big.bin" in mixed.notes[1]
    assert json.loads(servers.call(f"{server}__structured", {"city": "Seoul"}).text) == {"city": "Seoul", "celsius": 21}


def test_a_tool_that_does_not_exist_is_an_error_result(servers):
    result = servers.call("modern__nothing", {})
    assert result.is_error and "modern__nothing" in result.text


def test_every_page_of_a_long_tool_list_is_read(servers):
    names = [t.spec.name for t in servers.tools(["pager"]).tools]
    assert len(names) == 120 and names[0] == "pager__t000" and names[-1] == "pager__t119"
    log = log_of(servers, "pager").read_text()
    assert all(f"listing from {n}" in log for n in (0, 25, 50, 75, 100))
    assert servers.call("pager__t119", {}).text == "called t119"


@pytest.mark.parametrize("server", ["legacy", "cached"])
def test_a_changed_tool_list_is_read_again_before_the_next_use(servers, server):
    """legacy: notifications/tools/list_changed; cached (2026-07-28, lists fresh for an hour): the change
    notification on our subscriptions/listen request, the only way it could learn of it."""
    assert f"{server}__added" not in {t.spec.name for t in servers.tools([server]).tools}
    at = size(log_of(servers, server))
    assert servers.call(f"{server}__add_tool", {}).text == "added"
    wait_for(log_of(servers, server), "tool added", after=at)
    assert servers.call(f"{server}__added", {}).text == "I am new"  # the call itself re-reads the list
    assert f"{server}__added" in {t.spec.name for t in servers.tools([server]).tools}


def test_a_slow_call_times_out_and_is_cancelled_on_the_wire(servers):
    log = log_of(servers, "legacy")
    at = size(log)
    result = servers.call("legacy__hang", {}, timeout=0.5)
    assert result.is_error and result.text == "MCP server 'legacy' gave no answer within 0.5 s; the call was cancelled"
    wait_for(log, "hang cancelled", after=at)  # the server got notifications/cancelled and stopped
    assert servers.call("legacy__echo", {"text": "still here"}).text == "still here"


def test_ctrl_c_during_a_call_cancels_it_and_goes_up(servers):
    log = log_of(servers, "modern")
    at = size(log)
    with ctrl_c_when(log, "hang started", after=at), pytest.raises(KeyboardInterrupt):
        servers.call("modern__hang", {})
    wait_for(log, "hang cancelled", after=at)
    assert "interrupted by the user" in log.read_bytes()[at:].decode()
    assert servers.call("modern__echo", {"text": "after"}).text == "after"


def test_a_flood_on_stderr_goes_to_the_log_and_blocks_nothing(servers):
    log = log_of(servers, "modern")
    at = size(log)
    assert servers.call("modern__flood", {"kib": 2048}, timeout=60).text == "wrote 2048 KiB"
    wait_for(log, "flood done", after=at)
    assert size(log) - at > 2048 * 1024


def test_lines_that_are_not_json_rpc_are_skipped_and_named_later(servers):
    log = log_of(servers, "legacy")
    at = size(log)
    assert servers.call("legacy__babble", {}).text == "said some nonsense"
    assert "not JSON-RPC on stdout (not JSON): hello, this is not JSON" in log.read_bytes()[at:].decode()
    result = servers.call("legacy__hang", {}, timeout=0.3)
    assert "lines that are not MCP messages on its output, the first: hello, this is not JSON" in result.text


def test_requests_from_the_server_are_answered_or_refused_politely(servers):
    log = log_of(servers, "legacy")
    at = size(log)
    assert servers.call("legacy__ask_client", {}, timeout=20).text.splitlines() == [
        "ping: answered", "roots: MCPError: roots/list is not supported by this client",
        "sampling: MCPError: sampling/createMessage is not supported by this client"]
    assert "refused the server's request 'sampling/createMessage'" in log.read_bytes()[at:].decode()


def test_log_notifications_go_to_the_log_file_not_the_result(servers):
    log = log_of(servers, "legacy")
    at = size(log)
    result = servers.call("legacy__chatter", {})
    assert (result.text, result.notes) == ("chattered", ())
    assert "server log (info): working on it" in log.read_bytes()[at:].decode()


def test_a_modern_server_asking_for_input_gets_a_clear_refusal(servers):
    result = servers.call("fake__ask", {})
    assert result.is_error and "elicitation/create" in result.text


def test_garbage_for_a_result_or_a_tool_list_is_named(servers, tmp_path):
    assert servers.call("fake__nonsense", {}).text == \
        "MCP server 'fake' answered the call with something that is not a tool result."
    with manager(tmp_path, {"lister": fake("bad-list")}) as broken:
        (problem,) = broken.tools().problems
    assert problem.message == "MCP server 'lister' could not be started: its answer to tools/list makes no sense " \
                              "(no list of tools)"


def test_a_modern_retry_with_request_state_only_is_sent_again(servers):
    assert servers.call("fake__busy", {}).text == "done on the second try"


def test_the_log_is_private(servers):
    log = log_of(servers, "modern")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700


# -- servers a test breaks ----------------------------------------------------------------------------------


def test_nothing_starts_before_the_tools_are_wanted(tmp_path):
    servers = manager(tmp_path, {"modern": sdk("stdio")})
    assert [s.status for s in servers.states()] == [NOT_STARTED]
    assert not (tmp_path / ".local" / "state").exists()
    servers.close()


def test_a_crash_mid_call_is_reported_and_the_server_comes_back(tmp_path):
    with manager(tmp_path, {"victim": sdk("stdio"), "fake": fake()}) as servers:
        servers.tools()
        result = servers.call("victim__crash", {})
        assert result.is_error and result.text == \
            "MCP server 'victim' stopped working during the call: it exited with status 3"
        assert state(servers, "victim").status == FAILED and state(servers, "victim").tools == 0
        assert servers.call("fake__busy", {}).text == "done on the second try"  # the other one goes on
        assert servers.call("victim__echo", {"text": "back"}).text == "back"  # started again on its next use
        assert state(servers, "victim").status == RUNNING


def test_a_server_killed_while_idle_shows_as_failed_and_arguments_that_are_not_json_are_refused(tmp_path):
    with manager(tmp_path, {"fake": fake()}) as servers:
        servers.tools()
        odd = servers.call("fake__echo", {"text": object()})
        assert odd.is_error and odd.text.startswith("The call to fake__echo could not be sent: ")
        pid = int(log_of(servers, "fake").read_text().split("started pid ")[1].split(":")[0])
        os.kill(pid, 9)
        while process_alive(pid):
            pass
        assert (state(servers, "fake").status, state(servers, "fake").error) == (FAILED, "it was killed by signal 9")


def test_servers_that_cannot_start_are_reported_by_name(tmp_path):
    config = {"missing": {"command": "no-such-program-here"},
              "secret": {"command": PY, "args": ["-c", "pass"], "env": {"TOKEN": "${NOT_SET_ANYWHERE}"}},
              "chatty": {"command": PY, "args": ["-c", "print('Welcome to my server!')"]},
              "fake": fake()}
    with manager(tmp_path, config, start_timeout=30) as servers:
        toolset = servers.tools()
        problems = {p.server: p.message for p in toolset.problems}
        assert problems == {
            "missing": "MCP server 'missing' could not be started: the command 'no-such-program-here' was not found on PATH",
            "secret": "MCP server 'secret' could not be started: mcp.json uses ${NOT_SET_ANYWHERE}, which is not set "
                      "in the environment",
            "chatty": "MCP server 'chatty' could not be started: it exited with status 0 (it also wrote 1 line that is "
                      "not an MCP message on its output: Welcome to my server!)",
        }
        assert [t.spec.name for t in toolset.tools] == ["fake__ask", "fake__busy", "fake__echo", "fake__nonsense"]
        assert all(p.hint.startswith("Its log: ") for p in toolset.problems)
        assert servers.tools().problems == ()  # said once; /mcp keeps saying it
        assert state(servers, "missing").status == FAILED


def test_a_server_that_never_answers_fails_within_the_start_timeout_and_is_killed(tmp_path):
    pid_file = tmp_path / "pid"
    script = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    with manager(tmp_path, {"silent": {"command": PY, "args": ["-c", script]}}, start_timeout=1) as servers:
        (problem,) = servers.tools().problems
        assert problem.message == "MCP server 'silent' could not be started: no answer within 1 s"
        assert not process_alive(int(pid_file.read_text()))


def test_a_legacy_server_silent_before_initialize_is_found_after_the_probe_wait(tmp_path):
    with manager(tmp_path, {"old": fake("legacy-silent")}) as servers:
        assert servers.tools().problems == ()
        assert state(servers, "old").protocol == "2025-06-18"
        assert servers.call("old__busy", {}).text == "legacy answer"


def test_a_modern_server_of_another_version_is_named_not_fallen_back_from(tmp_path):
    with manager(tmp_path, {"future": fake("future")}) as servers:
        (problem,) = servers.tools().problems
        assert problem.message.startswith("MCP server 'future' could not be started: it speaks MCP 2099-01-01; "
                                          "this client speaks 2026-07-28, 2025-11-25")
        assert "initialize" not in (tmp_path / "record").read_text() if (tmp_path / "record").exists() else True


def test_what_a_modern_request_carries(tmp_path):
    record = tmp_path / "record"
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "MCP_FAKE_RECORD": str(record)}
    with manager(tmp_path, {"fake": {**fake(), "env": {"MCP_FAKE_RECORD": "${MCP_FAKE_RECORD}"}}}, env) as servers:
        servers.call("fake__busy", {}) if servers.tools().tools else None
    sent = [json.loads(line) for line in record.read_text().splitlines()]
    assert [m["method"] for m in sent] == ["server/discover", "tools/list", "tools/call", "tools/call"]
    meta = sent[0]["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    assert meta["io.modelcontextprotocol/clientCapabilities"] == {}
    assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "ollama-chat"
    assert "requestState" not in sent[2]["params"] and sent[3]["params"]["requestState"] == "ticket-1"
    assert sent[2]["id"] != sent[3]["id"]


def test_a_server_gets_a_minimal_environment_and_what_its_config_declares(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "LANG": "ko_KR.UTF-8", "OLLAMA_API_KEY": "secret",
           "GH_TOKEN": "from-our-env"}
    config = {"s": {**sdk("stdio"), "env": {"GITHUB_TOKEN": "${GH_TOKEN}", "MODE": "${MODE:-test}"}}}
    with manager(tmp_path, config, env) as servers:
        seen = json.loads(servers.call("s__env", {}).text)
    assert seen["GITHUB_TOKEN"] == "from-our-env" and seen["MODE"] == "test" and seen["LANG"] == "ko_KR.UTF-8"
    assert seen["HOME"] == str(tmp_path) and "OLLAMA_API_KEY" not in seen and "GH_TOKEN" not in seen


def test_closing_stops_the_server_and_its_children(tmp_path):
    pid_file = tmp_path / "child"
    command = f"sleep 600 & echo $! > {pid_file}; exec {PY} {sdk('stdio')['args'][0]} stdio"
    with manager(tmp_path, {"family": {"command": "sh", "args": ["-c", command]}}) as servers:
        assert servers.tools().problems == ()
        child = int(pid_file.read_text())
        assert process_alive(child)
    assert not process_alive(child)
    assert state(servers, "family").status == "stopped"


def test_ctrl_c_while_servers_start_leaves_them_not_started(tmp_path):
    script = "import time; time.sleep(600)"
    with manager(tmp_path, {"slow": {"command": PY, "args": ["-c", script]}}, start_timeout=60) as servers:
        log = tmp_path / ".local" / "state" / "ollama-chat" / "mcp" / "slow.log"
        with ctrl_c_when(log, "started pid"), pytest.raises(KeyboardInterrupt):
            servers.tools()
        assert state(servers, "slow").status == NOT_STARTED
        pid = int(log.read_text().split("started pid ")[1].split(":")[0])
        assert not process_alive(pid)


def test_the_log_keeps_a_bounded_amount_of_one_run(tmp_path, monkeypatch):
    from ollama_chat.tools.mcp import logfile

    monkeypatch.setattr(logfile, "RUN_LIMIT", 1000)
    log = logfile.ServerLog(tmp_path / "x.log")
    log.open("start")
    log.write(b"y" * 5000)
    log.close()
    text = (tmp_path / "x.log").read_text()
    assert len(text) < 1400 and "more bytes were not kept" in text
