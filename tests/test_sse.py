"""The SSE parser, pure: line ends, fields, comments, events split across reads anywhere (Korean split at every
byte), the end of the stream; and the shared stream reading's network-error mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ollama_chat.backends.sse import SSEEvent, SSEParser, sse_events
from ollama_chat.backends.streaming import BadStream, StreamCut, StreamTimeout, TooLarge, read_body, read_chunks


def parse(*reads: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    events = [e for data in reads for e in parser.feed(data)]
    return events + parser.finish()


def datas(*reads: bytes) -> list[str]:
    return [e.data for e in parse(*reads)]


STREAM = ('data: {"choices":[{"delta":{"content":"안녕하세요"}}]}\n\n'
          ': keep-alive\n\n'
          'event: message\ndata: 첫 줄\ndata: 둘째 줄\n\n'
          'data: [DONE]\n\n').encode()
EXPECTED = ['{"choices":[{"delta":{"content":"안녕하세요"}}]}', "첫 줄\n둘째 줄", "[DONE]"]


def test_events_fields_and_comments():
    events = parse(STREAM)
    assert [e.data for e in events] == EXPECTED
    assert all(e.event == "message" and e.complete for e in events)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_every_line_end(newline):
    assert datas(STREAM.replace(b"\n", newline)) == EXPECTED


def test_korean_split_at_every_byte_boundary():
    for newline in (b"\n", b"\r\n", b"\r"):
        stream = STREAM.replace(b"\n", newline)
        for cut in range(len(stream) + 1):
            assert datas(stream[:cut], stream[cut:]) == EXPECTED, (newline, cut)


def test_one_byte_at_a_time():
    stream = STREAM.replace(b"\n", b"\r\n")
    assert datas(*(stream[i:i + 1] for i in range(len(stream)))) == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_any_splitting_gives_the_same_events(cuts, newline):
    stream = STREAM.replace(b"\n", newline)
    points = [0, *sorted(cuts), len(stream)]
    assert datas(*(stream[a:b] for a, b in zip(points, points[1:]))) == EXPECTED


def test_a_crlf_split_between_reads_is_one_line_end():
    # "\r" ends a read; the "\n" that starts the next belongs to it, not a blank line that would end the event
    assert parse(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("a\nb")]


def test_field_forms():
    stream = (b"data\n\n"  # no colon: the field with an empty value
              b"data:no space\n\n"
              b"data:  two spaces\n\n"  # only one space is removed
              b"event: error\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n"
              b"data: after\n\n")
    events = parse(stream)
    assert [e.data for e in events] == ["", "no space", " two spaces", "x", "after"]
    assert events[3].event == "error" and events[3].id == "7"
    assert events[4].event == "message" and events[4].id == "7"  # the event type is reset, the last id kept


def test_events_without_data_and_comments_give_nothing():
    assert parse(b": keep-alive\n\n: ping\n\nevent: x\n\n\n\n") == []


def test_a_byte_order_mark_at_the_start_is_dropped():
    assert datas(b"\xef\xbb\xbfdata: x\n\n") == ["x"]


def test_invalid_utf8_is_replaced_not_fatal():
    assert datas(b"data: \xff\n\n") == ["\ufffd"]


def test_a_missing_final_blank_line_still_delivers_the_event():
    assert parse(b"data: a\n\ndata: [DONE]\n") == [SSEEvent("a"), SSEEvent("[DONE]")]


def test_a_last_line_cut_off_is_marked_incomplete():
    events = parse(b'data: {"a":1}\n\ndata: {"cho')
    assert events == [SSEEvent('{"a":1}'), SSEEvent('{"cho', complete=False)]


def test_an_event_may_not_grow_without_limit():
    parser = SSEParser(limit=100)
    parser.feed(b"data: " + b"x" * 50 + b"\n")
    with pytest.raises(BadStream, match="longer than"):
        parser.feed(b"data: " + b"x" * 60 + b"\n")
    with pytest.raises(BadStream):
        SSEParser(limit=100).feed(b"data: " + b"x" * 200)  # an endless line, too


def test_work_per_read_does_not_grow_with_the_stream():
    parser = SSEParser()
    for _ in range(20_000):
        assert parser.feed(b'data: {"x":"a"}\n\n') == [SSEEvent('{"x":"a"}')]


# -- reading a response: the shared network-error mapping ------------------------------------------------


class Response:
    """A stand-in for a streamed requests response: these reads, then this exception."""

    def __init__(self, reads: list[bytes], error: BaseException | None = None, encoding: str = "") -> None:
        self.reads = reads
        self.error = error
        self.headers = {"Content-Encoding": encoding} if encoding else {}
        self.sizes: list[int | None] = []
        self.closed = False

    def iter_content(self, chunk_size=None):
        self.sizes.append(chunk_size)
        yield from self.reads
        if self.error is not None:
            raise self.error

    def close(self):
        self.closed = True


def test_sse_events_reads_a_response():
    assert [e.data for e in sse_events(Response([STREAM[:7], STREAM[7:]]))] == EXPECTED


def test_network_failures_become_stream_errors():
    import requests
    import urllib3.exceptions

    with pytest.raises(StreamCut):
        list(sse_events(Response([b"data: a\n\n"], requests.exceptions.ChunkedEncodingError("x"))))
    timeout = requests.exceptions.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/", "read timed out"))
    with pytest.raises(StreamTimeout):
        list(sse_events(Response([], timeout)))
    with pytest.raises(StreamTimeout):
        list(read_chunks(Response([], requests.exceptions.ReadTimeout("x"))))
    with pytest.raises(StreamCut, match="compressed"):
        list(read_chunks(Response([], requests.exceptions.ContentDecodingError("x"))))


def test_a_compressed_stream_is_read_in_bounded_pieces():
    plain, gzipped = Response([b"x"]), Response([b"x"], encoding="gzip")
    list(read_chunks(plain))
    list(read_chunks(gzipped))
    assert plain.sizes == [None] and gzipped.sizes == [64 * 1024]


def test_read_body_stops_at_its_limit():
    response = Response([b"x" * 600, b"x" * 600])
    with pytest.raises(TooLarge):
        read_body(response, 1000)
    assert response.closed
    assert read_body(Response([b"ab", b"c"]), 1000) == b"abc"
