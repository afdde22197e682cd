"""Writing replies on the wire: whole bodies, HTTP chunks, abrupt ends, pauses and gates, each one noticing
a client that has hung up or a server that is stopping."""

from __future__ import annotations

import select
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Literal

from .replies import PATIENCE, Gate, Trickle
from .wire import JSON_TYPE, NDJSON_TYPE, CutMode, go_json

if TYPE_CHECKING:
    from .server import FakeOllama


class ClientGone(Exception):
    """The client closed its connection before the reply was complete."""


class Stopping(Exception):
    """The server is stopping: abandon the reply."""


def wait_readable(sock: socket.socket, timeout: float) -> bool:
    """poll() rather than select(): select() fails on descriptors above 1024."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(max(0, int(timeout * 1000))))
    return bool(select.select([sock], [], [], timeout)[0])


class StreamWriter(BaseHTTPRequestHandler):
    """The writing half of the request handler."""

    fake: FakeOllama

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, obj: Any) -> None:
        self._send(status, go_json(obj), JSON_TYPE)

    def _send_truncated(self, body: bytes, mode: CutMode) -> None:
        """Promise the whole body, deliver half, hang up: a non-streamed reply cut by the network."""
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self._cut("reset" if mode == "reset" else "close")

    def _start_stream(self, status: int = 200, content_type: str = NDJSON_TYPE) -> None:
        self._check_alive()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        """One HTTP chunk, sent at once (the writer is unbuffered). Empty data would end the body: skipped."""
        if not data:
            return
        self._check_alive()
        self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self, mode: CutMode | Literal["close"]) -> None:
        """End a reply abruptly. "eof": the chunked body ends properly but early (no done line);
        "close": FIN with the body unfinished; "reset": RST with the body unfinished."""
        if mode == "eof":
            self._end_stream()
            return
        self.close_connection = True
        if mode == "reset":
            self._wait_acknowledged()  # linger 0 throws away what the client has not acknowledged yet
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # deferred while rfile holds the socket...
            self.rfile.close()  # ...so this is the real close, and linger 0 makes it an RST

    def _check_alive(self) -> None:
        """Raise if the server is stopping or the client has hung up (readable + EOF on the socket)."""
        if self.fake._stop.is_set():
            raise Stopping
        try:
            if wait_readable(self.connection, 0) and self.connection.recv(1, socket.MSG_PEEK) == b"":
                raise ClientGone
        except (OSError, ValueError):
            raise ClientGone from None

    def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops or the client hangs up."""
        self._check_alive()
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            step = min(remaining, 0.02)
            if wait_readable(self.connection, step):
                self._check_alive()
                time.sleep(step)  # readable but not EOF (stray bytes): don't spin
            if self.fake._stop.is_set():
                raise Stopping

    def _hold(self, gate: Gate) -> None:
        """Wait at `gate` until it is released, noticing at once a client that hangs up or a server that stops."""
        if gate.released:
            return
        gate._reach()
        while not gate._wait_released(0.02):
            self._check_alive()
        self._check_alive()

    def _wait_acknowledged(self, timeout: float = PATIENCE) -> None:
        """Wait until the client's side has acknowledged every byte sent (Linux: SIOCOUTQ reads 0).
        Where the kernel cannot say, a short pause does the same job."""
        try:
            import fcntl
            import termios

            def unacknowledged() -> int:
                return int(struct.unpack("i", fcntl.ioctl(self.connection.fileno(), termios.TIOCOUTQ,
                                                          b"\0\0\0\0"))[0])
            unacknowledged()
        except (ImportError, AttributeError, OSError):
            self._pause(0.05)
            return
        deadline = time.monotonic() + timeout
        while unacknowledged() > 0 and time.monotonic() < deadline:
            time.sleep(0.001)

    # -- answers that never finish (trickle_next) -----------------------------------------------------------

    def _trickle_head(self, path: str) -> tuple[bytes, bytes]:
        """(the head, the body that would follow) of the answer `path` trickles: a stream for a chat, pull or
        SSE path, else a whole JSON answer with its length (of a body much longer than will ever be sent)."""
        sse = path.endswith("/chat/completions")
        streamed = sse or path in ("/api/chat", "/api/pull")
        if sse:
            start = b'data: {"choices":[{"index":0,"delta":{"content":"'
        elif streamed:
            start = b'{"model":"llama3.2","created_at":"2026-11-24T23:00:00Z","message":{"role":"assistant","content":"'
        else:
            start = b'{"object":"list","data":[' if path.startswith("/v1/") else b'{"models":['
        body = start + b"a" * 1_000_000
        lines = ["HTTP/1.1 200 OK", f"Server: {self.version_string()}", f"Date: {self.date_time_string()}",
                 f"Content-Type: {'text/event-stream; charset=utf-8' if sse else NDJSON_TYPE if streamed else JSON_TYPE}",
                 "Transfer-Encoding: chunked" if streamed else f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode(), body

    def _trickle(self, trickle: Trickle, path: str) -> None:
        """Send a byte (or a comment) every `trickle.every` seconds until the client hangs up or the server
        stops (then ClientGone or Stopping ends the handler)."""
        self.close_connection = True
        head, body = self._trickle_head(path)
        chunked = b"chunked" in head
        if trickle.kind == "headers":
            slow = head.removesuffix(b"\r\n") + b"X-Wait: 1\r\n" * 90  # a head with many lines, never ended
        else:
            self.wfile.write(head)
            self.wfile.flush()
            slow = body
        if trickle.kind == "comments":  # vLLM's first event says only who speaks
            self._write_chunk(b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""},'
                              b'"finish_reason":null}]}\n\n')
            while True:
                self._pause(trickle.every)
                self._write_chunk(b": ping\n\n")
                trickle.gate._advance()
        for byte in slow:
            self._pause(trickle.every)
            self._check_alive()
            self.wfile.write(b"1\r\n%c\r\n" % byte if chunked and trickle.kind == "body" else bytes([byte]))
            self.wfile.flush()
            trickle.gate._advance()
        while True:  # (never reached in a test's time: a megabyte at a byte a tick)
            self._pause(trickle.every)
