"""Tool calls over both wires, each direction, against the fake servers on loopback: the tools offered, the calls
streamed back (Ollama's whole objects; OpenAI's pieces by index) and sent back with their results exactly as
each server takes them, thinking beside them, non-streamed replies, the servers that refuse tools, and the
bounds on what a reply's calls may hold."""

from __future__ import annotations

import json

import pytest
from fake_ollama import tool_call, tool_call_line
from fake_ollama.wire import content_line, done_line, go_json
from fake_openai import DEFAULT_MODEL as OPENAI_MODEL
from fake_openai import FakeOpenAI, chunk, error_body, sse
from fake_openai import tool_call as piecewise

from ollama_chat.backends.base import CannotUseTools, IncompleteReply, ServerError, Unsupported
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.backends.openai import OpenAIBackend
from ollama_chat.backends.tool_calls import MAX_ARGUMENTS, MAX_CALLS
from ollama_chat.types import ChatRequest, Message, ToolCall, ToolSpec
from ollama_chat.ui.wording import for_command_line, for_repl

WEATHER = ToolSpec("get_weather", "The weather in a city now", {
    "type": "object", "required": ["city"], "properties": {"city": {"type": "string", "description": "a city"}}})
READ = ToolSpec("read_file", "Read a file", {"type": "object", "properties": {"path": {"type": "string"}}})
TOOLS = (WEATHER, READ)
QUESTION = Message("user", "서울 날씨는?")
TOOL_MODEL = "qwen3:8b"


def ask(backend, model, *messages: Message, tools=TOOLS, stream=True, think=None):
    """The events of one reply: the tool calls (from any event), the text, the thinking, the last event."""
    events = list(backend.chat(ChatRequest(model, messages or (QUESTION,), tools=tools, stream=stream, think=think)))
    assert events[-1].done and not any(e.done for e in events[:-1])
    calls = [c for e in events for c in e.tool_calls]
    return calls, "".join(e.content for e in events), "".join(e.thinking for e in events), events


@pytest.fixture
def ollama(fake_ollama):
    fake_ollama.add_model(TOOL_MODEL, ("completion", "tools", "thinking"))
    return fake_ollama


# -- Ollama: out --------------------------------------------------------------------------------------------


def test_ollama_is_offered_the_tools_in_its_shape_and_nothing_without_them(ollama):
    backend = OllamaBackend(ollama.url)
    ask(backend, TOOL_MODEL)
    assert ollama.last_chat["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city now",
                                          "parameters": WEATHER.parameters}},
        {"type": "function", "function": {"name": "read_file", "description": "Read a file", "parameters": READ.parameters}}]
    ask(backend, TOOL_MODEL, tools=())
    assert "tools" not in ollama.last_chat


def test_ollama_gets_the_calls_back_as_it_gave_them_then_each_result(ollama):
    calls = (ToolCall("call_k3j9x0a1", "get_weather", {"city": "서울", "days": [1, 2]}), ToolCall("", "read_file", {}),
             ToolCall("call_bad", "read_file", raw_arguments='{"path": '))
    sent = (QUESTION, Message("assistant", "", tool_calls=calls),
            Message("tool", "맑음, 21°C", tool_call_id="call_k3j9x0a1", tool_name="get_weather"),
            Message("tool", "no such file", tool_name="read_file"),
            Message("tool", "Error: the arguments are not JSON", tool_call_id="call_bad", tool_name="read_file"))
    ollama.reply("서울은 맑고 21도입니다.")
    _, text, _, _ = ask(OllamaBackend(ollama.url), TOOL_MODEL, *sent)
    assert text == "서울은 맑고 21도입니다."  # the server took it (its decoder refuses arguments that are not an object)
    assert ollama.last_chat["messages"][1:] == [
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_k3j9x0a1", "type": "function",
             "function": {"index": 0, "name": "get_weather", "arguments": {"city": "서울", "days": [1, 2]}}},
            {"type": "function", "function": {"index": 1, "name": "read_file", "arguments": {}}},
            {"id": "call_bad", "type": "function", "function": {"index": 2, "name": "read_file", "arguments": {}}}]},
        {"role": "tool", "content": "맑음, 21°C", "tool_name": "get_weather", "tool_call_id": "call_k3j9x0a1"},
        {"role": "tool", "content": "no such file", "tool_name": "read_file"},
        {"role": "tool", "content": "Error: the arguments are not JSON", "tool_name": "read_file", "tool_call_id": "call_bad"}]


def test_the_fake_ollama_refuses_arguments_that_are_not_an_object(ollama):
    """The check the round trip above passes is a real one: Go's decoder refuses a string there."""
    body = {"model": TOOL_MODEL, "messages": [{"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "f", "arguments": '{"x": 1}'}}]}], "stream": False}
    import requests

    answer = requests.post(ollama.url + "/api/chat", json=body, timeout=30)
    assert answer.status_code == 400 and "cannot unmarshal string" in answer.json()["error"]


def test_a_tool_name_the_apis_refuse_is_never_sent(ollama):
    with pytest.raises(Unsupported, match="'read file', is not one the server takes"):
        ask(OllamaBackend(ollama.url), TOOL_MODEL, tools=(ToolSpec("read file", "x"),))
    assert ollama.chat_requests == []


# -- Ollama: in ---------------------------------------------------------------------------------------------


def test_ollama_streams_its_calls_whole_after_the_text(ollama):
    ollama.reply("날씨를 볼게요.", tool_calls=[tool_call("get_weather", {"city": "서울"}, id="call_k3j9x0a1"),
                                            tool_call("read_file", {"path": "메모.txt"})])
    calls, text, _, events = ask(OllamaBackend(ollama.url), TOOL_MODEL)
    assert text == "날씨를 볼게요." and events[-1].stats.done_reason == "stop"
    assert calls[0] == ToolCall("call_k3j9x0a1", "get_weather", {"city": "서울"})
    assert (calls[1].name, calls[1].arguments, calls[1].raw_arguments) == ("read_file", {"path": "메모.txt"}, None)
    assert calls[1].id.startswith("call_") and calls[1].id != calls[0].id
    assert [len(e.tool_calls) for e in events] == [0] * (len(events) - 2) + [2, 0]  # one line, before the done line


def test_ollama_calls_on_lines_of_their_own_or_on_the_done_line(ollama):
    backend = OllamaBackend(ollama.url)
    for how in ({"tool_calls_each": True}, {"tool_calls_on_done": True}):
        ollama.reply("", tool_calls=[tool_call("get_weather", {"city": c}) for c in ("서울", "부산", "Paris")], **how)
        calls, text, _, events = ask(backend, TOOL_MODEL)
        assert [c.arguments["city"] for c in calls] == ["서울", "부산", "Paris"] and text == ""
        assert len({c.id for c in calls}) == 3
        assert events[-1].tool_calls == (tuple(calls) if "tool_calls_on_done" in how else ())


def test_calls_without_ids_from_an_older_ollama_get_ids_unique_in_the_reply(ollama):
    ollama.reply("", tool_calls=[tool_call("get_weather", {"city": "서울"}, id=None),
                                 tool_call("get_weather", {"city": "서울"}, id=None),
                                 tool_call("read_file", {}, id="call_same"), tool_call("read_file", {}, id="call_same")])
    calls, _, _, _ = ask(OllamaBackend(ollama.url), TOOL_MODEL)
    ids = [c.id for c in calls]
    assert len(set(ids)) == 4 and ids[2] == "call_same" and all(i.startswith("call_") for i in ids)


def test_thinking_then_a_call_from_a_thinking_model(ollama):
    ollama.reply("", thinking="사용자가 서울 날씨를 묻는다. 도구를 쓰자.", tool_calls=[tool_call("get_weather", {"city": "서울"})])
    calls, text, thinking, _ = ask(OllamaBackend(ollama.url), TOOL_MODEL, think=True)
    assert thinking == "사용자가 서울 날씨를 묻는다. 도구를 쓰자." and text == "" and calls[0].name == "get_weather"
    assert ollama.last_chat["think"] is True and ollama.last_chat["tools"]


def test_a_non_streamed_ollama_reply_with_calls(ollama):
    ollama.reply("볼게요", thinking="흠", tool_calls=[tool_call("get_weather", {"city": "서울"}, id=None),
                                                 tool_call("read_file", {"path": "a"}, id="call_x")])
    calls, text, thinking, events = ask(OllamaBackend(ollama.url), TOOL_MODEL, stream=False, think=True)
    assert len(events) == 1 and (text, thinking) == ("볼게요", "흠")
    assert [c.name for c in calls] == ["get_weather", "read_file"] and calls[1].id == "call_x" and calls[0].id.startswith("call_")


def test_arguments_that_are_not_an_object_from_a_broken_server_are_kept(ollama):
    ollama.reply_raw([tool_call_line([tool_call("read_file", '{"path": "a', id="call_1"),
                                      tool_call("read_file", [1, 2], id="call_2")]), done_line()])
    calls, _, _, _ = ask(OllamaBackend(ollama.url), TOOL_MODEL)
    assert [(c.arguments, c.raw_arguments) for c in calls] == [({}, '{"path": "a'), ({}, "[1, 2]")]


def test_a_call_of_an_unknown_or_odd_name_comes_through_as_made(ollama):
    ollama.reply("", tool_calls=[tool_call("browser.search", {"query": "x"})])
    calls, _, _, _ = ask(OllamaBackend(ollama.url), TOOL_MODEL)
    assert calls[0].name == "browser.search"


def test_ollama_tool_calls_in_another_shape_are_a_clear_error(ollama):
    line = go_json({"model": TOOL_MODEL, "created_at": "2026-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": "", "tool_calls": {"name": "f"}}, "done": False}) + b"\n"
    ollama.reply_raw([content_line("잠시만요"), line, done_line()])
    with pytest.raises(IncompleteReply) as e:
        ask(OllamaBackend(ollama.url), TOOL_MODEL)
    assert "incomplete after 4 characters: the server sent tool calls that are not in Ollama's shape" in e.value.message


def test_more_calls_than_the_bound_fail_the_reply_streamed_or_not(ollama):
    backend = OllamaBackend(ollama.url)
    many = [tool_call("get_weather", {"city": str(i)}) for i in range(MAX_CALLS)]
    ollama.reply("", tool_calls=many)
    assert len(ask(backend, TOOL_MODEL)[0]) == MAX_CALLS  # the bound itself is fine
    ollama.reply("", tool_calls=[*many, tool_call("get_weather", {"city": "one more"})], tool_calls_each=True)
    with pytest.raises(IncompleteReply, match="more than 64 tool calls in one reply"):
        ask(backend, TOOL_MODEL)
    ollama.reply("", tool_calls=[*many, tool_call("get_weather", {"city": "one more"})])
    with pytest.raises(IncompleteReply, match="more than 64 tool calls in one reply"):
        ask(backend, TOOL_MODEL, stream=False)


def test_arguments_past_the_bound_fail_the_reply(ollama):
    ollama.reply("", tool_calls=[tool_call("write", {"text": "a" * MAX_ARGUMENTS})])
    with pytest.raises(IncompleteReply) as e:
        ask(OllamaBackend(ollama.url), TOOL_MODEL)
    assert "the arguments of the model's call of 'write' are larger than 1 MiB" in e.value.message


def test_a_model_that_cannot_call_tools_is_a_structured_error(fake_ollama):
    fake_ollama.add_model("gemma3:1b")  # completion only
    with pytest.raises(CannotUseTools) as e:
        ask(OllamaBackend(fake_ollama.url), "gemma3:1b")
    error = e.value
    assert (error.model, error.status, error.server_off, error.hint) == ("gemma3:1b", 400, False, "")
    assert error.text == "registry.ollama.ai/library/gemma3:1b does not support tools"
    assert error.message == (f"gemma3:1b cannot call tools: Ollama at {fake_ollama.url} says it does not support them.")
    assert "/tools off" in for_repl(error).hint and "--tools" in for_command_line(error).hint
    assert fake_ollama.pending_replies == 0
    fake_ollama.reply("plain")
    assert ask(OllamaBackend(fake_ollama.url), "gemma3:1b", tools=())[1] == "plain"  # the same model without tools


# -- OpenAI-compatible: out ---------------------------------------------------------------------------------


def test_openai_is_offered_the_tools_with_tool_choice_auto(fake_openai):
    backend = OpenAIBackend(fake_openai.url)
    ask(backend, OPENAI_MODEL)
    body = fake_openai.last_chat
    assert body["tool_choice"] == "auto" and [t["function"]["name"] for t in body["tools"]] == ["get_weather", "read_file"]
    assert body["tools"][0] == {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city now",
                                                                  "parameters": WEATHER.parameters}}
    ask(backend, OPENAI_MODEL, tools=())
    assert "tools" not in fake_openai.last_chat and "tool_choice" not in fake_openai.last_chat


def test_openai_gets_the_calls_back_with_json_text_arguments_then_each_result(fake_openai):
    calls = (ToolCall("chatcmpl-tool-1", "get_weather", {"city": "서울"}), ToolCall("call_2", "read_file", raw_arguments='{"path": "a'))
    sent = (QUESTION, Message("assistant", "", tool_calls=calls),
            Message("tool", "맑음", tool_call_id="chatcmpl-tool-1", tool_name="get_weather"),
            Message("tool", "Error: the arguments are not valid JSON", tool_call_id="call_2", tool_name="read_file"),
            Message("assistant", "맑습니다."), Message("user", "고마워요"))
    fake_openai.reply("천만에요")
    assert ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL, *sent)[1] == "천만에요"  # it passed OpenAI's checks
    assert fake_openai.last_chat["messages"][1:4] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "chatcmpl-tool-1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "서울"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a'}}]},
        {"role": "tool", "tool_call_id": "chatcmpl-tool-1", "content": "맑음"},
        {"role": "tool", "tool_call_id": "call_2", "content": "Error: the arguments are not valid JSON"}]
    fake_openai.reply("네")
    ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL, QUESTION, Message("assistant", "볼게요", tool_calls=calls[:1]),
        Message("tool", "맑음", tool_call_id="chatcmpl-tool-1"))
    assert fake_openai.last_chat["messages"][1]["content"] == "볼게요"


def test_the_fake_openai_refuses_results_that_answer_no_call(fake_openai):
    """The checks the round trip above passes are real ones."""
    backend = OpenAIBackend(fake_openai.url)
    call = ToolCall("call_1", "get_weather", {"city": "서울"})
    for messages, words in (((QUESTION, Message("tool", "맑음", tool_call_id="call_1")), "must be a response to a preceeding"),
                            ((QUESTION, Message("assistant", "", tool_calls=(call,)), Message("user", "?")),
                             "did not have response messages: call_1")):
        with pytest.raises(ServerError, match=words):
            ask(backend, OPENAI_MODEL, *messages)


# -- OpenAI-compatible: in ----------------------------------------------------------------------------------


def test_openai_pieces_by_index_are_given_whole_when_the_message_ends(fake_openai):
    fake_openai.reply("확인할게요.", tool_calls=[piecewise("get_weather", {"city": "서울"}, id="call_abc", pieces=3),
                                              piecewise("read_file", {"path": "메모.txt"}, pieces=2)])
    calls, text, _, events = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert text == "확인할게요." and calls[0] == ToolCall("call_abc", "get_weather", {"city": "서울"})
    assert (calls[1].name, calls[1].arguments) == ("read_file", {"path": "메모.txt"}) and calls[1].id.startswith("chatcmpl-tool-")
    assert [bool(e.tool_calls) for e in events][-2:] == [True, False]  # one event with the calls, then the end
    assert events[-1].stats.done_reason == "tool_calls" and events[-1].stats.eval_count > 0


@pytest.mark.parametrize("style", ["openai", "vllm", "whole"])
def test_several_calls_interleaved_in_each_servers_style(fake_openai, style):
    fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": c}, pieces=4) for c in ("서울", "부산", "Paris")],
                      interleave=True, tool_style=style)
    calls, _, _, _ = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert [c.arguments for c in calls] == [{"city": "서울"}, {"city": "부산"}, {"city": "Paris"}]
    assert len({c.id for c in calls}) == 3


def test_arguments_split_at_every_position_over_the_wire(fake_openai):
    text = '{"city": "서울", "n": 3}'
    backend = OpenAIBackend(fake_openai.url)
    for cut in range(len(text) + 1):
        fake_openai.reply("", tool_calls=[piecewise("get_weather", text, pieces=[text[:cut], text[cut:]], id="c")],
                          split_writes=True)
        assert ask(backend, OPENAI_MODEL)[0] == [ToolCall("c", "get_weather", {"city": "서울", "n": 3})], cut


def test_broken_json_arguments_come_through_as_text_never_a_crash(fake_openai):
    fake_openai.reply("", tool_calls=[piecewise("read_file", '{"path": "a.txt"', id="c1"),
                                      piecewise("read_file", '["a.txt"]', id="c2"), piecewise("read_file", "", id="c3")])
    calls, _, _, _ = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert calls == [ToolCall("c1", "read_file", raw_arguments='{"path": "a.txt"'),
                     ToolCall("c2", "read_file", raw_arguments='["a.txt"]'), ToolCall("c3", "read_file", {})]


def test_calls_without_ids_get_ids_unique_in_the_reply(fake_openai):
    fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": "서울"}, id=None),
                                      piecewise("get_weather", {"city": "부산"}, id=None)])
    calls, _, _, _ = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert [c.arguments["city"] for c in calls] == ["서울", "부산"] and len({c.id for c in calls}) == 2


def test_reasoning_then_calls(fake_openai):
    fake_openai.reply("", reasoning="도구가 필요하다", tool_calls=[piecewise("get_weather", {"city": "서울"})])
    calls, text, thinking, _ = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert (thinking, text, calls[0].arguments) == ("도구가 필요하다", "", {"city": "서울"})


def test_calls_are_given_at_the_end_of_the_stream_without_a_finish_reason_for_them(fake_openai):
    """A server that ends the message with [DONE] only, or says "stop" for a message with calls."""
    backend = OpenAIBackend(fake_openai.url)
    for finish in (None, "stop"):
        fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": "서울"}, id="c")], finish_reason=finish)
        calls, _, _, events = ask(backend, OPENAI_MODEL)
        assert calls == [ToolCall("c", "get_weather", {"city": "서울"})] and events[-1].stats.done_reason == (finish or "")


def test_a_non_streamed_reply_with_whole_calls(fake_openai):
    fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": "서울"}, id="c1"), piecewise("read_file", "{oops", id=None)])
    calls, text, _, events = ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL, stream=False)
    assert len(events) == 1 and text == "" and events[0].stats.done_reason == "tool_calls"
    assert calls[0] == ToolCall("c1", "get_weather", {"city": "서울"}) and calls[1].raw_arguments == "{oops" and calls[1].id


def test_a_stream_cut_in_the_middle_of_a_call_loses_the_call_not_the_text(fake_openai):
    fake_openai.reply(["말", "하다"], tool_calls=[piecewise("get_weather", {"city": "서울"}, pieces=2)], cut_after=5)
    events = []
    with pytest.raises(IncompleteReply) as e:
        for event in OpenAIBackend(fake_openai.url).chat(ChatRequest(OPENAI_MODEL, (QUESTION,), tools=TOOLS)):
            events.append(event)
    assert "".join(x.content for x in events) == "말하다" and not any(x.tool_calls for x in events)
    assert "incomplete after 3 characters" in e.value.message


def test_more_openai_calls_than_the_bound_fail_the_reply(fake_openai):
    backend = OpenAIBackend(fake_openai.url)
    many = [piecewise("f", {}, id=f"c{i}") for i in range(MAX_CALLS + 1)]
    fake_openai.reply("", tool_calls=many)
    with pytest.raises(IncompleteReply, match="more than 64 tool calls in one reply"):
        ask(backend, OPENAI_MODEL)
    fake_openai.reply("", tool_calls=many)
    with pytest.raises(IncompleteReply, match="more than 64 tool calls in one reply"):
        ask(backend, OPENAI_MODEL, stream=False)


def test_arguments_streamed_past_the_bound_fail_the_reply(fake_openai):
    text = '{"text": "' + "a" * (MAX_ARGUMENTS + 64 * 1024) + '"}'
    fake_openai.reply("", tool_calls=[piecewise("write", text, pieces=64 * 1024, id="c")])
    with pytest.raises(IncompleteReply, match="call of 'write' are larger than 1 MiB"):
        ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)


def test_malformed_openai_tool_calls_are_a_clear_error(fake_openai):
    fake_openai.reply_raw([sse(chunk("x", OPENAI_MODEL, {"content": "음"})),
                           sse(chunk("x", OPENAI_MODEL, {"tool_calls": {"index": 0}})), b"data: [DONE]\n\n"])
    with pytest.raises(IncompleteReply) as e:
        ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert "incomplete after 1 character: the server sent tool calls that are not in the OpenAI API's shape" in e.value.message


@pytest.mark.parametrize("server", ["vllm", "llama-server"])
def test_a_server_started_without_tool_calling_is_a_structured_error(server):
    with FakeOpenAI() as fake:
        if server == "llama-server":
            fake.like_llama_cpp(32768)
        fake.tools_off()
        with pytest.raises(CannotUseTools) as e:
            ask(OpenAIBackend(fake.url), OPENAI_MODEL)
        assert e.value.server_off and e.value.model == OPENAI_MODEL and not e.value.hint
        assert e.value.status == (500 if server == "llama-server" else 400)
        assert ("--jinja" if server == "llama-server" else "--enable-auto-tool-choice") in e.value.message
        assert "--jinja" in for_repl(e.value).hint and "--enable-auto-tool-choice" in for_command_line(e.value).hint
        fake.reply("그냥 답")
        assert ask(OpenAIBackend(fake.url), OPENAI_MODEL, tools=())[1] == "그냥 답"


def test_ollamas_own_v1_refusal_is_the_model_that_cannot(fake_openai):
    fake_openai.reply_status(400, error_body("registry.ollama.ai/library/gemma3:1b does not support tools", "api_error"))
    with pytest.raises(CannotUseTools) as e:
        ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)
    assert not e.value.server_off and e.value.model == OPENAI_MODEL
    assert "/tools off" in for_repl(e.value).hint and "/model" in for_repl(e.value).hint


def test_the_same_calls_either_way(ollama, fake_openai):
    """What the two wires bring for the same calls is the same value."""
    arguments = {"city": "서울", "days": 3, "opts": {"unit": "c", "alerts": [True, None]}}
    ollama.reply("", tool_calls=[tool_call("get_weather", arguments, id="call_1")])
    fake_openai.reply("", tool_calls=[piecewise("get_weather", arguments, id="call_1", pieces=1)])
    assert ask(OllamaBackend(ollama.url), TOOL_MODEL)[0] == ask(OpenAIBackend(fake_openai.url), OPENAI_MODEL)[0]


def test_a_call_round_trip_keeps_arguments_as_the_json_the_model_wrote(fake_openai):
    """The arguments go back as JSON text equal in value to what came (vLLM writes them with json.dumps)."""
    fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": "서울", "n": [1, 2.5]}, id="c")])
    backend = OpenAIBackend(fake_openai.url)
    calls, _, _, _ = ask(backend, OPENAI_MODEL)
    fake_openai.reply("끝")
    ask(backend, OPENAI_MODEL, QUESTION, Message("assistant", "", tool_calls=tuple(calls)),
        Message("tool", "맑음", tool_call_id="c", tool_name="get_weather"))
    sent = fake_openai.last_chat["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert sent == json.dumps({"city": "서울", "n": [1, 2.5]}, ensure_ascii=False)


def test_the_refusal_and_its_hint_in_korean(fake_ollama):
    from ollama_chat import i18n

    fake_ollama.add_model("gemma3:1b")
    i18n.use("ko")
    with pytest.raises(CannotUseTools) as e:
        ask(OllamaBackend(fake_ollama.url), "gemma3:1b")
    assert e.value.message.startswith("gemma3:1b 모델은 도구를 호출할 수 없습니다.")
    assert for_repl(e.value).hint.startswith("/tools off로 도구를 끄거나")


# -- the fakes speak as the servers do ----------------------------------------------------------------------


def test_the_fake_ollama_streams_calls_as_ollama_does(ollama):
    import requests

    ollama.reply("", tool_calls=[tool_call("get_weather", {"city": "서울"}, id="call_k3j9x0a1")])
    body = {"model": TOOL_MODEL, "messages": [{"role": "user", "content": "?"}], "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
    lines = [json.loads(line) for line in requests.post(ollama.url + "/api/chat", json=body, timeout=30).content.splitlines()]
    assert lines[0]["message"] == {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_k3j9x0a1", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "서울"}}}]}
    assert lines[0]["done"] is False and (lines[1]["done"], lines[1]["done_reason"]) == (True, "stop") and len(lines) == 2


def test_the_fake_openai_streams_calls_as_openai_and_vllm_do(fake_openai):
    import requests

    fake_openai.reply("", tool_calls=[piecewise("get_weather", {"city": "서울"}, id="call_1", pieces=8)])
    body = {"model": OPENAI_MODEL, "messages": [{"role": "user", "content": "?"}], "stream": True,
            "stream_options": {"include_usage": True}, "tools": [{"type": "function", "function": {"name": "get_weather"}}]}
    events = requests.post(fake_openai.url + "/chat/completions", json=body, timeout=30).content.decode().split("\n\n")
    chunks = [json.loads(e.removeprefix("data: ")) for e in events if e.startswith("data: {")]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[1:4] == [
        {"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ' "서울"}'}}]}]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
    assert chunks[-1]["usage"] and events[-2] == "data: [DONE]"
