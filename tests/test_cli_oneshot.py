"""One-shot mode end to end: the installed command, a piped question, the fake Ollama server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import BIN, PATIENCE, default_signals, ignoring, run_cli, user_env

ASSISTANT_PROMPT = "당신은 친절한 AI 어시스턴트입니다.\n항상 존댓말을 사용하고, 도움이 되는 답변을 제공하세요."


@pytest.fixture
def env(tmp_path, fake_ollama):
    return user_env(tmp_path, fake_ollama.host_port)


def recorded_text(path):
    """The answer a recorded stream carries: its content pieces joined."""
    return "".join(json.loads(line)["message"]["content"] for line in path.read_text().splitlines())


def no_traceback(result):
    assert b"Traceback" not in result.stderr, result.stderr.decode()


def test_piped_question_is_answered_byte_for_byte(env, fake_ollama):
    fake_ollama.reply(["**굵게**", " 그리고 `코드`", "\n- 목록"])
    result = run_cli([], env, stdin="파이썬에서 딕셔너리를 만드는 방법은?\n".encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout == "**굵게** 그리고 `코드`\n- 목록\n".encode()
    body = fake_ollama.last_chat
    assert body["model"] == "llama3.2:latest" and body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": ASSISTANT_PROMPT},
        {"role": "user", "content": "파이썬에서 딕셔너리를 만드는 방법은?"},
    ]
    assert body["options"] == {"temperature": 0.7, "top_p": 0.9, "top_k": 40}


def test_recorded_stream_is_reproduced_exactly(env, fake_ollama, fixtures_dir):
    path = fixtures_dir / "markdown-code.ndjson"
    fake_ollama.replay(path)
    expected = recorded_text(path)
    result = run_cli(["정렬 방법"], env, stdin=None)
    assert result.returncode == 0
    assert result.stdout.decode() == expected + ("" if expected.endswith("\n") else "\n")
    assert b"\x1b" not in result.stdout


def test_persona_and_flags_reach_the_request(env, fake_ollama, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object", "properties": {"category": {"type": "string"}}}')
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    args = ["-p", "monk", "-m", "qwen3:8b", "--temperature", "0.1", "--top-k", "5", "--option", "num_ctx=8192",
            "--seed", "42", "--format", str(schema), "--think", "high", "요즘 스트레스를 많이 받고 있어요."]
    result = run_cli(args, env, stdin=None)
    assert result.returncode == 0, result.stderr
    body = fake_ollama.last_chat
    assert body["model"] == "qwen3:8b"
    assert body["messages"][0]["content"].startswith("당신은 75세의 불교 스님입니다.")
    assert body["messages"][1] == {"role": "user", "content": "요즘 스트레스를 많이 받고 있어요."}
    assert body["options"] == {"temperature": 0.1, "top_p": 0.9, "top_k": 5, "num_ctx": 8192, "seed": 42}
    assert body["format"] == {"type": "object", "properties": {"category": {"type": "string"}}}
    assert body["think"] == "high"


def test_preset_system_and_sentiment_examples(env, fake_ollama):
    result = run_cli(["-p", "sentiment", "--preset", "creative", "--system", "한 단어로.", "이 영화는 최고였어요!"], env, stdin=None)
    assert result.returncode == 0, result.stderr
    body = fake_ollama.last_chat
    assert [m["content"] for m in body["messages"]] == [
        "한 단어로.", "오늘 정말 기분이 좋아요!", "긍정", "비가 와서 우울해요.", "부정", "이 영화는 최고였어요!"
    ]
    assert body["options"] == {"temperature": 1.0, "top_p": 0.95, "top_k": 100, "num_predict": 8}


def test_stdin_then_blank_line_then_prompt(env, fake_ollama):
    result = run_cli(["-p", "coder", "요약해 주세요"], env, stdin="첫 줄\n둘째 줄\n".encode())
    assert result.returncode == 0
    assert fake_ollama.last_chat["messages"][-1]["content"] == "첫 줄\n둘째 줄\n\n요약해 주세요"


def test_no_stream(env, fake_ollama):
    fake_ollama.reply("한 번에 옵니다")
    result = run_cli(["--no-stream", "q"], env, stdin=None)
    assert result.stdout == "한 번에 옵니다\n".encode() and fake_ollama.last_chat["stream"] is False


def test_config_file_and_environment(env, fake_ollama, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('model = "qwen3:8b"\npersona = "librarian"\n[options]\nnum_ctx = 2048\n')
    fake_ollama.add_model("qwen3:8b")
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 0, result.stderr
    body = fake_ollama.last_chat
    assert body["model"] == "qwen3:8b" and body["options"]["num_ctx"] == 2048
    assert body["messages"][0]["content"].startswith("당신은 도서관 사서입니다.")


def test_user_persona_file_overrides_builtin(env, fake_ollama, tmp_path):
    folder = tmp_path / ".config" / "ollama-chat" / "personas"
    folder.mkdir(parents=True)
    (folder / "monk.md").write_text("+++\ndescription = '내 스님'\n[options]\nseed = 7\n+++\n나만의 스님입니다.", encoding="utf-8")
    result = run_cli(["-p", "monk", "q"], env, stdin=None)
    assert result.returncode == 0
    assert fake_ollama.last_chat["messages"][0]["content"] == "나만의 스님입니다."
    listing = run_cli(["--list-personas"], env, stdin=None)
    assert listing.returncode == 0
    out = listing.stdout.decode()
    assert "monk" in out and "내 스님" in out and "overrides the built-in" in out and "coder" in out and "built-in" in out


# -- failures: message, exit code, no traceback ----------------------------------------------------


def test_empty_input_is_a_usage_error(env):
    result = run_cli([], env, stdin=b"  \n")
    assert result.returncode == 2 and b"question is empty" in result.stderr
    no_traceback(result)


def test_server_down(tmp_path):
    env = user_env(tmp_path, "127.0.0.1:9")
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 1
    assert b"Cannot reach Ollama at http://127.0.0.1:9" in result.stderr and b"ollama serve" in result.stderr
    no_traceback(result)


def test_unknown_model(env):
    result = run_cli(["-m", "mistral", "q"], env, stdin=None)
    assert result.returncode == 1 and b"ollama-chat models pull mistral" in result.stderr
    no_traceback(result)


def test_mid_stream_error_keeps_what_was_shown(env, fake_ollama):
    fake_ollama.reply(["여기까지는 ", "보입니다", " 안 보임"], error_after=2)
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("여기까지는 보입니다")
    assert b"incomplete" in result.stderr and b"an error was encountered while running the model" in result.stderr
    no_traceback(result)


def test_cut_connection(env, fake_ollama):
    fake_ollama.reply("잘린 답변입니다 정말로", cut_after=2, cut_mode="reset")
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 1 and b"incomplete" in result.stderr
    no_traceback(result)


def test_not_ollama(env, fake_ollama):
    fake_ollama.reply_status(200, "<html>hi</html>", content_type="text/html")
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 1 and b"does not look like Ollama" in result.stderr
    no_traceback(result)


def test_read_timeout(env, fake_ollama):
    fake_ollama.reply("late", hold_after=0)  # never answers (the gate is not released): the timeout must run out
    result = run_cli(["--timeout", "0.5", "q"], env, stdin=None)
    assert result.returncode == 1 and b"sent nothing for 0.5 s" in result.stderr and b"--timeout" in result.stderr
    no_traceback(result)


def test_think_on_a_model_that_cannot(env):
    result = run_cli(["--think", "q"], env, stdin=None)
    assert result.returncode == 1 and b"does not support thinking" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--top-p", "1.5", "q"], b"between 0 and 1"),
        (["--top-k", "-1", "q"], b"between 1 and 2,147,483,647"),
        (["--option", "temprature=1", "q"], b"Did you mean 'temperature'"),
        (["--preset", "fast", "q"], b"Unknown preset 'fast'"),
        (["--format", "nope.json", "q"], b"neither 'json' nor an existing JSON Schema file"),
        (["-p", "nope", "q"], b"no persona named 'nope'"),
        (["-p", "../ollama-chat-no-such-folder/x.md", "q"], b"does not exist"),
        (["--bogus"], b"No such option"),
    ],
)
def test_bad_usage_exits_2(env, args, words):
    result = run_cli(args, env, stdin=None)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr
    no_traceback(result)


def test_broken_persona_file(env, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("+++\ndescription = 'x'\n[options]\ntop_k = 'many'\n+++\nbody")
    result = run_cli(["-p", str(bad), "q"], env, stdin=None)
    assert result.returncode == 2 and f"{bad}, line 4".encode() in result.stderr
    no_traceback(result)


def test_non_utf8_input_is_replaced_with_a_warning(env, fake_ollama):
    result = run_cli([], env, stdin="caf".encode() + b"\xe9 \xff \xec\x95\x88\xeb\x85\x95")
    assert result.returncode == 0
    assert b"not valid UTF-8" in result.stderr and b"offset 3" in result.stderr
    assert fake_ollama.last_chat["messages"][-1]["content"] == "caf\ufffd \ufffd 안녕"


def test_closed_pipe_ends_quietly(env, fake_ollama):
    fake_ollama.reply(["첫째 줄\n", "둘째 줄\n"] + [f"{i}번째 줄\n" for i in range(3, 3000)])
    proc = subprocess.run(
        f'"{BIN}" q | head -1; echo "status=${{PIPESTATUS[0]}}" >&2',
        shell=True, executable="/bin/bash", env=env, capture_output=True, timeout=30,
    )
    assert proc.stdout.decode() == "첫째 줄\n"
    assert proc.stderr.decode().strip() == "status=0"


def test_ctrl_c_stops_the_reply_and_the_stream(env, fake_ollama):
    fake_ollama.reply(["조각 "] * 400, hold_after=3)  # 3 pieces go out, the rest waits: surely mid-reply
    proc = subprocess.Popen([str(BIN), "q"], env={**env, "PYTHONFAULTHANDLER": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=default_signals)
    assert proc.stdout.read(5)  # the reply has started
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:  # say where it hangs: faulthandler prints every thread's stack on SIGABRT
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=PATIENCE)
        pytest.fail(f"Ctrl+C did not end it within {PATIENCE:g} s:\n" + err.decode("utf-8", "replace"))
    assert proc.returncode == 130
    assert fake_ollama.wait_for_disconnect()
    assert b"Traceback" not in err


@pytest.mark.parametrize("started_with", ["SIGINT", "SIGHUP"])
def test_a_signal_ignored_when_it_starts_stays_ignored(env, fake_ollama, started_with):
    """`ollama-chat q > answer &` in a script starts with SIGINT ignored, so that a Ctrl+C aimed at the job in
    the foreground does not stop it; `nohup ollama-chat q > answer &` starts with SIGHUP ignored, so that the
    answer outlives the terminal. Whoever started it asked for that: the whole answer is written."""
    gate = fake_ollama.reply(["조각 "] * 50, hold_after=3)
    proc = subprocess.Popen([str(BIN), "q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=ignoring(started_with))
    head = os.read(proc.stdout.fileno(), 5)  # the reply has started (unbuffered: communicate reads the rest)
    proc.send_signal(getattr(signal, started_with))  # ignored: the kernel drops it as it is sent
    gate.release()
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    assert (head + out).decode() == "조각 " * 50 + "\n"


def test_version_and_help(env):
    assert run_cli(["--version"], env).stdout.startswith(b"ollama-chat ")
    help_text = run_cli(["--help"], env).stdout
    assert b"--persona" in help_text and b"--preset" in help_text


def test_answer_cut_by_length_is_marked_on_stderr_only(env, fake_ollama, fixtures_dir):
    path = fixtures_dir / "length-cut.ndjson"
    fake_ollama.replay(path)
    expected = recorded_text(path)
    result = run_cli(["a long story"], env, stdin=None)
    assert result.returncode == 0
    assert result.stdout.decode() == expected + "\n"
    assert b"[cut: the answer reached the length limit" in result.stderr
    verbose = run_cli(["-v", "a long story"], env, stdin=None)  # the echo reply: stats, no cut
    assert b"tokens" in verbose.stderr and b"[cut" not in verbose.stderr


def test_malformed_host_names_its_source(env):
    result = run_cli(["q"], {**env, "OLLAMA_HOST": "http://[::1"}, stdin=None)
    assert result.returncode == 2 and b"'http://[::1' (from OLLAMA_HOST) is malformed" in result.stderr
    no_traceback(result)


def test_unknown_persona_from_the_config_file_says_so(env, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('persona = "nosuch"\n')
    result = run_cli(["q"], env, stdin=None)
    assert result.returncode == 2 and b"no persona named 'nosuch'" in result.stderr
    assert f'persona = "nosuch" is set in {config / "config.toml"}'.encode() in result.stderr


def test_python_dash_m_from_the_source_checkout(env, fake_ollama):
    """In the checkout, `python -m ollama_chat` imports the source tree: the built-ins come from personas/."""
    repo = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", "ollama_chat", "-p", "monk", "q"], cwd=repo, env=env,
                            capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert fake_ollama.last_chat["messages"][0]["content"].startswith("당신은 75세의 불교 스님입니다.")


def test_thinking_goes_to_stderr_never_into_the_pipe(env, fake_ollama):
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    fake_ollama.reply("답은 42입니다.", thinking="먼저 생각해 보면…")
    result = run_cli(["-m", "qwen3:8b", "q"], env, stdin=None)
    assert result.stdout == "답은 42입니다.\n".encode()
    assert "먼저 생각해 보면…".encode() in result.stderr
    fake_ollama.reply("답", thinking="숨길 생각")
    hidden = run_cli(["-m", "qwen3:8b", "--hide-thinking", "--no-think", "q"], env, stdin=None)
    assert hidden.stdout == "답\n".encode() and "숨길 생각".encode() not in hidden.stderr
    assert fake_ollama.last_chat["think"] is False


def test_stdout_on_a_full_disk_is_one_message(env, fake_ollama):
    result = subprocess.run(f'"{BIN}" q > /dev/full', shell=True, env=env, capture_output=True, timeout=30)
    assert result.returncode == 1 and b"No space left on device" in result.stderr
    no_traceback(result)


def test_closed_stdin_and_stdout(env, fake_ollama):
    closed_in = subprocess.run(f'"{BIN}" q <&-', shell=True, env=env, capture_output=True, timeout=30)
    assert closed_in.returncode == 0 and closed_in.stdout == b"echo: q\n"
    closed_out = subprocess.run(f'"{BIN}" q >&-', shell=True, env=env, capture_output=True, timeout=30)
    assert closed_out.returncode == 2 and b"Standard output is closed" in closed_out.stderr
    no_traceback(closed_in)
    no_traceback(closed_out)
