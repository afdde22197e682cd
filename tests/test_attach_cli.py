"""-f/--file and --image in one-shot mode, checked by what went over the wire to the fake Ollama."""

from __future__ import annotations

import base64
import os
import json
import sqlite3

import pytest

# A 1x1 PNG, as a phone or a screenshot tool writes it.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def user_text(fake, i=-1):
    return fake.chat_requests[i]["messages"][-1]["content"]


def test_a_file_goes_in_a_fenced_block_before_the_prompt(cli, fake_ollama, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("# 회의록\n\n- 다음 주 월요일 배포\n", encoding="utf-8")
    code, out, err = cli("-f", "notes.md", "요약해 주세요")
    assert code == 0, err
    assert user_text(fake_ollama) == "notes.md:\n```\n# 회의록\n\n- 다음 주 월요일 배포\n```\n\n요약해 주세요"
    assert out.startswith("echo: notes.md:")


def test_several_files_and_piped_words(cli, fake_ollama, tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.txt"
    a.write_text("print('```')\n")
    b.write_text("둘째\n")
    code, _out, err = cli("-f", str(a), "--file", str(b), "뭐가 달라?", stdin="파이프로 온 말\n".encode())
    assert code == 0, err
    assert user_text(fake_ollama) == (f"{a}:\n````\nprint('```')\n````\n\n{b}:\n```\n둘째\n```\n\n파이프로 온 말\n\n뭐가 달라?")


def test_dash_reads_stdin_as_the_file(cli, fake_ollama):
    code, _out, err = cli("-f", "-", "이 로그에서 오류를 찾아 줘", stdin=b"ERROR disk full\n")
    assert code == 0, err
    assert user_text(fake_ollama) == "standard input:\n```\nERROR disk full\n```\n\n이 로그에서 오류를 찾아 줘"


def test_a_file_alone_is_a_question(cli, fake_ollama, tmp_path):
    (tmp_path / "q.txt").write_text("1+1?\n")
    code, _out, err = cli("-f", str(tmp_path / "q.txt"))
    assert code == 0, err
    assert user_text(fake_ollama) == f"{tmp_path / 'q.txt'}:\n```\n1+1?\n```\n\n"


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "utf-16", "utf-8-sig"])
def test_korean_files_in_legacy_and_bom_encodings_arrive_as_text(cli, fake_ollama, tmp_path, encoding):
    text = "가계부 정리\n이번 달 식비는 삼십만 원입니다.\n"
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    code, _out, err = cli("-f", str(path), "합계는?")
    assert code == 0, err
    assert text.rstrip("\n") in user_text(fake_ollama)
    assert "\ufeff" not in user_text(fake_ollama)


def test_a_binary_file_is_refused_and_nothing_is_sent(cli, fake_ollama, tmp_path):
    path = tmp_path / "app.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    code, out, err = cli("-f", str(path), "이게 뭐야?")
    assert code == 2 and out == ""
    assert f"Cannot attach {path}: it is not a text file" in err
    assert fake_ollama.chat_requests == []


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "there is no such file"),
    (lambda p: p.mkdir(), "Nothing to attach in"),
    (lambda p: os.mkfifo(p), "it is not a regular file (a pipe, a device or a socket)"),
])
def test_missing_empty_folder_and_fifo_are_refused(cli, fake_ollama, tmp_path, make, reason):
    path = tmp_path / "x"
    make(path)
    code, _out, err = cli("-f", str(path), "봐 줘")
    assert code == 2 and reason in err
    assert fake_ollama.chat_requests == []


def test_a_file_too_big_for_the_window_is_refused_with_its_estimate(cli, fake_ollama, tmp_path):
    path = tmp_path / "big.log"
    path.write_text("2026-11-25 12:00:01 INFO request served in 12 ms\n" * 2000)
    code, _out, err = cli("-f", str(path), "--num-ctx", "2048", "요약")
    assert code == 2
    assert "Not attached: " in err and "big.log is about" in err and "2,048-token context window" in err
    assert "--num-ctx" in err
    assert fake_ollama.chat_requests == []


def test_stdin_twice_is_a_usage_error(cli, fake_ollama):
    code, _out, err = cli("-f", "-", "-f", "-", "요약", stdin=b"x")
    assert code == 2 and "give it once" in err


def test_an_image_goes_as_base64_exactly_to_a_vision_model(cli, fake_ollama, tmp_path):
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    (tmp_path / "cat.png").write_bytes(PNG)
    code, _out, err = cli("-m", "gemma3:4b", "--image", str(tmp_path / "cat.png"), "무엇이 보여?")
    assert code == 0, err
    message = fake_ollama.last_chat["messages"][-1]
    assert message == {"role": "user", "content": "무엇이 보여?", "images": [base64.b64encode(PNG).decode()]}


def test_an_image_for_a_model_without_vision_is_refused_naming_one_that_can(cli, fake_ollama, tmp_path):
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    (tmp_path / "cat.png").write_bytes(PNG)
    code, _out, err = cli("--image", str(tmp_path / "cat.png"), "무엇이 보여?")
    assert code == 2 and "-m gemma3:4b" in err
    assert "gemma3:4b can see images; llama3.2:latest cannot" in err
    assert fake_ollama.chat_requests == []


def test_a_file_that_is_not_an_image_is_refused_as_one(cli, fake_ollama, tmp_path):
    (tmp_path / "cat.png").write_text("not really a png")
    code, _out, err = cli("--image", str(tmp_path / "cat.png"), "뭐야?")
    assert code == 2 and "not a PNG, JPEG, WebP or GIF file" in err
    assert fake_ollama.chat_requests == []


def test_the_store_keeps_the_words_and_names_and_history_shows_them(cli, fake_ollama, tmp_path):
    (tmp_path / "plan.txt").write_text("비밀 계획: 월요일에 출시\n")
    fake_ollama.reply(["월요일에 나갑니다."])  # not the echo: it would repeat the file
    code, _out, err = cli("-f", str(tmp_path / "plan.txt"), "요약해 줘")
    assert code == 0, err
    db = sqlite3.connect(tmp_path / "data" / "ollama-chat" / "conversations.db")
    question, sent, attached = db.execute("SELECT question, sent, attached FROM exchanges").fetchone()
    assert question == "요약해 줘" and "비밀 계획" in sent
    assert json.loads(attached) == [[str(tmp_path / "plan.txt"), len("비밀 계획: 월요일에 출시\n".encode()), "file"]]
    code, out, _err = cli("history", "show")
    assert "요약해 줘" in out and "plan.txt (" in out and "비밀 계획" not in out
    code, out, _err = cli("history", "search", "비밀")  # the file's text is not what the user said
    assert "plan.txt" not in out
    # resuming sends the file again, as the model saw it
    code, _out, err = cli("-c", "다음은?")
    assert code == 0, err
    assert "비밀 계획" in fake_ollama.last_chat["messages"][-3]["content"]


def test_export_and_resume_from_json_keep_the_attachments(cli, fake_ollama, tmp_path):
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    (tmp_path / "cat.png").write_bytes(PNG)
    (tmp_path / "a.txt").write_text("내용\n")
    code, _out, err = cli("-m", "gemma3:4b", "--image", str(tmp_path / "cat.png"), "-f", str(tmp_path / "a.txt"), "봐")
    assert code == 0, err
    code, out, _err = cli("history", "export", "--format", "json")
    data = json.loads(out)["exchanges"][0]
    assert data["question"] == "봐" and data["images"] == [base64.b64encode(PNG).decode()]
    assert [a["name"] for a in data["attached"]] == [str(tmp_path / "a.txt"), str(tmp_path / "cat.png")]
    saved = tmp_path / "t.json"
    saved.write_text(out)
    code, _out, err = cli("--resume", str(saved), "또?")
    assert code == 0, err
    first = fake_ollama.last_chat["messages"][-3]
    assert first["images"] == data["images"] and first["content"].startswith(f"{tmp_path / 'a.txt'}:\n```")


def test_f_takes_images_by_their_bytes_folders_and_each_file_once(cli, fake_ollama, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    (tmp_path / "shot").write_bytes(PNG)  # no extension: the bytes say PNG
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("A = 1\n")
    (tmp_path / "src" / "b.bin").write_bytes(b"\0" * 10)
    code, _out, err = cli("-m", "gemma3:4b", "-f", "shot", "-f", "src", "-f", "src/a.py", "봐")
    assert code == 0, err
    message = fake_ollama.last_chat["messages"][-1]
    assert message["images"] == [base64.b64encode(PNG).decode()]
    assert message["content"] == "src/a.py:\n```\nA = 1\n```\n\n봐"


def test_a_terminal_sees_each_attachment_on_stderr(cli, fake_ollama, tmp_path):
    (tmp_path / "k.txt").write_bytes("안녕하세요\n".encode("cp949"))
    code, _out, err = cli("-f", str(tmp_path / "k.txt"), "번역", tty=True)
    assert code == 0 and "📎 " in err and "k.txt · 11 B · about " in err and "(read as CP949)" in err


def test_a_question_too_long_for_the_window_suggests_a_window_that_fits_it(cli, fake_ollama):
    import re

    question = "긴 질문입니다. " * 3000  # about 15,000 tokens
    code, _out, err = cli("--num-ctx", "2048", question)
    assert code == 2 and fake_ollama.chat_requests == []
    size = int(re.search(r"--num-ctx (\d+)", err).group(1))
    assert size >= 16384 and size % 4096 == 0  # room for the question and a reply, not merely twice the window
