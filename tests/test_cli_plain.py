"""A command line with nothing to parse (`echo q | ollama-chat`, `ollama-chat some words`) runs without Typer and
says exactly what the Typer path says; `--think`'s optional value read as click's parser reads words; and
Typer's internals used in one section of `cli_parsing` only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ollama_chat.cli import main as cli

from ollama_chat.cli import plain as cli_plain
from ollama_chat.cli.parsing import fill_optional_values
from ollama_chat.environment import Environment

PACKAGE = Path(__file__).resolve().parent.parent / "ollama_chat"


def run(main, args, stdin, home, fake, capsys, **environ):
    """`main(args)` in-process with `home` as HOME: (exit code, stdout, stderr, the chat requests it made)."""
    before = len(fake.chat_requests)
    variables = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / "state"),
                 "XDG_DATA_HOME": str(home / "data"), "OLLAMA_HOST": fake.host_port, **environ}
    env = Environment.in_memory(stdin, variables)
    with pytest.raises(SystemExit) as exit_:
        main(list(args), env)
    parser = capsys.readouterr()
    out = env.stdout.buffer.getvalue().decode() + parser.out
    err = env.stderr.buffer.getvalue().decode() + parser.err
    return exit_.value.code, out, err, fake.chat_requests[before:]


@pytest.mark.parametrize("args, stdin, environ", [
    ([], b"hi\n", {}),
    (["파이썬", "리스트", "정렬"], b"", {}),
    (["q"], b"context\n", {}),
    (["modles"], b"", {}),  # a note: did you mean `ollama-chat models`?
    (["modles"], b"", {"LANG": "ko_KR.UTF-8"}),
    (["help"], b"", {}),
    ([""], b"q\n", {}),
    ([], b"", {}),  # nothing to ask: a usage error
    ([], b"", {"LANG": "ko_KR.UTF-8"}),
    (["history of rome"], b"", {}),
    (["q"], b"", {"OLLAMA_HOST": "127.0.0.1:9"}),  # nobody there
    (["q"], b"", {"OLLAMA_HOST": "a..b"}),
])
def test_a_plain_command_line_says_what_the_typer_path_says(args, stdin, environ, tmp_path, fake_ollama, capsys):
    assert not cli_plain.needs_parsing(args, environ)
    typer_path = run(cli.main, args, stdin, tmp_path / "a", fake_ollama, capsys, **environ)
    plain = run(cli_plain.main, args, stdin, tmp_path / "b", fake_ollama, capsys, **environ)
    assert plain == typer_path
    assert "Traceback" not in plain[2]


@pytest.mark.parametrize("argv, environ, needs", [
    ([], {}, False),
    (["why", "is", "the", "sky", "blue?"], {}, False),
    (["modles"], {}, False),
    (["q", "history"], {}, False),
    (["history of rome"], {}, False),
    ([], {"_OLLAMA_CHAT_COMPLETE": ""}, False),
    ([], {"_OLLAMA_CHAT_COMPLETE": "complete_bash"}, True),  # the shell asks Typer for completions
    (["--help"], {}, True),
    (["-h"], {}, True),
    (["-m", "qwen3:8b", "q"], {}, True),
    (["q", "--think"], {}, True),
    (["--", "q"], {}, True),
    (["-"], {}, True),
    (["chat", "q"], {}, True),
    (["history"], {}, True),
    (["models"], {}, True),
    (["personas"], {}, True),
])
def test_which_command_lines_need_typer(argv, environ, needs):
    assert cli_plain.needs_parsing(argv, environ) is needs


def test_the_plain_names_are_the_typer_apps_commands():
    names = [info.name for info in (*cli.cli.registered_commands, *cli.cli.registered_groups)]
    assert names == [cli_plain.DEFAULT, *cli_plain.COMMANDS]


def imported_modules(args: list[str], env: dict[str, str], stdin: str) -> tuple[set[str], str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ollama_chat", *args], env=env, input=stdin,
                            capture_output=True, text=True, timeout=120)
    lines = result.stderr.splitlines()
    return {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}, result.stdout


def test_a_piped_question_does_not_import_typer(tmp_path, fake_ollama):
    env = {"HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port, "PATH": "/usr/bin:/bin"}
    for args in ([], ["요약해", "주세요"]):
        modules, out = imported_modules(args, env, "q")
        assert sorted(m for m in modules if m.split(".")[0] == "typer") == []
        assert out.startswith("echo: q") and "ollama_chat.cli.app" in modules
    modules, out = imported_modules(["--plain"], env, "q")  # an option: Typer parses it
    assert out.startswith("echo: q") and "typer" in modules


# -- `--think`'s optional value ---------------------------------------------------------------------------

THINK = {"--think": (("low", "medium", "high"), "on")}
TAKES_VALUE = {"--system": True, "-m": True, "--model": True, "-i": False, "-c": False, "--plain": False}


@pytest.mark.parametrize("args, filled", [
    (["--think"], ["--think=on"]),
    (["--think", "high"], ["--think=high"]),
    (["--think", "highly"], ["--think=on", "highly"]),  # not a level: a word of the question
    (["q", "--think"], ["q", "--think=on"]),
    (["--think=low", "q"], ["--think=low", "q"]),
    (["--think=bogus"], ["--think=on", "bogus"]),  # click's parser reads `--think=x` as `--think x`
    (["--think=--plain"], ["--think=on", "--plain"]),
    (["--think", "--think", "low"], ["--think=on", "--think=low"]),
    (["--system", "--think"], ["--system", "--think"]),  # the system prompt's text
    (["--system=x", "--think"], ["--system=x", "--think=on"]),
    (["-m", "--think", "q"], ["-m", "--think", "q"]),
    (["-mx", "--think"], ["-mx", "--think=on"]),
    (["-im", "--think"], ["-im", "--think"]),
    (["-ic", "--think"], ["-ic", "--think=on"]),
    (["-z", "--think"], ["-z", "--think=on"]),  # no such option: the parser says so
    (["--plain", "--think"], ["--plain", "--think=on"]),
    (["--", "--think"], ["--", "--think"]),
    (["-", "--think"], ["-", "--think=on"]),
])
def test_optional_values_are_read_as_the_parser_reads_words(args, filled):
    assert fill_optional_values(args, THINK, TAKES_VALUE) == filled


# -- Typer's internals ------------------------------------------------------------------------------------

PRIVATE = re.compile(r"typer\._\w+|typer\.core\._(?!\w)|_click\b|_runtime_param|type_descriptor|get_runtime_param|"
                     r"_long_opt|_protected_args|display_type")
SECTION = "# -- Typer's internals"


def test_typers_internals_are_used_in_one_section_only():
    """Everywhere else the program uses Typer's public API and the click API it exposes."""
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.relative_to(PACKAGE).as_posix() == "cli/parsing.py" and SECTION in text:
            text = text[: text.index(SECTION)]
        outside += [f"{path.relative_to(PACKAGE)}: {m.group()}" for m in PRIVATE.finditer(text)]
    assert outside == []
