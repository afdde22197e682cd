"""A raw HTTP/1.1 client for the fake server's own tests: exact bytes, chunk boundaries, terminators, resets."""

from __future__ import annotations

import json
import socket
from typing import Any, Callable

import requests

from fake_ollama import PATIENCE, FakeOllama


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], chunks: list[bytes], terminated: bool,
                 reset: bool) -> None:
        self.status = status
        self.headers = headers
        self.chunks = chunks  # the HTTP chunks of a chunked body, as sent
        self.terminated = terminated  # the `0\r\n\r\n` terminator arrived
        self.reset = reset  # the connection was reset (RST)

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in b"".join(self.chunks).splitlines() if line.strip()]


def raw_request(fake: FakeOllama, method: str, path: str, body: Any = None) -> bytes:
    """The bytes of one request with `Connection: close`."""
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: {fake.host_port}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    return head + data


def raw_exchange(fake: FakeOllama, method: str, path: str, body: Any = None) -> RawResponse:
    """Send one request with `Connection: close` and read everything until EOF or reset."""
    with socket.create_connection(("127.0.0.1", fake.port), timeout=PATIENCE) as sock:
        sock.sendall(raw_request(fake, method, path, body))
        return parse_raw(*read_to_end(sock))


def read_to_end(sock: socket.socket, received: bytes = b"") -> tuple[bytes, bool]:
    """Everything until EOF, and whether the connection was reset."""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            return received, True
        if not piece:
            return received, False
        received += piece


def read_until(sock: socket.socket, done: Callable[[bytes], bool]) -> bytes:
    received = b""
    while not done(received):
        piece = sock.recv(65536)
        assert piece, f"EOF after {received!r}"
        received += piece
    return received


def nothing_more(sock: socket.socket) -> bool:
    """Nothing is waiting to be read (nor an EOF): call it when the server can have sent nothing more."""
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def parse_raw(received: bytes, reset: bool) -> RawResponse:
    header_blob, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = header_blob.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    chunks: list[bytes] = []
    terminated = False
    if headers.get("transfer-encoding") == "chunked":
        while rest:
            size_line, sep, rest = rest.partition(b"\r\n")
            assert sep, f"unfinished chunk size line: {size_line!r}"
            size = int(size_line, 16)
            if size == 0:
                assert rest == b"\r\n", f"junk after terminator: {rest!r}"
                terminated = True
                break
            assert len(rest) >= size + 2, "chunk cut short"
            assert rest[size:size + 2] == b"\r\n"
            chunks.append(rest[:size])
            rest = rest[size + 2:]
    else:
        chunks = [rest]
    return RawResponse(int(status_line.split()[1]), headers, chunks, terminated, reset)


def pieces_in(data: bytes) -> int:
    """Complete streamed pieces (chunks of a `"done":false` line) in the bytes received so far."""
    return data.count(b'"done":false}\n\r\n')


def chat_body(content: str = "hi", model: str = "llama3.2", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def streamed_content(response: requests.Response) -> tuple[str, list[dict[str, Any]]]:
    objs = [json.loads(line) for line in response.iter_lines() if line]
    return "".join(o.get("message", {}).get("content", "") for o in objs), objs


class NotHTTPServer:
    """Something on a port that is not an HTTP server: it reads a request and answers each connection with
    `answer` (b"HELLO\r\n", a TLS alert, binary), then closes. A context manager; `.host_port`."""

    def __init__(self, answer: bytes) -> None:
        import threading

        self.answer = answer
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.connections = 0

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                self.connections += 1
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(self.answer)
                except OSError:
                    pass

    def __enter__(self) -> "NotHTTPServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()
