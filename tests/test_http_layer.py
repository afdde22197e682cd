"""The one HTTP layer under both backends (`backends/http.py`): every failure a request can meet is told apart
there and handed to the backend's `Dialect` for its words, so a backend only brings its wire format and
wording. Also the one bounded line splitter under NDJSON and SSE, and the package's tidiness: each constant
defined once, every name imported from the module that defines it (no re-export shims)."""

from __future__ import annotations

import ast
import re
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_ollama import PATIENCE
from raw_http import NotHTTPServer

from ollama_chat.backends.base import BackendError, BadAddress, ReadTimeout, ServerUnreachable, WrongServer
from ollama_chat.backends.http import Client
from ollama_chat.backends.streaming import BadStream, LineSplitter

BACKENDS = Path(__file__).resolve().parent.parent / "ollama_chat" / "backends"


class Plain:
    """A third server's dialect: it only says which failure it was asked to word, and with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def _said(self, kind: type, what: str, *args: object) -> BackendError:
        self.calls.append((what, args))
        return kind(f"{what}: {args}")

    def server(self) -> str:
        return "Plain"

    def bad_address(self):
        return self._said(BadAddress, "bad address")

    def unreachable(self, reason):
        return self._said(ServerUnreachable, "unreachable", reason)

    def insecure(self, error):
        return None

    def failed(self, error):
        return self._said(BackendError, "failed", type(error).__name__)

    def not_http(self):
        return self._said(WrongServer, "not http")

    def redirect(self, url, status, location):
        return self._said(WrongServer, "redirect", url, status, location)

    def too_large(self, status, limit):
        return self._said(WrongServer, "too large", status, limit)

    def refused(self, response, model, body):
        return self._said(BackendError, "refused", response.status_code, model, body())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_third_dialect_gets_every_failure_told_apart(fake_openai):
    dialect = Plain()
    client = Client(fake_openai.url, PATIENCE, dialect)
    fake_openai.override("/v1/a", 302, "", "text/plain", headers={"Location": "https://elsewhere.example/b"})
    fake_openai.override("/v1/c", 500, '{"error": "boom"}')
    with pytest.raises(WrongServer):
        client.request("GET", "/a")
    with pytest.raises(BackendError):
        client.request("POST", "/c", model="m", json={})
    big = client.request("GET", "/models")
    with pytest.raises(WrongServer):
        client.body(big, 10)
    with pytest.raises(ServerUnreachable):
        Client(f"http://127.0.0.1:{closed_port()}", PATIENCE, dialect).request("GET", "/x")
    with pytest.raises(BadAddress):
        Client("http://a..b:1", PATIENCE, dialect).request("GET", "/x")
    with NotHTTPServer(b"HELLO\r\n") as server, pytest.raises(WrongServer):
        Client(f"http://{server.host_port}", PATIENCE, dialect).request("GET", "/x")
    assert dialect.calls == [
        ("redirect", (f"{fake_openai.url}/a", 302, "https://elsewhere.example/b")),
        ("refused", (500, "m", b'{"error": "boom"}')),
        ("too large", (200, 10)),
        ("unreachable", ("connection refused",)),
        ("bad address", ()),
        ("not http", ()),
    ]


def test_the_deadline_is_the_layers_and_the_dialect_names_the_server(fake_ollama):
    fake_ollama.reply("late", hold_after=0)  # never answers (the gate is not released): the timeout must run out
    client = Client(fake_ollama.url, 0.3, Plain())
    with pytest.raises(ReadTimeout) as e:
        client.request("POST", "/api/chat", json={"model": "llama3.2", "messages": []})
    assert e.value.message == "Plain sent nothing for 0.3 s." and e.value.silent and e.value.seconds == 0.3


def test_a_short_wait_never_outlasts_the_clients_timeout(fake_ollama):
    fake_ollama.reply("late", hold_after=0)
    with pytest.raises(ReadTimeout) as e:
        Client(fake_ollama.url, 0.3, Plain()).request("POST", "/api/chat", json={"model": "llama3.2", "messages": []},
                                                      timeout=60)
    assert e.value.seconds == 0.3


# -- one line splitter for NDJSON and SSE ---------------------------------------------------------------------

LINES = st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")), max_size=8)
ENDS = st.sampled_from([b"\n", b"\r\n", b"\r"])


def split_feeding(splitter: LineSplitter, stream: bytes, cuts: list[int]) -> list[bytes]:
    lines, start = [], 0
    for cut in sorted({min(c, len(stream)) for c in cuts}) + [len(stream)]:
        lines += splitter.feed(stream[start:cut])
        start = cut
    return [*lines, splitter.flush()]


TAIL = st.binary(max_size=5).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))  # an unended last line


@given(LINES, st.lists(ENDS, min_size=8, max_size=8), TAIL, st.lists(st.integers(0, 200), max_size=10))
def test_any_line_end_split_anywhere_gives_the_lines_the_standard_does(lines, ends, tail, cuts):
    """SSE's line ends (CRLF, LF, CR, a CRLF split across two reads), fed in any pieces: the same lines as the
    standard's reading of the whole stream at once."""
    stream = b"".join(line + end for line, end in zip(lines, ends)) + tail
    assert split_feeding(LineSplitter(any_end=True), stream, cuts) == re.split(rb"\r\n|\r|\n", stream)


@given(LINES, st.lists(st.integers(0, 200), max_size=10))
def test_ndjson_lines_end_with_lf_alone(lines, cuts):
    stream = b"\r\n".join(lines)  # a CR stays in the line: JSON's whitespace, stripped by the decoder
    assert split_feeding(LineSplitter(), stream, cuts) == stream.split(b"\n")


def test_each_format_says_its_own_limit():
    with pytest.raises(BadStream, match="a line longer than 1 MiB"):
        LineSplitter(1024 * 1024).feed(b"x" * (1024 * 1024 + 1))
    with pytest.raises(BadStream, match="an event longer than 1 MiB"):
        LineSplitter(1024 * 1024, any_end=True, too_long="the server sent an event longer than {size} MiB").feed(
            b"x" * (1024 * 1024 + 1))


# -- tidy: one definition, imported from where it lives -------------------------------------------------------


def top_level(path: Path) -> tuple[set[str], set[str]]:
    """(names a module defines, names it imports) at its top level."""
    defined, imported = set(), set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return defined, imported


def test_the_http_limits_are_defined_once():
    places = {name: [p.name for p in sorted(BACKENDS.glob("*.py")) if name in top_level(p)[0]]
              for name in ("CONNECT_TIMEOUT", "MAX_BODY", "MAX_ERROR_BODY", "MAX_LINE", "MAX_EVENT", "LISTED")}
    assert {name: where for name, where in places.items() if len(where) > 1} == {}


def test_every_backend_name_is_imported_from_the_module_that_defines_it():
    """No shim of names that live elsewhere: `from ollama_chat.backends.X import name` finds `name` defined in X."""
    package = BACKENDS.parent
    modules = {f"ollama_chat.backends.{p.stem}": top_level(p)[0] for p in BACKENDS.glob("*.py")}
    wrong = []
    for path in [*package.rglob("*.py"), *Path(__file__).parent.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                wrong += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name not in modules[node.module]]
    assert wrong == []
    assert not any("__all__" in top_level(p)[0] for p in BACKENDS.glob("*.py"))
