"""A one-shot answer is stored even when its output goes away: a reader that closes the pipe early, stdout or
stderr on a full disk. The installed command, real pipes and /dev/full, the fake server."""

from __future__ import annotations

import subprocess

import pytest

from helpers import BIN, stored, user_env

PIECES = [f"조각{i} " for i in range(50)]


@pytest.fixture
def env(tmp_path, fake_ollama):
    return user_env(tmp_path, fake_ollama.host_port)


def full(stream: str, env, *args: str) -> subprocess.CompletedProcess:
    """`ollama-chat ARGS` with `stream` ("stdout", "stderr" or both) on /dev/full, the other captured."""
    with open("/dev/full", "wb") as dev_full:
        return subprocess.run([str(BIN), *args], env=env, stdin=subprocess.DEVNULL, timeout=30,
                              stdout=dev_full if "stdout" in stream else subprocess.PIPE,
                              stderr=dev_full if "stderr" in stream else subprocess.PIPE)


def test_stdout_on_a_full_disk_mid_reply_reads_the_answer_to_its_end_and_stores_it_whole(env, fake_ollama, tmp_path):
    fake_ollama.reply(PIECES)
    result = full("stdout", env, "질문")
    err = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in err
    assert "Cannot write the output: No space left on device." in err
    assert "The answer is saved all the same" in err
    assert stored(tmp_path) == [("질문", "".join(PIECES), 0)]


def test_stdout_on_a_full_disk_after_the_whole_answer_stores_it_whole(env, fake_ollama, tmp_path):
    fake_ollama.reply("한 번에 오는 답입니다.")
    result = full("stdout", env, "--no-stream", "질문")
    err = result.stderr.decode()
    assert result.returncode == 1 and "Cannot write the output: No space left on device." in err
    assert "The answer is saved all the same" in err and "Traceback" not in err
    assert stored(tmp_path) == [("질문", "한 번에 오는 답입니다.", 0)]


def test_a_reader_that_closes_the_pipe_early_still_gets_the_answer_stored_whole(env, fake_ollama, tmp_path):
    gate = fake_ollama.reply(PIECES, hold_after=1, chunk_delay=0.02)  # a slow model: 50 pieces take a second
    proc = subprocess.Popen([str(BIN), "질문"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = PIECES[0].encode()
    assert proc.stdout.read(len(first)) == first  # `| head -c 8`: the first piece read, then the reader goes away
    proc.stdout.close()
    gate.release()  # only now does the next piece come, and writing it fails
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and b"Traceback" not in err  # the reader had all it wanted
    assert stored(tmp_path) == [("질문", "".join(PIECES), 0)]  # read to its end without drawing: a finished answer
    assert fake_ollama.disconnects == 0


@pytest.mark.parametrize("stream", ["stderr", "stdout and stderr"])
def test_stderr_on_a_full_disk_loses_neither_the_answer_nor_the_exit_code(env, fake_ollama, tmp_path, stream):
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    fake_ollama.reply("답은 42입니다.", thinking="먼저 생각해 보면…")  # thinking and stats go to stderr
    result = full(stream, env, "-m", "qwen3:8b", "--verbose", "질문")
    if stream == "stderr":
        assert result.returncode == 0 and result.stdout == "답은 42입니다.\n".encode()
        assert stored(tmp_path) == [("질문", "답은 42입니다.", 0)]
    else:  # the answer could not be written anywhere: 1, and it is stored all the same, whole
        assert result.returncode == 1
        assert stored(tmp_path) == [("질문", "답은 42입니다.", 0)]
