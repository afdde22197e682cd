"""The installed `ollama-chat` command in a real pseudo-terminal (end to end: cli, backend, renderer)."""

from __future__ import annotations

import sys

import pytest
from helpers import BIN, PATIENCE, spawn_in_pty, user_env

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

COLUMNS, ROWS = 80, 24


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_installed_command_streams_three_screens_each_line_once(tmp_path, fake_ollama):
    """`ollama-chat "..."` in a terminal, a reply three screens long in Korean: every line exactly once."""
    lines = [f"{i:03d}번째 줄입니다. 스크롤백에 정확히 한 번만 보여야 합니다." for i in range(3 * ROWS)]
    text = "\n".join(lines) + "\n"
    fake_ollama.reply([text[i : i + 5] for i in range(0, len(text), 5)], chunk_delay=0.002)
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    child = spawn_in_pty(str(BIN), ["질문"], env, rows=ROWS, columns=COLUMNS, encoding=None)
    output = b""
    while True:
        try:
            output += child.read_nonblocking(65536, timeout=PATIENCE)
        except pexpect.EOF:
            break
    child.close()
    assert child.exitstatus == 0
    screen = pyte.HistoryScreen(COLUMNS, ROWS, history=10_000)
    pyte.ByteStream(screen).feed(output)
    rows = ["".join(line[x].data for x in range(COLUMNS)).rstrip() for line in screen.history.top]
    rows += [row.rstrip() for row in screen.display]
    shown = [row for row in rows if "번째 줄입니다" in row]
    assert shown == lines
