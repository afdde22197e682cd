"""Tool calls as the servers send them, made whole (`backends.tool_calls`), called directly: arguments decoded or
kept as received, OpenAI's pieces assembled by index however they are split or interleaved, IDs made unique,
names checked, and the bounds that keep a reply's calls from growing memory without limit."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ollama_chat.backends.base import Unsupported
from ollama_chat.backends.openai_tools import tool_pieces_from
from ollama_chat.backends.tool_calls import (
    MAX_ARGUMENTS,
    MAX_CALLS,
    BadToolCall,
    ReplyCalls,
    ToolCallPieces,
    ToolPiece,
    call_from,
    decode_arguments,
    valid_tool_name,
    wire_tool,
)
from ollama_chat.types import ToolCall, ToolSpec


def test_arguments_are_an_object_or_kept_as_they_came():
    assert decode_arguments({"city": "서울"}) == ({"city": "서울"}, None)
    assert decode_arguments('{"city": "서울", "days": 3}') == ({"city": "서울", "days": 3}, None)
    assert decode_arguments("") == ({}, None) and decode_arguments(None) == ({}, None) and decode_arguments("  ") == ({}, None)
    for text in ('{"city": "Seo', "[1, 2]", '"Seoul"', "3", "null", "{'city': 'Seoul'}", "[" * 100_000):
        assert decode_arguments(text) == ({}, text)
    assert decode_arguments([1, 2]) == ({}, "[1, 2]")  # a server that sent another JSON value as the object


def test_lone_surrogates_in_arguments_become_replacement_characters():
    arguments, raw = decode_arguments(json.loads('{"q": "a\\ud800b"}'))
    assert (arguments, raw) == ({"q": "a\ufffdb"}, None)
    assert decode_arguments('{"q": "\\udfff", "r": "\\ud83d\\ude00"}') == ({"q": "\ufffd", "r": "😀"}, None)
    arguments, _ = decode_arguments('{"q": "x\udfffy"}')
    assert arguments == {"q": "x\ufffdy"}


def test_arguments_past_a_mebibyte_fail_the_reply():
    big = '{"text": "' + "가" * (MAX_ARGUMENTS // 3) + '"}'  # 3 bytes a syllable: just over 1 MiB in UTF-8
    with pytest.raises(BadToolCall, match=r"call of 'write' are larger than 1 MiB"):
        decode_arguments(big, "write")
    with pytest.raises(BadToolCall):
        decode_arguments({"text": "a" * MAX_ARGUMENTS})
    assert decode_arguments('{"text": "' + "a" * (MAX_ARGUMENTS - 20) + '"}')[0]["text"].startswith("aaa")


def test_names_are_checked_against_the_pattern_both_apis_take():
    for name in ("read_file", "server__tool", "a", "A-9_" * 16):
        assert valid_tool_name(name)
    for name in ("", "a" * 65, "browser.search", "get weather", "이름", "read_file\n", None, 3):
        assert not valid_tool_name(name)
    assert wire_tool(ToolSpec("read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}})) == {
        "type": "function", "function": {"name": "read_file", "description": "Read a file",
                                         "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}
    with pytest.raises(Unsupported, match="'browser.search', is not one the server takes"):
        wire_tool(ToolSpec("browser.search", "x"))


def test_a_call_of_a_name_off_the_pattern_is_kept_as_the_model_made_it():
    """gpt-oss calls `browser.search` unasked: the chat answers it as an unknown tool, so it must get through."""
    call = call_from("call_1", "browser.search", '{"query": "x"}')
    assert call == ToolCall("call_1", "browser.search", {"query": "x"}) and not valid_tool_name(call.name)


def test_a_name_or_id_that_is_not_a_short_string_fails_the_reply():
    for name, call_id in ((3, "c"), ("n" * 2000, "c"), ("n", ["c"]), ("n", "c" * 2000)):
        with pytest.raises(BadToolCall, match="not a string of at most 1,024 characters"):
            call_from(call_id, name, "{}")


def test_each_call_of_a_reply_gets_an_id_unique_in_it():
    calls = ReplyCalls()
    first = calls.admit([ToolCall("call_a", "x"), ToolCall("", "y"), ToolCall("call_a", "z")])
    later = calls.admit([ToolCall("", "w"), ToolCall("call_a", "v")])
    ids = [c.id for c in (*first, *later)]
    assert ids[0] == "call_a" and len(set(ids)) == 5
    assert all(i.startswith("call_") and len(i) == 13 and i[5:].isalnum() and i[5:].islower() for i in ids[1:])
    assert [c.name for c in (*first, *later)] == ["x", "y", "z", "w", "v"]


def test_a_reply_may_make_at_most_64_calls():
    calls = ReplyCalls()
    calls.admit([ToolCall(f"c{i}", "x") for i in range(MAX_CALLS - 1)])
    calls.admit([ToolCall("last", "x")])
    with pytest.raises(BadToolCall, match="more than 64 tool calls in one reply"):
        calls.admit([ToolCall("one-more", "x")])
    pieces = ToolCallPieces()
    for i in range(MAX_CALLS):
        pieces.add(ToolPiece(i * 1000, name="x"))
    with pytest.raises(BadToolCall, match="more than 64"):
        pieces.add(ToolPiece(10**12, name="x"))  # a far index is one more call, not a list that long


def test_arguments_in_pieces_stop_at_the_bound_as_they_arrive():
    pieces = ToolCallPieces()
    pieces.add(ToolPiece(0, "call_1", "write", '{"text": "'))
    chunk = "가" * 4096  # 12 KiB a piece
    with pytest.raises(BadToolCall, match="call of 'write' are larger than 1 MiB"):
        for _ in range(MAX_ARGUMENTS // len(chunk.encode()) + 2):
            pieces.add(ToolPiece(0, arguments=chunk))


# -- OpenAI's pieces ---------------------------------------------------------------------------------------

CALLS = [("call_0", "get_weather", '{"city": "서울", "unit": "c"}'), ("call_1", "read_file", '{"path": "a b.txt"}'),
         ("call_2", "no_args", "{}"), ("call_3", "broken", '{"path": "unterminated')]


def _taken(entries: list[dict]) -> list[ToolCall]:
    pieces = ToolCallPieces()
    for entry in entries:
        for piece in tool_pieces_from([entry]):
            pieces.add(piece)
    return list(ReplyCalls().admit(pieces.take()))


def expected(calls=CALLS) -> list[ToolCall]:
    return [call_from(i, n, a) for i, n, a in calls]


def test_one_call_split_in_two_at_every_position():
    call_id, name, text = CALLS[0]
    for cut in range(len(text) + 1):
        entries = [{"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}},
                   {"index": 0, "function": {"arguments": text[:cut]}}, {"index": 0, "function": {"arguments": text[cut:]}}]
        assert _taken(entries) == expected(CALLS[:1]), cut


@given(st.data())
def test_several_calls_in_any_pieces_interleaved_in_any_order(data):
    """Each call's pieces in order, the calls' pieces interleaved any way (the first piece of each brings its ID
    and name, and maybe some arguments): the same calls, in index order."""
    queues = []
    for index, (call_id, name, text) in enumerate(CALLS):
        cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
        parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        first = {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": parts[0]}}
        queues.append([first, *({"index": index, "function": {"arguments": p}} for p in parts[1:])])
    entries = []
    while any(queues):
        queue = data.draw(st.sampled_from([q for q in queues if q]))
        entries.append(queue.pop(0))
    assert _taken(entries) == expected()


def test_broken_or_non_object_arguments_are_kept_as_text():
    calls = _taken([{"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x": '}},
                    {"index": 1, "id": "b", "function": {"name": "g", "arguments": "[1]"}},
                    {"index": 2, "id": "c", "function": {"name": "h", "arguments": '{"x": 1}{"y": 2}'}}])
    assert [(c.arguments, c.raw_arguments) for c in calls] == [({}, '{"x": '), ({}, "[1]"), ({}, '{"x": 1}{"y": 2}')]


def test_pieces_without_an_index_follow_their_id_or_name():
    """Servers that leave out `index`: a new ID or a name starts a call, a bare piece goes on with the last."""
    calls = _taken([{"id": "a", "function": {"name": "f", "arguments": '{"x"'}}, {"function": {"arguments": ": 1}"}},
                    {"function": {"name": "g", "arguments": "{}"}}, {"id": "a", "function": {"arguments": ""}}])
    assert calls[0] == ToolCall("a", "f", {"x": 1}) and (calls[1].name, calls[1].arguments) == ("g", {})
    whole = [tool_pieces_from([{"function": {"name": "f", "arguments": "{}"}}, {"function": {"name": "f", "arguments": "{}"}}],
                              whole=True)]
    pieces = ToolCallPieces()
    for piece in whole[0]:
        pieces.add(piece)
    assert len(pieces.take()) == 2  # a whole message's calls are each their own, IDs or not


def test_the_name_and_id_are_taken_once_however_often_they_come():
    calls = _taken([{"index": 0, "id": "a", "function": {"name": "get_weather", "arguments": ""}},
                    {"index": 0, "id": "a", "function": {"name": "get_weather", "arguments": "{}"}}])
    assert calls == [ToolCall("a", "get_weather", {})]


def test_malformed_tool_calls_are_a_clear_error_never_a_crash():
    for value in ("x", {"index": 0}, [3], [{"function": "f"}], [{"function": {"name": 3}}], [{"id": 5, "function": {}}]):
        with pytest.raises(BadToolCall, match="tool call"):
            tool_pieces_from(value)
    assert tool_pieces_from([{"index": 0, "function": {"arguments": {"x": 1}}}]) == (ToolPiece(0, arguments='{"x": 1}'),)
    assert tool_pieces_from([{"index": True}, {"index": -1}]) == (ToolPiece(None), ToolPiece(None))
    with pytest.raises(BadToolCall, match="more than 64"):
        tool_pieces_from([{"index": i} for i in range(MAX_CALLS + 1)])
