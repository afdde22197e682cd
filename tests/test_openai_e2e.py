"""The same client on an OpenAI-compatible server: the end-to-end paths that run against the fake Ollama, run
against our fake OpenAI-compatible server (SSE), through the CLI and the installed command."""

from __future__ import annotations

import sqlite3

import pexpect
import pytest

from helpers import BIN, run_cli, spawn_in_pty, user_env
from test_session import screen

from fake_openai import DEFAULT_MODEL

KEY = "sk-test-0123456789abcdef"
MONK = "당신은 75세의 불교 스님입니다."


def test_a_piped_question_is_answered_byte_for_byte_and_thinking_is_not_piped(tmp_path, fake_openai):
    fake_openai.api_key = KEY
    fake_openai.reply(["**굵", "게** 그리고 `코드`", "\n- 목록"], reasoning=["먼저 ", "생각합니다"])
    env = user_env(tmp_path, "127.0.0.1:9", OPENAI_API_KEY=KEY)
    result = run_cli(["--host", fake_openai.url, "-m", DEFAULT_MODEL], env, stdin="딕셔너리는?\n".encode())
    assert result.returncode == 0, result.stderr
    assert result.stdout == "**굵게** 그리고 `코드`\n- 목록\n".encode()
    request = fake_openai.requests[-1]
    assert request.headers.get("Authorization") == f"Bearer {KEY}"
    body = request.json
    assert body["model"] == DEFAULT_MODEL and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"][-1] == {"role": "user", "content": "딕셔너리는?"}
    assert body["messages"][0]["role"] == "system"


def test_personas_and_history_and_the_store(cli, fake_openai, tmp_path):
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "-p", "monk", "내 이름은 철수야")
    assert code == 0, err
    assert out == "echo: 내 이름은 철수야\n"
    assert MONK in fake_openai.last_chat["messages"][0]["content"]
    code, out, err = cli("--host", fake_openai.url, "-c", "내 이름이 뭐였지?")
    assert code == 0, err
    messages = fake_openai.last_chat["messages"]
    assert [m["content"] for m in messages[1:]] == ["내 이름은 철수야", "echo: 내 이름은 철수야", "내 이름이 뭐였지?"]
    assert fake_openai.last_chat["model"] == DEFAULT_MODEL  # the resumed conversation's model
    code, out, err = cli("history")
    assert "\t2\t내 이름은 철수야" in out
    db = sqlite3.connect(tmp_path / "data" / "ollama-chat" / "conversations.db")
    assert db.execute("SELECT count(*) FROM exchanges").fetchone()[0] == 2


def test_the_key_comes_from_the_variable_the_config_names_and_a_refusal_names_it(cli, fake_openai, tmp_path):
    fake_openai.api_key = KEY
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('api_key_env = "LAB_KEY"\n')
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "안녕", LAB_KEY=KEY)
    assert code == 0, err
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "안녕", LAB_KEY="sk-wrong-key-999")
    assert code == 1 and "LAB_KEY" in err and "sk-wrong-key-999" not in err
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "안녕")
    assert code == 1 and "LAB_KEY" in err


def test_a_named_server_brings_host_api_key_variable_and_model(cli, fake_openai, tmp_path):
    fake_openai.api_key = KEY
    fake_openai.add_model("Qwen/Qwen2.5-7B-Instruct", 8192)
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    host = fake_openai.root  # no /v1: api = "openai" says which API
    (config / "config.toml").write_text(f'[servers.lab]\napi = "openai"\nhost = "{host}"\napi_key_env = "LAB_API_KEY"\n'
                                        'model = "Qwen/Qwen2.5-7B-Instruct"\n')
    code, out, err = cli("--server", "lab", "질문", LAB_API_KEY=KEY)
    assert code == 0, err
    assert fake_openai.last_chat["model"] == "Qwen/Qwen2.5-7B-Instruct"
    code, out, err = cli("--server", "lap", "질문")
    assert code == 2 and "No server named 'lap'" in err and "lab" in err
    code, out, err = cli("models", "--server", "lab", LAB_API_KEY=KEY)
    assert code == 0 and "Qwen/Qwen2.5-7B-Instruct\t" in out and "8192" in out


def test_a_missing_model_lists_what_the_server_has_and_pull_is_refused_clearly(cli, fake_openai):
    code, out, err = cli("--host", fake_openai.url, "-m", "llama3.2", "안녕")
    assert code == 1 and "llama3.2" in err and DEFAULT_MODEL in err
    code, out, err = cli("--host", fake_openai.url, "-m", "llama3.2", "--pull", "안녕")
    assert code == 1 and "Traceback" not in err
    code, out, err = cli("models", "pull", "llama3.2", "--host", fake_openai.url)
    assert code != 0 and err.strip()


def test_options_the_api_cannot_take_are_refused_by_name(cli, fake_openai):
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "-o", "num_gpu=1", "안녕")
    assert code == 2 and "num_gpu" in err
    assert fake_openai.chat_requests == []


def test_the_repl_keeps_history_and_says_what_the_server_has(fake_openai, tmp_path):
    from test_session import make_chat

    from ollama_chat.backends.openai import OpenAIBackend
    from ollama_chat.chat.settings import Flags
    from ollama_chat.ui.commands import handle_line

    chat = make_chat(fake_openai, tmp_path, flags=Flags(host=fake_openai.url, model=DEFAULT_MODEL))
    assert isinstance(chat.session.backend, OpenAIBackend)
    handle_line(chat, "첫 질문")
    handle_line(chat, "두 번째")
    assert [m["content"] for m in fake_openai.last_chat["messages"][1:]] == ["첫 질문", "echo: 첫 질문", "두 번째"]
    start = len(screen(chat))  # what /model says, not what was on the screen before (the spinner named the model)
    handle_line(chat, "/model nothing-here")
    said = screen(chat)[start:]
    assert "nothing-here" in said and DEFAULT_MODEL in said and "/pull" not in said


def test_ctrl_c_mid_reply_in_the_installed_command(tmp_path, fake_openai):
    env = user_env(tmp_path, fake_openai.url, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1")
    gate = fake_openai.reply([f"줄 {i}번입니다.\n\n" for i in range(100)], hold_after=1)
    child = spawn_in_pty(str(BIN), ["-p", "monk", "-m", DEFAULT_MODEL], env)
    try:
        child.expect_exact("monk> ")
        child.send("길게 말해 줘\r")
        child.expect_exact("줄 0번입니다.")
        child.sendintr()
        child.expect_exact("interrupted")
        assert fake_openai.wait_for_disconnect()
        child.expect_exact("monk> ")
        child.send("방금 뭐라고 했지?\r")
        child.expect_exact("echo: 방금 뭐라고 했지?")
        partial = fake_openai.last_chat["messages"][-2]["content"]
        assert partial.startswith("줄 0번입니다.") and "줄 1번" not in partial
        assert not gate.complete
        child.send("끝\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.skipif("not __import__('os').environ.get('OLLAMA_CHAT_TEST_OPENAI_URL')",
                    reason="set OLLAMA_CHAT_TEST_OPENAI_URL (and OLLAMA_CHAT_TEST_OPENAI_MODEL) to try a real server")
def test_a_real_openai_compatible_server(tmp_path):
    import os

    env = user_env(tmp_path, os.environ["OLLAMA_CHAT_TEST_OPENAI_URL"], OPENAI_API_KEY=os.environ.get("OPENAI_API_KEY", ""))
    model = os.environ.get("OLLAMA_CHAT_TEST_OPENAI_MODEL")
    args = ["--api", "openai", "--temperature", "0", *(["-m", model] if model else []), "Say OK."]
    result = run_cli(args, env, stdin=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_continuing_a_conversation_goes_back_to_its_named_server_only(cli, fake_openai, tmp_path):
    fake_openai.api_key = KEY
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[servers.lab]\nhost = "{fake_openai.url}"\napi_key_env = "LAB_API_KEY"\n')
    code, out, err = cli("--server", "lab", "-m", DEFAULT_MODEL, "첫 질문", LAB_API_KEY=KEY)
    assert code == 0, err
    code, out, err = cli("-c", "이어서", LAB_API_KEY=KEY)  # no flag: the stored conversation names the server
    assert code == 0, err
    assert [m["content"] for m in fake_openai.last_chat["messages"][1:]] == ["첫 질문", "echo: 첫 질문", "이어서"]
    assert fake_openai.requests[-1].headers.get("authorization") == f"Bearer {KEY}"
    code, out, err = cli("history", "export", "--format", "json")
    assert '"server": {\n    "name": "lab"\n  }' in out and "LAB_API_KEY" not in out
    saved = tmp_path / "t.json"
    saved.write_text(out)
    code, out, err = cli("--resume", str(saved), "파일에서", LAB_API_KEY=KEY)
    assert code == 0, err
    assert fake_openai.last_chat["messages"][-1]["content"] == "파일에서"


def test_a_conversation_held_on_an_unnamed_host_needs_the_host_again(cli, fake_openai, fake_ollama):
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "첫 질문", OPENAI_API_KEY=KEY)
    assert code == 0, err
    asked = len(fake_openai.requests)
    fake_ollama.add_model(DEFAULT_MODEL)
    code, out, err = cli("-c", "이어서", OPENAI_API_KEY=KEY)
    assert code == 0, err
    assert f"held on another server ({fake_openai.url})" in err and "--host HOST goes back to it" in err
    assert len(fake_openai.requests) == asked and fake_ollama.last_chat["messages"][-1]["content"] == "이어서"
    code, out, err = cli("--host", fake_openai.url, "-c", "다시", OPENAI_API_KEY=KEY)
    assert code == 0, err
    assert fake_openai.last_chat["messages"][-1]["content"] == "다시"


def test_the_servers_window_is_known_before_sending_and_the_hint_fits_a_fixed_window(cli, fake_openai):
    fake_openai.add_model("tiny/model", 256)
    code, out, err = cli("--host", fake_openai.url, "-m", "tiny/model", "긴 질문입니다. " * 300)
    assert code == 2 and "256-token context window" in err and "--max-model-len" in err and "--num-ctx" not in err
    assert fake_openai.chat_requests == []  # known from /v1/models: nothing was sent to be refused


def test_a_listed_model_the_server_refuses_shows_the_servers_words(cli, fake_openai):
    fake_openai.reply_status(404, {"error": {"message": "The model is still loading", "type": "NotFoundError",
                                            "param": None, "code": 404}})
    code, out, err = cli("--host", fake_openai.url, "-m", DEFAULT_MODEL, "안녕")
    assert code == 1 and "The model is still loading" in err and "is not available" not in err


def test_a_password_in_the_host_is_refused_and_not_echoed(cli, fake_openai):
    code, out, err = cli("--host", "http://me:hunter2@127.0.0.1:9/v1", "안녕")
    assert code == 2 and "user name or password" in err and "hunter2" not in err


def test_think_on_and_off_say_what_this_server_can_do(fake_openai, tmp_path):
    from test_session import make_chat

    from ollama_chat.chat.settings import Flags
    from ollama_chat.ui.commands import handle_line

    chat = make_chat(fake_openai, tmp_path, flags=Flags(host=fake_openai.url, model=DEFAULT_MODEL))
    handle_line(chat, "/think off")
    assert "no switch to turn thinking off" in screen(chat) and chat.session.settings.think is None
    handle_line(chat, "/think high")
    handle_line(chat, "생각해 봐")
    assert fake_openai.last_chat["reasoning_effort"] == "high"


def test_models_in_a_terminal_leave_out_what_the_server_does_not_say(cli, fake_openai):
    code, out, err = cli("models", "--host", fake_openai.url, tty=True)
    assert code == 0 and DEFAULT_MODEL in out and "32,768" in out
    assert "Size" not in out and "Quant" not in out and "Also can" not in out


def test_forgetting_v1_points_at_it(cli, fake_openai):
    code, out, err = cli("--host", fake_openai.root, "안녕")  # no /v1: Ollama's API is tried, and not found
    assert code == 1 and "does not look like Ollama" in err and "with /v1, or --api openai" in err


def test_show_counts_each_reply_once(fake_openai, tmp_path):
    from test_session import make_chat

    from ollama_chat.chat.settings import Flags
    from ollama_chat.ui.commands import handle_line

    chat = make_chat(fake_openai, tmp_path, flags=Flags(host=fake_openai.url, model=DEFAULT_MODEL))
    handle_line(chat, "한 번만 물어봅니다, 충분히 긴 질문으로요.")
    handle_line(chat, "/show")
    assert "counted in 1 reply" in " ".join(screen(chat).split())
