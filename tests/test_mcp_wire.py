"""The pure parts of the MCP client: JSON-RPC messages, the 2026-07-28 HTTP headers (the spec's own examples),
and a server's tools and results turned into our values, bounded."""

from __future__ import annotations

import pytest

from ollama_chat.tools.mcp import jsonrpc, wire
from ollama_chat.tools.mcp.content import MAX_RESULT, bounded, tool_result, tool_specs


def test_lines_from_a_server_are_classified_and_nothing_raises():
    assert jsonrpc.decode('{"jsonrpc":"2.0","id":3,"result":{"tools":[]}}') == [jsonrpc.Response(3, {"tools": []})]
    (error,) = jsonrpc.decode('{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}')
    assert (error.id, error.error.code, error.error.message) == (3, -32601, "no")
    assert jsonrpc.decode('{"jsonrpc":"2.0","id":"a","method":"ping"}') == [jsonrpc.ServerRequest("a", "ping", {})]
    assert jsonrpc.decode('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}') == \
        [jsonrpc.Notification("notifications/tools/list_changed", {})]
    for junk in ("hello", "[1, 2]", '{"id": 1, "result": {}}', '{"jsonrpc": "2.0", "id": 1, "result": 5}',
                 "[" * 100000, '{"jsonrpc": "2.0", "id": true, "method": "x"}'):
        assert all(isinstance(m, jsonrpc.Garbage) for m in jsonrpc.decode(junk))
    assert jsonrpc.decode("   \n") == []


def test_ping_is_answered_and_other_requests_are_refused_politely():
    assert jsonrpc.reply_to(jsonrpc.ServerRequest(7, "ping")) == {"jsonrpc": "2.0", "id": 7, "result": {}}
    refusal = jsonrpc.reply_to(jsonrpc.ServerRequest(8, "sampling/createMessage"))
    assert refusal["id"] == 8 and refusal["error"]["code"] == -32601
    assert "sampling/createMessage is not supported" in refusal["error"]["message"]


def test_a_message_is_one_line():
    line = jsonrpc.encode(jsonrpc.request(1, "tools/call", {"name": "x", "arguments": {"text": "a\nb\r\n한"}}))
    assert line.count(b"\n") == 1 and line.endswith(b"\n") and "한".encode() in line


def test_modern_requests_carry_the_version_and_capabilities_in_meta():
    params = wire.modern_params("2026-07-28", {"cursor": "c", "_meta": {"progressToken": 5}})
    assert params["cursor"] == "c"
    assert params["_meta"] == {"progressToken": 5, "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                               "io.modelcontextprotocol/clientCapabilities": {},
                               "io.modelcontextprotocol/clientInfo": wire.CLIENT_INFO}


@pytest.mark.parametrize("value,header", [
    ("us-west1", "us-west1"), ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
    (" padded ", "=?base64?IHBhZGRlZCA=?="), ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
    ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
])
def test_header_values_are_encoded_as_the_spec_shows(value, header):
    assert wire.header_value(value) == header


def test_x_mcp_header_parameters_are_mirrored_into_headers():
    schema = {"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"}, "query": {"type": "string"},
        "opts": {"type": "object", "properties": {"dry": {"type": "boolean", "x-mcp-header": "Dry"}}}}}
    annotated = wire.param_headers(schema)
    assert annotated == [("Region", ("region",)), ("Dry", ("opts", "dry"))]
    headers = wire.request_headers("tools/call", {"name": "execute_sql", "arguments": {
        "region": "us-west1", "query": "SELECT 1", "opts": {"dry": True}}}, annotated)
    assert headers == {"Mcp-Method": "tools/call", "Mcp-Name": "execute_sql", "Mcp-Param-Region": "us-west1",
                       "Mcp-Param-Dry": "true"}
    assert wire.request_headers("tools/call", {"name": "x", "arguments": {}}, annotated) == \
        {"Mcp-Method": "tools/call", "Mcp-Name": "x"}


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string", "x-mcp-header": "A"}}}},
    {"type": "object", "properties": {"a": {"type": "number", "x-mcp-header": "A"}}},
    {"type": "object", "properties": {"a": {"type": "string", "x-mcp-header": "Bad Name"}}},
    {"type": "object", "properties": {"a": {"type": "string", "x-mcp-header": "A"},
                                      "b": {"type": "string", "x-mcp-header": "a"}}},
    {"type": "object", "anyOf": [{"properties": {"a": {"type": "string", "x-mcp-header": "A"}}}]},
])
def test_a_tool_whose_header_annotation_breaks_the_rules_is_left_out(schema):
    kept, skipped = tool_specs("s", [{"name": "t", "inputSchema": schema}], network=True)
    assert kept == [] and skipped[0].name == "t" and "x-mcp-header" in skipped[0].reason


def test_tools_become_specs_named_server__tool():
    tools = [{"name": "read", "description": "Reads.", "inputSchema": {"type": "object"},
              "annotations": {"readOnlyHint": True}},
             {"name": "write", "title": "Writes", "inputSchema": {"type": "object", "properties": {"p": {}}}},
             {"name": "read"}, {"name": "has space"}, {"name": "x" * 62}, {"description": "no name"},
             {"name": "list", "inputSchema": {"type": "array"}}]
    kept, skipped = tool_specs("fs", tools, network=False)
    assert [(rt.spec.name, rt.remote_name, rt.spec.read_only_hint, rt.spec.description) for rt in kept] == [
        ("fs__read", "read", True, "Reads."), ("fs__write", "write", None, "Writes")]
    assert kept[0].spec.parameters == {"type": "object", "properties": {}} and kept[0].spec.source == "fs"
    assert [(s.name, s.reason.split(" (")[0]) for s in skipped] == [
        ("read", "the server lists it twice"),
        ("has space", "'fs__has space' is not a name a model can call"),
        ("x" * 62, f"'fs__{'x' * 62}' is not a name a model can call"),
        ("?", "the server described it without a name"),
        ("list", "its input schema is not a JSON Schema object")]


def test_a_long_description_is_cut_and_says_so():
    (kept,), _ = tool_specs("s", [{"name": "t", "description": "d" * 5000}], network=False)
    assert kept.spec.description.startswith("d" * 2000 + "… (3,000 more characters)")


def test_results_keep_text_and_name_what_they_leave_out():
    result = tool_result({"content": [
        {"type": "text", "text": "one"}, {"type": "image", "data": "A" * 4096, "mimeType": "image/png"},
        {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
        {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": "AAAA", "mimeType": "application/zip"}},
        {"type": "resource_link", "uri": "file:///c", "name": "c"}, {"type": "hologram"}, "junk"],
        "isError": True})
    assert result.is_error and result.text == "one\n[file:///a.txt]\ninside"
    assert result.notes == (
        "an image (image/png, 3 KiB) was left out: only text is passed on",
        "the resource file:///b.bin (application/zip, 1 KiB) was left out: only text is passed on",
        "a link to the resource c (file:///c) was left out",
        "content of an unknown kind (hologram) was left out",
        "a content block that could not be read was left out")


def test_structured_content_stands_in_when_there_is_no_text():
    assert tool_result({"content": [], "structuredContent": {"t": 21}}).text == '{"t": 21}'
    assert tool_result({"content": [{"type": "text", "text": "21 degrees"}], "structuredContent": {"t": 21}}).text == \
        "21 degrees"


def test_a_huge_result_is_cut_and_lone_surrogates_are_made_valid():
    result = tool_result({"content": [{"type": "text", "text": "x" * (MAX_RESULT + 10)}]})
    assert len(result.text) == MAX_RESULT and "cut from" in result.notes[0]
    assert tool_result({"content": [{"type": "text", "text": "a\ud800b"}]}).text == "a\ufffdb"
    assert bounded("a\udfffb") == "a\ufffdb"


def test_a_result_that_is_not_a_tool_result_is_refused():
    with pytest.raises(ValueError):
        tool_result({"content": "text"})
