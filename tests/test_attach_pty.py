"""`@path` with Tab completion in the installed `ollama-chat`, in a real pseudo-terminal."""

from __future__ import annotations

import pexpect

from helpers import BIN, spawn_in_pty, user_env

PROMPT = "monk> "


def test_tab_completes_a_path_after_at_and_the_file_goes_with_the_message(tmp_path, fake_ollama):
    (tmp_path / "회의록-11월.md").write_text("# 11월 회의\n- 예산 확정\n", encoding="utf-8")
    env = user_env(tmp_path / "home", fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    child = spawn_in_pty(str(BIN), ["-p", "monk"], env, cwd=str(tmp_path))
    try:
        child.expect_exact(PROMPT)
        child.send("요약해 줘 @회의")
        child.send("\t")  # the only match: completed in place
        child.expect_exact("11월.md")
        child.send("\r")
        child.expect_exact("📎 회의록-11월.md")
        child.expect_exact("echo: 회의록-11월.md:")
        child.expect_exact(PROMPT)
        assert fake_ollama.last_chat["messages"][-1]["content"] == (
            "회의록-11월.md:\n```\n# 11월 회의\n- 예산 확정\n```\n\n요약해 줘 @회의록-11월.md")
        child.send("/history\r")
        child.expect_exact("📎 회의록-11월.md (")
        child.expect_exact(PROMPT)
        child.send("끝\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
