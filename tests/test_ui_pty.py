"""The terminal renderer in a real pseudo-terminal: a reply three screens long, streamed in small chunks with
real time passing, must leave each of its lines exactly once across the scrollback and the screen. The child
process imports only ollama_chat.ui (and rich)."""

from __future__ import annotations

import io
import os
import sys

import pytest
from helpers import spawn_in_pty
from ui_helpers import REPO

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

from rich.console import Console  # noqa: E402

from ollama_chat.ui.terminal import TerminalOutput  # noqa: E402

COLUMNS, ROWS = 80, 24

DRIVER = r"""
import sys, time
from rich.console import Console
from ollama_chat.ui.terminal import TerminalOutput

thinking, reply_text = open(sys.argv[1], encoding="utf-8").read().split("\x00")
reply = TerminalOutput(Console()).reply()
try:
    for i in range(0, len(thinking), 9):
        reply.thinking(thinking[i : i + 9])
        time.sleep(0.001)
    for i in range(0, len(reply_text), 7):
        reply.content(reply_text[i : i + 7])
        time.sleep(0.002 if i % 3 else 0)
finally:
    reply.finish()
"""

THINKING = "The user wants a long answer.\nI will write lists, code and a table.\n"

REPLY = "\n\n".join(
    [
        "# Three screens",
        "An opening paragraph that is long enough to wrap across more than one line of an eighty column terminal.",
        "\n".join(f"- list item {i:02d}" for i in range(30)),  # taller than the screen while it streams
        "```python\n" + "\n".join(f"print('line {i:02d}')  # 한국어 {i}" for i in range(30)) + "\n```",
        "| col | 설명 |\n|---|---|\n" + "\n".join(f"| r{i:02d} | 셀 {i} |" for i in range(8)),
        "\n\n".join(f"Paragraph {i:02d}: 한국어와 English가 섞인 문장입니다." for i in range(12)),
        "The end.",
    ]
)


def expected_lines() -> list[str]:
    """The same reply through the same renderer on a console that animates nothing: what must remain."""
    console = Console(file=io.StringIO(), width=COLUMNS, height=ROWS, color_system=None)
    reply = TerminalOutput(console).reply()
    reply.thinking(THINKING)
    reply.content(REPLY)
    reply.finish()
    lines = [line.rstrip() for line in console.file.getvalue().split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def screen_and_scrollback(data: bytes) -> list[str]:
    screen = pyte.HistoryScreen(COLUMNS, ROWS, history=10_000)
    pyte.ByteStream(screen).feed(data)
    rows = ["".join(line[x].data for x in range(COLUMNS)).rstrip() for line in screen.history.top]
    rows += [row.rstrip() for row in screen.display]
    while rows and not rows[-1]:
        rows.pop()
    return rows


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_three_screens_in_a_pty_leave_each_line_exactly_once(tmp_path):
    script = tmp_path / "reply.txt"
    script.write_text(THINKING + "\x00" + REPLY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    child = spawn_in_pty(sys.executable, ["-c", DRIVER, str(script)], env, rows=ROWS, columns=COLUMNS, encoding=None,
                         cwd=str(REPO))
    data = child.read()  # until EOF
    child.close()
    assert child.exitstatus == 0, data.decode("utf-8", "replace")[-2000:]

    expected = expected_lines()
    assert len(expected) > 3 * ROWS
    rows = screen_and_scrollback(data)
    assert rows == expected
    for i in range(30):  # and so, in particular, each of these exactly once
        assert sum(f"list item {i:02d}" in row for row in rows) == 1
        assert sum(f"line {i:02d}" in row for row in rows) == 1
    assert b"\x1b[?2026h" in data  # frames were drawn live, not just printed at the end
