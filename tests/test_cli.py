"""The command line in-process: flags, subcommands and usage errors, with an in-memory Environment. Only the
true end-to-end paths (pipes, signals, a real terminal) spawn the installed command (test_cli_oneshot.py)."""

from __future__ import annotations

import pytest

from ollama_chat.cli.main import main
from ollama_chat.environment import Environment



def test_flags_and_persona_reach_the_request(cli, fake_ollama, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object", "properties": {"category": {"type": "string"}}}')
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking"))
    code, out, err = cli("-p", "monk", "-m", "qwen3:8b", "--temperature", "0.1", "--top-k", "5", "--option", "num_ctx=8192",
                         "--seed", "42", "--format", str(schema), "--think", "high", "요즘 스트레스를 많이 받고 있어요.")
    assert code == 0, err
    body = fake_ollama.last_chat
    assert body["model"] == "qwen3:8b" and body["think"] == "high"
    assert body["messages"][0]["content"].startswith("당신은 75세의 불교 스님입니다.")
    assert body["messages"][1] == {"role": "user", "content": "요즘 스트레스를 많이 받고 있어요."}
    assert body["options"] == {"temperature": 0.1, "top_p": 0.9, "top_k": 5, "num_ctx": 8192, "seed": 42}
    assert body["format"] == {"type": "object", "properties": {"category": {"type": "string"}}}
    assert out == "echo: 요즘 스트레스를 많이 받고 있어요.\n"


@pytest.mark.parametrize(
    "args, think, question",
    [
        (["--think", "q"], True, "q"),
        (["--think", "low", "q"], "low", "q"),
        (["--think=medium", "q"], "medium", "q"),
        (["q", "--think"], True, "q"),
        (["--no-think", "q"], False, "q"),
        (["--think", "highly"], True, "highly"),  # not a level: it is the question
    ],
)
def test_think_takes_an_optional_level(cli, fake_ollama, args, think, question):
    fake_ollama.add_model("llama3.2:latest", capabilities=("completion", "thinking"))
    code, _, err = cli(*args)
    assert code == 0, err
    assert fake_ollama.last_chat["think"] == think and fake_ollama.last_chat["messages"][-1]["content"] == question


def test_preset_system_and_sentiment_examples(cli, fake_ollama):
    code, _, err = cli("-p", "sentiment", "--preset", "creative", "--system", "한 단어로.", "이 영화는 최고였어요!")
    assert code == 0, err
    body = fake_ollama.last_chat
    assert [m["content"] for m in body["messages"]] == [
        "한 단어로.", "오늘 정말 기분이 좋아요!", "긍정", "비가 와서 우울해요.", "부정", "이 영화는 최고였어요!"
    ]
    assert body["options"] == {"temperature": 1.0, "top_p": 0.95, "top_k": 100, "num_predict": 8}


def test_stdin_then_blank_line_then_prompt(cli, fake_ollama):
    code, _, _ = cli("-p", "coder", "요약해 주세요", stdin="첫 줄\n둘째 줄\n".encode())
    assert code == 0 and fake_ollama.last_chat["messages"][-1]["content"] == "첫 줄\n둘째 줄\n\n요약해 주세요"


def test_config_file_and_environment(cli, fake_ollama, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('model = "qwen3:8b"\npersona = "librarian"\n[options]\nnum_ctx = 2048\n')
    fake_ollama.add_model("qwen3:8b")
    code, _, err = cli("q")
    assert code == 0, err
    body = fake_ollama.last_chat
    assert body["model"] == "qwen3:8b" and body["options"]["num_ctx"] == 2048
    assert body["messages"][0]["content"].startswith("당신은 도서관 사서입니다.")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--top-p", "1.5", "q"], "between 0 and 1"),
        (["--top-k", "-1", "q"], "between 1 and 2,147,483,647"),
        (["--option", "temprature=1", "q"], "Did you mean 'temperature'"),
        (["--preset", "fast", "q"], "Unknown preset 'fast'"),
        (["--format", "nope.json", "q"], "neither 'json' nor an existing JSON Schema file"),
        (["-p", "nope", "q"], "no persona named 'nope'"),
        (["-p", "mnk", "q"], "Did you mean monk?"),
        (["-p", "../ollama-chat-no-such-folder/x.md", "q"], "does not exist"),
        (["-p", "~nosuchuser/x.md", "q"], "'~nosuchuser' is no user's home folder here"),
        (["--timeout", "nan", "q"], "positive number of seconds"),
        (["--timeout", "inf", "q"], "positive number of seconds"),
        (["--max-messages", "1", "q"], "at least 2"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_usage_exits_2(cli, args, words):
    code, _, err = cli(*args)
    assert code == 2, err
    assert words in err


def test_empty_input_is_a_usage_error(cli):
    code, _, err = cli(stdin=b"  \n")
    assert code == 2 and "question is empty" in err


def test_unknown_model_suggests_an_installed_one(cli, fake_ollama):
    fake_ollama.add_model("gemma3:1b")
    code, _, err = cli("-m", "gemma3", "q")
    assert code == 1 and "Did you mean gemma3:1b?" in err and "ollama pull" not in err
    code, _, err = cli("-m", "mistral", "q")
    assert code == 1 and "ollama-chat models pull mistral" in err


def test_malformed_host_names_its_source(cli):
    code, _, err = cli("q", OLLAMA_HOST="http://[::1")
    assert code == 2 and "'http://[::1' (from OLLAMA_HOST) is malformed" in err


def test_unknown_persona_from_the_config_file_says_so(cli, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('persona = "nosuch"\n')
    code, _, err = cli("q")
    assert code == 2 and "no persona named 'nosuch'" in err
    assert f'persona = "nosuch" is set in {config / "config.toml"}' in err


def test_errors_on_a_terminal_wrap_at_words_and_keep_paths_whole(cli, tmp_path):
    deep = tmp_path / ("긴폴더이름" * 4) / "persona.md"
    code, _, err = cli("-p", str(deep), "q", tty=True, columns=40, NO_COLOR="1")
    assert code == 2
    lines = err.rstrip("\n").split("\n")
    assert str(deep) in lines  # the path whole, on its own line, so it can be copied
    from ollama_chat.text import cell_width

    assert all(cell_width(line) <= 40 for line in lines if line != str(deep)), lines
    words = " ".join(err.split())
    assert f"Error: Persona file {deep} does not exist." in words  # no word was cut


def test_personas_subcommand_and_alias(cli, tmp_path):
    folder = tmp_path / ".config" / "ollama-chat" / "personas"
    folder.mkdir(parents=True)
    (folder / "할머니.md").write_text("+++\ndescription = '다정한 할머니'\n+++\n할머니입니다.", encoding="utf-8")
    code, out, err = cli("personas")
    assert code == 0 and "할머니\t다정한 할머니\t" in out and "monk\t" in out
    assert "Add your own as" in err
    assert cli("--list-personas")[1] == out


def test_personas_on_a_terminal_wrap_under_their_column(cli):
    code, out, _ = cli("personas", tty=True, columns=50)
    from ollama_chat.text import cell_width

    assert code == 0 and all(cell_width(line) <= 50 for line in out.splitlines())
    assert any(line.startswith(" " * 12) for line in out.splitlines())  # continuation lines are indented


def test_models_in_a_pipe_are_lines_starting_with_the_name(cli, fake_ollama):
    fake_ollama.add_model("qwen3:8b", capabilities=("completion", "thinking", "tools"), context_length=40960)
    code, out, _ = cli("models")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["llama3.2:latest", "qwen3:8b"]
    assert out.splitlines()[1].split("\t")[1:] == ["2019393189", "3.2B", "Q4_K_M", "40960", "tools,thinking", "2026-11-24"]
    assert cli("--list-models")[1] == out


def test_models_in_a_terminal_are_a_table(cli, fake_ollama):
    fake_ollama.add_model("llava", capabilities=("completion", "vision"))
    code, out, _ = cli("models", tty=True, columns=100)
    head, *rows = out.splitlines()
    assert head.split() == ["Name", "Size", "Params", "Quant", "Context", "Also", "can", "Modified"]
    assert rows[0].split()[:3] == ["llama3.2:latest", "2.0", "GB"] and "131,072" in rows[0]
    assert rows[1].split()[0] == "llava:latest" and "vision" in rows[1]


def test_models_pull_shows_each_step_and_a_bad_name_fails_plainly(cli, fake_ollama):
    code, out, err = cli("models", "pull", "qwen3:8b")
    assert code == 0 and err.splitlines()[0] == "pulling manifest" and "(1,000 bytes)" in err
    assert err.splitlines()[-2:] == ["removing any unused layers", "qwen3:8b is ready."] and "qwen3:8b" in cli("models")[1]
    fake_ollama.unpullable.add("nosuch")
    code, out, err = cli("models", "pull", "nosuch")
    assert code == 1 and "Pulling nosuch from" in err and "file does not exist" in err and "Traceback" not in err


def test_a_one_shot_question_pulls_a_missing_model_only_with_pull(cli, fake_ollama):
    code, out, err = cli("-m", "mistral", "안녕")
    assert code == 1 and "--pull" in err and not out
    code, out, err = cli("-m", "mistral", "--pull", "안녕")
    assert code == 0 and out == "echo: 안녕\n" and "mistral is ready." in err


def test_chat_subcommand_asks_a_word_that_names_a_command(cli, fake_ollama):
    code, out, _ = cli("chat", "models")
    assert code == 0 and out == "echo: models\n"


def test_version_and_help(cli):
    assert cli("--version")[1].startswith("ollama-chat ")
    code, out, _ = cli("--help")
    assert code == 0 and "--persona" in out and "--preset" in out and "ollama-chat personas" in out
    assert "--think [low|medium|high]" in out


def test_shell_completion_through_typer(tmp_path):
    """`ollama-chat --install-completion` installs Typer's completion; these are the answers it gets."""
    import subprocess

    from helpers import BIN

    def complete(words: str) -> list[str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "_OLLAMA_CHAT_COMPLETE": "complete_bash",
               "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        return subprocess.run([str(BIN)], env=env, capture_output=True, text=True, timeout=30).stdout.split()

    assert complete("ollama-chat mo") == ["models"]
    assert complete("ollama-chat --pers") == ["--persona"]
    assert complete("ollama-chat -p mo") == ["monk"]
    assert complete("ollama-chat -m x --th") == ["--think"]


def test_shell_completion_asks_the_server_and_the_persona_folder_the_environment_names(tmp_path, fake_ollama,
                                                                                      monkeypatch, capsys):
    """Completion reads $OLLAMA_HOST and the config folder from the Environment it is given, not the process's."""
    fake_ollama.add_model("zephyr:7b")
    personas = tmp_path / "config" / "ollama-chat" / "personas"
    personas.mkdir(parents=True)
    (personas / "zealot.md").write_text("---\ndescription: mine\n---\nBe keen.\n", encoding="utf-8")
    monkeypatch.delenv("OLLAMA_HOST", raising=False)  # the process's own environment names neither
    monkeypatch.setenv("_OLLAMA_CHAT_COMPLETE", "complete_bash")
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "OLLAMA_HOST": fake_ollama.host_port}

    def complete(words: str) -> list[str]:
        monkeypatch.setenv("COMP_WORDS", words)
        monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
        with pytest.raises(SystemExit):
            main([], Environment.in_memory(environ=environ))
        return capsys.readouterr().out.split()

    assert complete("ollama-chat -m zep") == ["zephyr:7b"]
    assert complete("ollama-chat -p ze") == ["zealot"]


def test_usage_errors_go_to_the_environments_stderr(tmp_path, capsys):
    env = Environment.in_memory(environ={"HOME": str(tmp_path)})
    with pytest.raises(SystemExit) as exit_:
        main(["--bogus"], env)
    assert exit_.value.code == 2 and capsys.readouterr().err == ""
    assert "Error: No such option: --bogus" in env.stderr.buffer.getvalue().decode()


def test_several_words_are_one_question(cli, fake_ollama):
    code, out, _ = cli("파이썬", "리스트", "정렬", "방법")
    assert code == 0 and fake_ollama.last_chat["messages"][-1]["content"] == "파이썬 리스트 정렬 방법"


def test_a_word_close_to_a_command_gets_a_note_and_is_still_asked(cli, fake_ollama):
    code, out, err = cli("modles")
    assert code == 0 and out == "echo: modles\n" and "did you mean `ollama-chat models`?" in err
    assert "did you mean" not in cli("안녕")[2]


def test_usage_lines_name_the_program_not_the_default_command(cli):
    code, _, err = cli("--bogus")
    assert code == 2 and "Usage: ollama-chat [OPTIONS] [PROMPT]..." in err and "Try 'ollama-chat -h' for help." in err
    assert "ollama-chat chat" not in err


def test_closed_stdout_is_a_message(tmp_path, fake_ollama, capsys):
    env = Environment.in_memory(b"", {"HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port}, stdout_closed=True)
    with pytest.raises(SystemExit) as exit_:
        main(["q"], env)
    assert exit_.value.code == 2 and "Standard output is closed" in env.stderr.buffer.getvalue().decode()
    assert fake_ollama.chat_requests == []


# -- text from a hostile server never reaches the terminal raw ----------------------------------------------

EVIL = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cm0gLXJm\x07"


def no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, repr(text)


def test_hostile_error_texts_in_one_shot(cli, fake_ollama):
    fake_ollama.reply_status(500, {"error": f"boom{EVIL}"})
    code, out, err = cli("q")
    assert code == 1 and "boom" in err and "␛[2J" in err
    no_escapes(out + err)
    fake_ollama.reply(["부분 ", "답"], error_after=1, error_text=f"broken{EVIL}")
    code, out, err = cli("q")
    assert code == 1 and "broken" in err
    no_escapes(err)


def test_hostile_model_names_in_listings(cli, fake_ollama):
    fake_ollama.add_model(f"evil{EVIL}:1b")
    code, out, _ = cli("models")
    assert code == 0 and "evil" in out
    no_escapes(out)


def test_a_huge_error_text_is_shortened(cli, fake_ollama):
    fake_ollama.reply_status(500, {"error": "가" * 40_000})
    code, _, err = cli("q")
    assert code == 1 and "more characters)" in err and len(err) < 2_000


def test_a_redirect_is_not_a_missing_model(cli, fake_ollama):
    fake_ollama.override("/api/chat", 302, b"", content_type="text/plain")
    code, _, err = cli("q")
    assert code == 1 and "redirect" in err and "ollama pull" not in err


def test_a_host_with_an_extra_path_is_not_a_missing_model(cli, fake_ollama):
    code, _, err = cli("q", OLLAMA_HOST=f"{fake_ollama.url}/api")
    assert code == 1 and "ollama pull" not in err and "does not look like Ollama" in err


def test_a_v1_host_that_is_not_openai_compatible_says_so(cli, fake_ollama):
    code, _, err = cli("q", OLLAMA_HOST=f"{fake_ollama.url}/v1")  # /v1 means the OpenAI API; this one has none
    assert code == 1 and "does not answer like an OpenAI-compatible API" in err and "with the /v1" in err


@pytest.mark.parametrize("host", ["a..b", "x" * 300 + ".example"])
def test_a_malformed_host_name_is_a_message(cli, host):
    code, _, err = cli("q", OLLAMA_HOST=host)
    assert code in (1, 2) and ("not a valid address" in err or "malformed" in err)


def test_a_deeply_nested_schema_is_a_usage_error(cli, tmp_path):
    schema = tmp_path / "deep.json"
    schema.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = cli("--format", str(schema), "q")
    assert code == 2 and "nested too deeply" in err


def test_models_lists_even_when_the_configured_persona_is_broken(cli, fake_ollama, tmp_path):
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('persona = "nosuch"\n')
    code, out, err = cli("models")
    assert code == 0 and out.startswith("llama3.2:latest\t"), err
