"""Sending /api/chat replies: scripted pieces, recorded or raw lines, folded recordings and plain answers,
with their pacing, cuts, mid-stream errors and gates."""

from __future__ import annotations

import json
from typing import Any, Sequence

from .replies import Gate, LinesReply, ScriptedReply, StatusReply
from .stream import StreamWriter
from .wire import DEFAULT_MODEL, JSON_TYPE, content_line, created_at, done_line, go_json, split_point, tool_call_line


class ChatReplies(StreamWriter):
    """The reply-sending half of the request handler."""

    def _final_fields(self, reply: ScriptedReply, request: dict[str, Any]) -> dict[str, int]:
        def pick(value: int | None, default: int) -> int:
            return default if value is None else value
        eval_count = pick(reply.eval_count, self.fake.tokens("".join(reply.content)) + self.fake.tokens("".join(reply.thinking))
                          + self.fake.tokens(json.dumps(reply.tool_calls) if reply.tool_calls else ""))
        eval_duration = pick(reply.eval_duration, eval_count * 10_000_000)  # 100 tokens/s
        prompt_eval_count = pick(reply.prompt_eval_count, self.fake.evaluate(request))
        prompt_eval_duration = pick(reply.prompt_eval_duration, prompt_eval_count * 500_000)
        load_duration = pick(reply.load_duration, 1_000_000)
        total = pick(reply.total_duration, load_duration + prompt_eval_duration + eval_duration)
        return {"total_duration": total, "load_duration": load_duration, "prompt_eval_count": prompt_eval_count,
                "prompt_eval_duration": prompt_eval_duration, "eval_count": eval_count,
                "eval_duration": eval_duration}

    def _send_scripted(self, reply: ScriptedReply, model: str, request: dict[str, Any], stream: bool) -> None:
        n = len(reply.content)
        cut_at = None if reply.cut_after is None else min(reply.cut_after, n)
        error_at = None if reply.error_after is None else min(reply.error_after, n)
        cut = cut_at is not None and (error_at is None or cut_at <= error_at)
        failed = not cut and error_at is not None
        stop_at = cut_at if cut else error_at if failed else n
        gate = reply.gate
        self._pause(reply.first_delay)
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.content)}
            if reply.thinking:
                message["thinking"] = "".join(reply.thinking)
            if reply.tool_calls:
                message["tool_calls"] = list(reply.tool_calls)
            obj = {"model": model, "created_at": created_at(), "message": message, "done": True,
                   "done_reason": reply.done_reason}
            obj.update({k: v for k, v in self._final_fields(reply, request).items() if v})
            if gate.hold_after is not None:
                self._hold(gate)
            if cut:
                self._send_truncated(go_json(obj), reply.cut_mode)
            elif failed:
                self._send_json(500, {"error": reply.error_text})
            else:
                self._send_json(200, obj)
                gate._advance(n)
            gate._finish()
            return
        lines = [content_line("", thinking=t, model=model) for t in reply.thinking]
        lines += [content_line(c, model=model) for c in reply.content[:stop_at]]
        calls = list(reply.tool_calls) if stop_at == n and not reply.tool_calls_on_done else []
        if calls:
            lines += [tool_call_line([c], model=model) for c in calls] if reply.tool_calls_each else [tool_call_line(calls, model=model)]
        if gate.hold_after == 0:
            self._hold(gate)
        self._start_stream()
        self._stream_lines(lines, gate, reply.chunk_delay, uncounted=len(reply.thinking))
        if cut:
            self._cut(reply.cut_mode)
        else:
            if lines:
                self._pause(reply.chunk_delay)
            if failed:
                self._write_chunk(go_json({"error": reply.error_text}) + b"\n")
            else:
                on_done = list(reply.tool_calls) if reply.tool_calls_on_done else None
                self._write_chunk(done_line(model=model, done_reason=reply.done_reason, tool_calls=on_done,
                                            **self._final_fields(reply, request)))
            self._end_stream()
        gate._finish()

    def _send_lines(self, reply: LinesReply) -> None:
        lines = reply.lines if reply.cut_after is None else reply.lines[:reply.cut_after]
        self._pause(reply.first_delay)
        if reply.gate.hold_after == 0:
            self._hold(reply.gate)
        self._start_stream(reply.status, reply.content_type)
        self._stream_lines(lines, reply.gate, reply.chunk_delay, split_writes=reply.split_writes)
        if reply.cut_after is not None:
            self._cut(reply.cut_mode)
        else:
            self._end_stream()
        reply.gate._finish()

    def _stream_lines(self, lines: Sequence[bytes], gate: Gate, delay: float, *, uncounted: int = 0,
                      split_writes: bool = False) -> None:
        """Write `lines`, one chunk each, `delay` apart. The gate counts the lines after the first `uncounted`
        (the thinking) and holds the reply after its `hold_after`-th counted line, or after the last if fewer."""
        for i, line in enumerate(lines):
            if i:
                self._pause(delay)
            if split_writes and len(line) > 1:
                cut = split_point(line)
                self._write_chunk(line[:cut])
                self._pause(0.01)  # pacing: the halves leave as separate TCP segments
                self._write_chunk(line[cut:])
            else:
                self._write_chunk(line)
            if i >= uncounted:
                gate._advance()
                if gate.sent == gate.hold_after:
                    self._hold(gate)
        if gate.hold_after is not None and gate.sent < gate.hold_after:
            self._hold(gate)

    def _send_aggregated(self, reply: LinesReply) -> None:
        """A recorded stream answered as Ollama answers "stream": false: one object, the content joined."""
        objs = [json.loads(line) for line in reply.lines if line.strip()]
        errors = [o for o in objs if isinstance(o, dict) and "error" in o]
        self._pause(reply.first_delay)
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        if errors:
            self._send_json(500, {"error": errors[0]["error"]})
            reply.gate._finish()
            return
        final = dict(objs[-1]) if objs else {"model": DEFAULT_MODEL, "created_at": created_at(), "done": True}
        message = {"role": "assistant", "content": "".join(o.get("message", {}).get("content", "") for o in objs)}
        thinking = "".join(o.get("message", {}).get("thinking", "") for o in objs)
        if thinking:
            message["thinking"] = thinking
        final["message"] = message
        body = go_json(final)
        if reply.cut_after is not None:
            self._send_truncated(body, reply.cut_mode)
        else:
            self._send(200, body, JSON_TYPE)
            reply.gate._advance(len(objs))
        reply.gate._finish()

    def _send_status_reply(self, reply: StatusReply) -> None:
        self._pause(reply.first_delay)
        if reply.gate.hold_after is not None:
            self._hold(reply.gate)
        self._send(reply.status, reply.body, reply.content_type)
        reply.gate._finish()
