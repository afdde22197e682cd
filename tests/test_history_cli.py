"""Stored conversations through the command line, in-process: one-shot answers are kept, `-c` and `--resume`
go on with them (what goes over the wire says so), `history list|show|export|search|rm`, --incognito and
save_history = false, and stores that cannot be trusted (a warning, the answer still given, the file untouched)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ollama_chat.store.schema import SCHEMA_VERSION
from ollama_chat.store.sqlite import Store


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "ollama-chat" / "conversations.db"


def stored(db):
    """Every stored conversation as (persona, model, [(question, reply, interrupted)]), newest first."""
    with Store.open(db, create=False) as store:
        metas = store.list(-1)
        out = []
        for meta in metas:
            conv = store.load(meta.id)
            out.append((meta.persona, meta.model, [(e.question.content, e.reply, e.interrupted) for e in conv.exchanges]))
        return out


def ids(cli):
    code, out, err = cli("history", "list")
    assert code == 0, err
    return [line.split("\t")[0] for line in out.splitlines()]


def test_one_shot_answers_are_stored_and_continue_resumes_the_latest(cli, fake_ollama, db):
    assert cli("-p", "monk", "--temperature", "0.3", "내 이름은 철수야")[0] == 0
    assert cli("다른 질문")[0] == 0
    fake_ollama.add_model("qwen3:8b")
    assert cli("-m", "qwen3:8b", "--resume", ids(cli)[1], "내 이름이 뭐였지?")[0] == 0  # the monk's conversation
    body = fake_ollama.last_chat
    assert body["model"] == "qwen3:8b"  # the flag wins over the resumed model
    assert body["options"]["temperature"] == 0.3  # the resumed options apply
    assert [(m["role"], m["content"]) for m in body["messages"][1:]] == [
        ("user", "내 이름은 철수야"), ("assistant", "echo: 내 이름은 철수야"), ("user", "내 이름이 뭐였지?")]
    assert body["messages"][0]["content"].startswith("당신은 75세의 불교 스님입니다.")
    code, out, err = cli("-c", "그리고 마지막으로?")  # -c: the conversation with the newest exchange
    assert code == 0, err
    assert fake_ollama.last_chat["model"] == "qwen3:8b" and len(fake_ollama.last_chat["messages"]) == 6
    assert stored(db) == [
        ("monk", "qwen3:8b", [("내 이름은 철수야", "echo: 내 이름은 철수야", False),
                              ("내 이름이 뭐였지?", "echo: 내 이름이 뭐였지?", False),
                              ("그리고 마지막으로?", "echo: 그리고 마지막으로?", False)]),
        ("assistant", "llama3.2:latest", [("다른 질문", "echo: 다른 질문", False)]),
    ]


def test_resume_with_a_persona_flag_keeps_that_persona(cli, fake_ollama):
    cli("-p", "monk", "첫 질문")
    assert cli("-c", "-p", "coder", "둘째 질문")[0] == 0
    messages = fake_ollama.last_chat["messages"]
    assert not messages[0]["content"].startswith("당신은 75세") and messages[1]["content"] == "첫 질문"


def test_continue_and_resume_errors_are_clear(cli, fake_ollama):
    code, out, err = cli("-c", "질문")
    assert code == 2 and "There is no earlier conversation to continue" in err and not fake_ollama.chat_requests
    cli("첫 질문")
    code, out, err = cli("--resume", "ffffffffff", "질문")
    assert code == 2 and "no conversation with an ID starting with 'ffffffffff'" in err and err.count("ollama-chat history") == 1
    code, out, err = cli("--resume", "not-hex", "질문")
    assert code == 2 and "not a conversation ID" in err
    code, out, err = cli("-c", "--resume", ids(cli)[0], "질문")
    assert code == 2 and "give one of them" in err
    code, out, err = cli("-c", "--incognito", "질문")
    assert code == 2 and "--incognito stores nothing" in err
    code, out, err = cli("--resume", "missing.json", "질문")
    assert code == 2 and "there is no file missing.json" in err
    assert len(fake_ollama.chat_requests) == 1


def test_an_ambiguous_prefix_lists_the_candidates(cli, fake_ollama, db, monkeypatch):
    import ollama_chat.store.writer as store_writer

    made = iter(["abc111111111", "abc222222222"])
    monkeypatch.setattr(store_writer, "new_conversation_id", lambda: next(made))
    cli("첫째")
    cli("둘째")
    code, out, err = cli("--resume", "abc", "질문")
    assert code == 2 and "more than one" in err and "abc111111111" in err and "abc222222222" in err
    assert cli("--resume", "ABC2", "질문")[0] == 0
    assert fake_ollama.last_chat["messages"][1]["content"] == "둘째"


def test_incognito_may_resume_a_file_and_stores_nothing(cli, fake_ollama, tmp_path):
    """A transcript file is not the store: going on with it leaves no trace either."""
    saved = tmp_path / "chat.json"
    saved.write_text('{"exchanges": [{"question": "예전 질문", "reply": "예전 답"}]}', encoding="utf-8")
    code, out, err = cli("--incognito", "--resume", str(saved), "이어서")
    assert code == 0 and out == "echo: 이어서\n", err
    assert [m["content"] for m in fake_ollama.last_chat["messages"][-3:]] == ["예전 질문", "예전 답", "이어서"]
    assert not (tmp_path / "data").exists()


def test_incognito_leaves_no_file_behind(cli, fake_ollama, tmp_path):
    code, out, err = cli("--incognito", "비밀 질문")
    assert code == 0 and out == "echo: 비밀 질문\n"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_save_history_false_in_the_config_stores_nothing_but_continue_still_reads(cli, fake_ollama, tmp_path, db):
    cli("예전 질문")
    config = tmp_path / ".config" / "ollama-chat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("save_history = false\n")
    assert cli("새 질문")[0] == 0
    assert cli("-c", "이어서")[0] == 0
    assert [m["content"] for m in fake_ollama.last_chat["messages"][1:]] == ["예전 질문", "echo: 예전 질문", "이어서"]
    assert [q for _, _, exchanges in stored(db) for q, _, _ in exchanges] == ["예전 질문"]


def test_history_list_in_a_pipe_is_tab_separated_newest_first(cli, fake_ollama):
    cli("-p", "monk", "첫\t질문\x1b[31m")
    cli("둘째 질문")
    code, out, err = cli("history", "list", "--limit", "5")
    lines = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [row[2:] for row in lines] == [
        ["assistant", "llama3.2:latest", "1", "둘째 질문"],
        ["monk", "llama3.2:latest", "1", "첫 질문␛[31m"],  # the title is one line and holds no escape
    ]
    assert all(len(row[0]) == 12 for row in lines)
    assert cli("history")[1] == out
    assert cli("history", "list", "--limit", "1")[1] == out.splitlines(keepends=True)[0]


def test_history_list_in_a_terminal_is_a_table_that_keeps_ids_whole(cli, fake_ollama):
    cli("도서관에서 빌릴 만한 책을 추천해 주세요")
    code, out, err = cli("history", tty=True, columns=100)
    head, row = out.splitlines()[:2]
    assert code == 0 and head.split() == ["ID", "Last", "Persona", "Model", "#", "Title"]
    assert row.split()[0] == ids(cli)[0] and "도서관에서" in row
    for columns, heads in ((60, ["ID", "Last", "#", "Title"]), (40, ["ID", "#", "Title"])):
        head, row = cli("history", tty=True, columns=columns)[1].splitlines()[:2]
        assert head.split() == heads and row.split()[0] == ids(cli)[0] and "도서관" in row and len(row) <= columns


def test_history_with_nothing_stored(cli):
    assert cli("history") == (0, "", "No conversations have been stored yet.\n")
    code, out, err = cli("history", "show", "abc")
    assert code == 1 and "No conversations have been stored yet" in err


def test_show_and_export_round_trip_through_resume(cli, fake_ollama, tmp_path):
    fake_ollama.reply("```python\nprint('안녕')\n```")
    cli("-p", "monk", "코드를 보여 주세요")
    cid = ids(cli)[0]
    code, out, err = cli("history", "show", cid[:5])
    assert code == 0 and out.startswith(f"# 코드를 보여 주세요\n\nollama-chat · llama3.2:latest · monk · {cid} · ")
    assert "print('안녕')" in out and cli("history", "show")[1] == out  # no ID: the most recent
    code, shown, err = cli("history", "show", cid, tty=True)
    assert code == 0 and "코드를 보여 주세요" in shown and "print('안녕')" in shown and "```" not in shown
    code, text, err = cli("history", "export", cid, "--format", "json")
    data = json.loads(text)
    assert data["persona"] == "monk" and data["options"] == {"temperature": 0.7, "top_p": 0.9, "top_k": 40}
    assert "코드를" in text  # UTF-8 as it is, not \\u escapes
    saved = tmp_path / "chat.json"
    saved.write_text(text)
    assert cli("--resume", str(saved), "설명해 주세요")[0] == 0
    messages = fake_ollama.last_chat["messages"]
    assert messages[0]["content"].startswith("당신은 75세") and messages[1]["content"] == "코드를 보여 주세요"
    assert len(ids(cli)) == 2  # a file resumed becomes a new stored conversation
    code, md, err = cli("history", "export", cid)
    assert code == 0 and md.startswith("# 코드를 보여 주세요\n") and "## You" in md
    assert cli("history", "export", cid, "--format", "pdf")[0] == 2


def test_search_finds_korean_inside_words_and_shows_the_line(cli, fake_ollama):
    fake_ollama.reply("양자역학은 아주 작은 세계를 다룹니다.\n다른 줄")
    cli("물리학 질문이 있어요")
    cli("요리법 알려 주세요")
    code, out, err = cli("history", "search", "자역")
    assert code == 0 and out.count("\n") == 1
    cid, _, title, line = out.rstrip("\n").split("\t")
    assert title == "물리학 질문이 있어요" and line == "양자역학은 아주 작은 세계를 다룹니다."
    code, out, err = cli("history", "search", "요리", tty=True)
    assert code == 0 and "요리법 알려 주세요" in out
    fake_ollama.reply("앞부분 " * 30 + "찾는말 뒷부분")
    cli("긴 답")
    code, out, err = cli("history", "search", "찾는말", tty=True, columns=50)
    assert out.splitlines()[1].startswith("    …") and "찾는말" in out.splitlines()[1]  # one line, around the match
    assert all(len(line) <= 50 for line in out.splitlines())
    code, out, err = cli("history", "search", "없는말")
    assert code == 1 and out == "" and "없는말" in err


def test_rm_asks_in_a_terminal_and_needs_yes_in_a_pipe(cli, fake_ollama):
    cli("하나")
    cli("둘")
    first, second = ids(cli)
    code, out, err = cli("history", "rm", first)
    assert code == 2 and "--yes" in err and len(ids(cli)) == 2
    code, out, err = cli("history", "rm", first, stdin=b"n\n", stdin_tty=True)
    assert code == 1 and "Remove 1 conversation for good? [y/N]" in err and "Nothing was removed" in err
    code, out, err = cli("history", "rm", first[:6], stdin=b"y\n", stdin_tty=True)
    assert code == 0 and "Removed 1 conversation." in err and ids(cli) == [second]
    assert cli("history", "rm", "--yes", second)[0] == 0 and cli("history")[1] == ""


def test_rm_older_than(cli, fake_ollama, db):
    cli("오래된 질문")
    cli("새 질문")
    old = ids(cli)[1]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE conversations SET updated = updated - 100 * 86400 WHERE id = ?", (old,))
    code, out, err = cli("history", "rm", "--older-than", "90d", "--yes")
    assert code == 0 and "Removed 1 conversation." in err and old not in ids(cli) and len(ids(cli)) == 1
    code, out, err = cli("history", "rm", "--older-than", "90", "--yes")
    assert code == 0 and "No conversation was last used more than 90 days ago." in err
    assert "more than 1 month ago" in cli("history", "rm", "--older-than", "1mo", "--yes")[2]
    for bad in ("soon", "-3d", "0", "6m"):
        code, out, err = cli("history", "rm", "--older-than", bad, "--yes")
        assert code == 2 and "--older-than takes an age" in err
    assert cli("history", "rm", "--yes")[0] == 2


@pytest.mark.parametrize("damage", ["garbage", "newer"])
def test_a_store_it_cannot_trust_is_warned_about_once_and_left_as_it_was(cli, fake_ollama, db, damage):
    db.parent.mkdir(parents=True)
    if damage == "garbage":
        db.write_bytes(b"not a database at all\n" * 100)
    else:
        with sqlite3.connect(db) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    code, out, err = cli("질문")
    assert code == 0 and out == "echo: 질문\n"
    assert err.count("Warning:") == 1 and str(db) in err and "without saving" in err
    if damage == "garbage":
        assert f"mv {db} {db}.broken" in [line.strip() for line in err.splitlines()]  # a line of its own, to copy
    assert db.read_bytes() == before
    code, out, err = cli("history")
    assert code == 1 and str(db) in err and db.read_bytes() == before


def test_tables_show_text_as_it_is_never_as_markup(cli, fake_ollama):
    cli("[bold red]굵게[/bold red] [link=http://x]링크[/link]")
    code, out, err = cli("history", tty=True, columns=120)
    assert "[bold red]굵게[/bold red] [link=http://x]링크[/link]"[:40] in out


@pytest.mark.parametrize("options, left_out", [
    ('{"num_ctx": -1, "temperature": 0.5}', "option 'num_ctx' must be"),
    ('{"seed": "x", "num_predict": -99, "temperature": 1e308, "bogus": 1}', "option 'seed'"),
    ("not json", None),
    ("[1, 2]", None),
])
def test_a_stored_conversations_options_are_checked_before_they_are_sent(cli, fake_ollama, db, options, left_out):
    """A row written before options were range-checked, or changed by hand: what fails the check is left out
    (said once), never sent, and never a traceback."""
    assert cli("기억해 줘")[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE conversations SET options = ?", (options,))
    code, out, err = cli("-c", "이어서")
    assert code == 0 and "-1-token" not in err, err
    sent = fake_ollama.last_chat.get("options", {})
    assert all(name not in sent for name in ("num_ctx", "seed", "num_predict", "bogus")) and sent.get("temperature") in (None, 0.5)
    if left_out:
        assert "Its saved options were left out:" in err and left_out in err


def test_a_long_model_name_leaves_the_title_room_and_the_count_is_whole(cli, fake_ollama):
    model = "hf.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF:Q4_K_M"
    fake_ollama.add_model(model)
    for i in range(16):
        cli("-c", f"질문 {i}", "-m", model) if i else cli(f"질문 {i}", "-m", model)
    code, out, err = cli("history", tty=True, columns=100)
    head, row = out.splitlines()[:2]
    assert code == 0 and head.split() == ["ID", "Last", "Persona", "Model", "#", "Title"], out
    assert " 16  질문 0" in row and "…" in row and len(row) <= 100
