"""What both fakes (fake_ollama, fake_openai) share: stopping at once, the request log, waiting on it, gates
and holds, and the connections they track. A subclass sets the attributes its __init__ makes (`_server`,
`_thread`, `_lock`, `_changed`, `_stop`, `_requests`, `_queue`, `_gates`, `_holds`, `_overrides`,
`_disconnects`, `_connections`, `_trickles`, `_in_flight`, `_most_in_flight`, `host`) and CHAT_PATH."""

from __future__ import annotations

import socket
import threading
from typing import Any

from .replies import PATIENCE, Gate, Trickle, TrickleKind
from .wire import Request, path_only


class FakeServerBase:
    CHAT_PATH = "/api/chat"
    _server: Any
    _thread: threading.Thread | None

    def stop(self) -> None:
        """Stop quickly: streaming handlers notice the stop event between chunks, idle keep-alive
        connections are shut down so their threads stop waiting for another request."""
        server, self._server = self._server, None
        if server is not None:
            self._stop.set()
            stop_quickly(server, self._lock, self._connections)
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._server.server_address[1])

    @property
    def host_port(self) -> str:
        """"127.0.0.1:PORT" (what OLLAMA_HOST takes)."""
        return f"{self.host}:{self.port}"

    def release(self) -> None:
        """Release every gate of this server's replies and holds (`Gate.release()` releases one)."""
        with self._lock:
            gates = list(self._gates)
        for gate in gates:
            gate.release()

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    @property
    def pending_replies(self) -> int:
        """Queued replies not yet consumed: 0 at the end of a test that used them all."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[Any]:
        """The parsed JSON bodies of the chat requests (POST to CHAT_PATH), oldest first."""
        return [r.json for r in self.requests if r.method == "POST" and path_only(r.path) == self.CHAT_PATH
                and r.json is not None]

    @property
    def last_chat(self) -> Any:
        """The last chat request's body, or None."""
        chats = self.chat_requests
        return chats[-1] if chats else None

    @property
    def disconnects(self) -> int:
        """How many times a client hung up before its reply was complete."""
        with self._lock:
            return self._disconnects

    def most_in_flight(self, path: str) -> int:
        """The most requests to `path` the server was answering at one time (from arrival to the last byte)."""
        with self._lock:
            return self._most_in_flight.get(path, 0)

    def _arrive(self, path: str, change: int) -> None:
        with self._lock:
            now = self._in_flight[path] = self._in_flight.get(path, 0) + change
            self._most_in_flight[path] = max(now, self._most_in_flight.get(path, 0))

    def wait_for_requests(self, n: int, timeout: float = PATIENCE, *, path: str | None = None) -> bool:
        """Wait until at least `n` requests (to `path`, if given) have arrived. False on timeout."""
        def count() -> int:
            return sum(1 for r in self._requests if path is None or path_only(r.path) == path)
        with self._changed:
            return self._changed.wait_for(lambda: count() >= n, timeout)

    def wait_for_disconnect(self, timeout: float = PATIENCE, count: int = 1) -> bool:
        """Wait until `count` client disconnects have been seen. False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._disconnects >= count, timeout)

    def trickle_next(self, path: str, kind: TrickleKind, *, every: float = 0.05, method: str | None = None) -> Gate:
        """Answer the next request to `path` (any method unless `method`) by keeping the client waiting for
        ever, sending just enough, `every` seconds, to reset a timeout per read: "headers" a byte of the
        response's head at a time, never its end; "body" the head at once, then the body a byte at a time
        (a line that never ends, or a whole answer that never completes); "comments" (SSE) the head and a
        first event with nothing in it, then a `: ping` comment each time. It ends when the client hangs up
        (counted in `disconnects`) or the server stops. The gate counts what was sent (bytes, or comments)."""
        gate = Gate()
        with self._lock:
            self._trickles.append((method.upper() if method else None, path, Trickle(kind, every, gate)))
        return gate

    def _take_trickle(self, method: str, path: str) -> Trickle | None:
        with self._lock:
            for i, (want_method, want_path, trickle) in enumerate(self._trickles):
                if want_path == path and want_method in (None, method):
                    del self._trickles[i]
                    return trickle
        return None

    def _enqueue(self, reply: Any) -> Gate:
        with self._lock:
            self._queue.append(reply)
            self._gates.append(reply.gate)
        return reply.gate

    def _take_hold(self, method: str, path: str) -> Gate | None:
        with self._lock:
            for i, (want_method, want_path, gate) in enumerate(self._holds):
                if want_path == path and want_method in (None, method):
                    del self._holds[i]
                    return gate
        return None

    def _override_for(self, method: str, path: str) -> Any:
        with self._lock:
            return self._overrides.get((method, path)) or self._overrides.get((None, path))

    def _record(self, request: Request) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
        if getattr(self, "_log", None):
            self._log(f"{request.method} {request.path} {request.body[:200].decode('utf-8', 'replace')}")

    def _record_disconnect(self) -> None:
        with self._changed:
            self._disconnects += 1
            self._changed.notify_all()
        if getattr(self, "_log", None):
            self._log("client disconnected mid-reply")

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)


def stop_quickly(server: Any, lock: Any, connections: set[socket.socket]) -> None:
    """Shut a threading HTTP server down at once (shared with fake_openai): shutdown() waits for
    serve_forever() to wake from its poll, so a throwaway connection wakes it now; open connections are shut
    so their handler threads stop waiting for another request."""
    waiter = threading.Thread(target=server.shutdown, daemon=True)
    waiter.start()
    while waiter.is_alive():
        try:
            socket.create_connection(server.server_address[:2], timeout=0.5).close()
        except OSError:
            pass
        waiter.join(0.02)
    with lock:
        open_connections = list(connections)
    for conn in open_connections:
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    server.server_close()
