"""A saved conversation never chooses where a key is sent: a transcript file or a stored conversation may name
a server of the user's own config ([servers.NAME]); its host, API and key variable are ignored, with one line
saying which server is used instead. End to end against two fakes that record every request's headers: the
user's Ollama, and an "evil" OpenAI-compatible server that a shared file points at."""

from __future__ import annotations

import io
import json
import sqlite3

import pexpect
import pytest

from helpers import BIN, run_cli, spawn_in_pty, user_env

from ollama_chat.store import database as store_database
from ollama_chat.store import schema as store_schema
from ollama_chat.chat.personas import Persona
from ollama_chat.chat.resume import server_notice
from ollama_chat.chat.settings import Flags, Settings
from ollama_chat.chat.layers import Layers, build_layers
from ollama_chat.store.sqlite import Store
from ollama_chat.store.schema import kept_server
from ollama_chat.store.transcript import ServerRef, from_json, server_ref, to_json
from ollama_chat.types import Exchange, Message

MARKER = "AKIA-MARKER-do-not-send-0123456789"
EVIL_VARIABLE = "AWS_SECRET_ACCESS_KEY"
MODEL = "llama3.2:latest"  # the fake Ollama's model
PLAIN = Persona(name="assistant", system="")


def shared_file(path, host, **server):
    """A transcript someone shared, whose `server` points at their host and asks for the reader's AWS key."""
    path.write_text(json.dumps({
        "version": 2, "model": MODEL, "persona": "assistant", "system": "",
        "server": {"host": host, "api": "openai", "api_key_env": EVIL_VARIABLE, **server},
        "exchanges": [{"question": "공유된 질문", "reply": "공유된 답", "model": MODEL}],
    }, ensure_ascii=False), encoding="utf-8")
    return path


def carried_marker(*fakes) -> list[str]:
    """Every request, on any fake, whose headers or body hold the marker."""
    return [f"{r.method} {r.path}" for fake in fakes for r in fake.requests
            if MARKER in json.dumps(dict(r.headers)) or MARKER.encode() in r.body]


def write_config(tmp_path, text):
    folder = tmp_path / ".config" / "ollama-chat"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text)


# -- end to end -------------------------------------------------------------------------------------------


def test_resume_of_a_shared_file_never_reaches_its_host_nor_does_a_later_continue(cli, fake_ollama, fake_openai, tmp_path):
    fake_openai.add_model(MODEL)  # the evil server would answer: only the client's rule keeps the key home
    shared = shared_file(tmp_path / "shared.json", fake_openai.url)
    code, out, err = cli("--resume", str(shared), "이어서 묻습니다", **{EVIL_VARIABLE: MARKER})
    assert fake_openai.requests == [] and carried_marker(fake_ollama, fake_openai) == []
    assert code == 0, err
    assert out == "echo: 이어서 묻습니다\n"
    assert err.count("\n") == 1 and f"held on another server ({fake_openai.url})" in err
    assert f"goes on with http://{fake_ollama.host_port}" in err and "cannot choose the server" in err
    assert [m["content"] for m in fake_ollama.last_chat["messages"][-3:]] == ["공유된 질문", "공유된 답", "이어서 묻습니다"]
    code, out, err = cli("-c", "또 묻습니다", **{EVIL_VARIABLE: MARKER})
    assert code == 0, err
    assert out == "echo: 또 묻습니다\n" and err == ""  # stored with the server it went on with: nothing to say
    assert fake_openai.requests == []
    assert carried_marker(fake_ollama, fake_openai) == []
    db = sqlite3.connect(tmp_path / "data" / "ollama-chat" / "conversations.db")
    assert [json.loads(s) for (s,) in db.execute("SELECT server FROM conversations")] == [
        {"host": f"http://{fake_ollama.host_port}"}]


def test_load_of_a_shared_file_in_the_chat_then_continue(fake_ollama, fake_openai, tmp_path):
    fake_openai.add_model(MODEL)
    shared = shared_file(tmp_path / "shared.json", fake_openai.url)
    env = user_env(tmp_path, fake_ollama.host_port, TERM="xterm-256color", PROMPT_TOOLKIT_NO_CPR="1",
                   **{EVIL_VARIABLE: MARKER})
    child = spawn_in_pty(str(BIN), [], env, columns=300)
    child.logfile_read = screen = io.StringIO()
    try:
        child.expect_exact("assistant> ")
        child.send(f"/load {shared}\r")
        child.expect_exact("Loaded 1 exchange(s)")
        child.expect_exact("assistant> ")
        child.send("이어서\r")
        child.expect_exact("echo: 이어서")
        child.expect_exact("assistant> ")
        child.send("/quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    result = run_cli(["-c"], env, stdin="다음 질문\n".encode())
    assert fake_openai.requests == [] and carried_marker(fake_ollama, fake_openai) == []
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == "echo: 다음 질문\n"
    assert [m["content"] for m in fake_ollama.last_chat["messages"][-5:]] == [
        "공유된 질문", "공유된 답", "이어서", "echo: 이어서", "다음 질문"]
    notice = f"held on another server ({fake_openai.url}); it goes on with http://{fake_ollama.host_port}"
    assert screen.getvalue().count(notice) == 1


def test_an_old_stored_row_with_a_key_variable_is_migrated_and_not_used(cli, fake_ollama, fake_openai, tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "data" / "ollama-chat" / "conversations.db"
    monkeypatch.setattr(store_schema, "MIGRATIONS", store_schema.MIGRATIONS[:5])
    monkeypatch.setattr(store_database, "SCHEMA_VERSION", 5)
    with Store.open(path) as s:  # a row as version 5 wrote it for a chat held with --host URL/v1
        cid = s.new_conversation("assistant", MODEL, server={"host": fake_openai.url, "api": "openai",
                                                             "api_key_env": EVIL_VARIABLE})
        s._db.execute("INSERT INTO exchanges (conversation_id, time, model, question, reply) VALUES (?, 0, ?, ?, ?)",
                      (cid, MODEL, "예전 질문", "예전 답"))  # as version 5 wrote it (today's writer adds later columns)
        assert json.loads(s._db.execute("SELECT server FROM conversations").fetchone()[0])["api_key_env"] == EVIL_VARIABLE
    monkeypatch.undo()
    fake_openai.add_model(MODEL)
    code, out, err = cli("-c", "이어서", **{EVIL_VARIABLE: MARKER})
    assert fake_openai.requests == [] and carried_marker(fake_ollama, fake_openai) == []
    assert code == 0, err
    assert out == "echo: 이어서\n" and f"held on another server ({fake_openai.url})" in err
    assert fake_openai.requests == [] and carried_marker(fake_ollama, fake_openai) == []
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(store_schema.MIGRATIONS)
    here = {"host": f"http://{fake_ollama.host_port}"}  # migrated to the host alone, then kept with where it went on
    assert json.loads(db.execute("SELECT server FROM conversations").fetchone()[0]) == here
    code, out, err = cli("history", "export", "--format", "json")
    assert json.loads(out)["server"] == here


def test_a_file_may_name_a_configured_server_and_goes_back_to_it_with_the_configs_key(cli, fake_ollama, fake_openai,
                                                                                      tmp_path):
    fake_openai.api_key = "sk-lab-key"
    write_config(tmp_path, f'[servers.lab]\nhost = "{fake_openai.url}"\napi_key_env = "LAB_API_KEY"\n')
    named = tmp_path / "named.json"
    named.write_text(json.dumps({"model": "Qwen/Qwen3-8B", "server": {"name": "lab", "api_key_env": EVIL_VARIABLE},
                                 "exchanges": []}))
    code, out, err = cli("--resume", str(named), "안녕", LAB_API_KEY="sk-lab-key", **{EVIL_VARIABLE: MARKER})
    assert code == 0, err
    assert out == "echo: 안녕\n"
    assert "key variable" in err and "ignored" in err  # the file's api_key_env is said to be ignored
    assert fake_openai.requests[-1].headers["authorization"] == "Bearer sk-lab-key"
    assert carried_marker(fake_ollama, fake_openai) == []
    # flags win: --host takes it to the user's Ollama, and the notice says where it was held
    code, out, err = cli("--host", fake_ollama.host_port, "-m", MODEL, "--resume", str(named), "여기서")
    assert code == 0, err
    assert "held on the server 'lab'" in err and "--server lab goes back to it" in err
    assert fake_ollama.last_chat["messages"][-1]["content"] == "여기서"
    # a name the config no longer has: said, and the user's own server is used
    write_config(tmp_path, "")
    asked = len(fake_openai.requests)
    code, out, err = cli("-m", MODEL, "--resume", str(named), "없는 서버")
    assert code == 0, err
    assert "held on the server 'lab', which your config file does not name" in err
    assert len(fake_openai.requests) == asked


def test_a_host_with_a_password_in_a_file_is_neither_used_nor_shown(cli, fake_ollama, tmp_path):
    shared = shared_file(tmp_path / "shared.json", "http://admin:hunter2@127.0.0.1:9/v1")
    code, out, err = cli("--resume", str(shared), "질문")
    assert code == 0, err
    assert out == "echo: 질문\n"
    assert "user name or password" in err and "hunter2" not in err and "admin" not in err


# -- the pure parts ---------------------------------------------------------------------------------------


def test_server_ref_keeps_a_name_and_a_host_and_notes_the_rest():
    assert server_ref(None) is None and server_ref("lab") is None and server_ref({}) is None
    assert server_ref({"name": "lab"}) == ServerRef(name="lab")
    assert server_ref({"host": "http://x/v1", "api": "openai", "api_key_env": "K"}) == ServerRef(host="http://x/v1",
                                                                                                  ignored=True)
    assert server_ref({"host": "https://u:p@x/v1"}) == ServerRef(credentials=True)
    assert server_ref({"api_key_env": "K"}) == ServerRef(ignored=True)


def test_a_file_read_carries_no_api_or_key_variable_into_the_settings(tmp_path):
    text = shared_file(tmp_path / "s.json", "http://evil.example/v1").read_text()
    transcript = from_json(text)
    layers = build_layers(Flags(), {}, {}, PLAIN)
    from ollama_chat.chat.resume import resumed_layers

    settings = resumed_layers(layers.back_to(transcript.server.name), transcript, tmp_path, keep_persona=False).resolve()
    assert (settings.host, settings.backend_api, settings.api_key_env) == ("http://127.0.0.1:11434", "ollama",
                                                                           "OPENAI_API_KEY")


def test_saving_writes_only_the_servers_name_or_host():
    named = Settings(host="https://gpu.example.com:443/v1", api="openai", api_key_env="LAB", server_name="lab")
    assert named.server == {"name": "lab"}
    assert Settings(host="http://h:1/v1", api="openai", api_key_env="LAB").server == {"host": "http://h:1/v1"}
    text = to_json([], model="m", persona="p", system="", server={"host": "http://h:1/v1", "api": "openai",
                                                                  "api_key_env": "LAB"})
    assert json.loads(text)["server"] == {"host": "http://h:1/v1"}


def test_a_resumed_name_goes_back_only_when_the_user_chose_no_server():
    config = {"servers": {"lab": {"host": "http://10.0.0.1:8000/v1", "api_key_env": "LAB"}}}
    layers = build_layers(Flags(), config, {}, PLAIN)
    s = layers.back_to("lab").resolve()
    assert (s.host, s.backend_api, s.api_key_env, s.server_name) == ("http://10.0.0.1:8000/v1", "openai", "LAB", "lab")
    assert layers.back_to("nowhere").resolve().server_name is None
    for flags in (Flags(host="127.0.0.1:1"), Flags(api="openai")):
        assert build_layers(flags, config, {}, PLAIN).back_to("lab").resolve().server_name is None
    # --server NAME with --host elsewhere: no longer that server, so not stored under its name
    assert build_layers(Flags(server="lab", host="127.0.0.1:1"), config, {}, PLAIN).resolve().server_name is None


@pytest.mark.parametrize("held, words", [
    (None, None),
    (ServerRef(host="http://127.0.0.1:11434"), None),
    (ServerRef(host="127.0.0.1"), None),  # the same host, written as OLLAMA_HOST would be
    (ServerRef(host="http://evil/v1"), "held on another server (http://evil/v1)"),
    (ServerRef(host="http://127.0.0.1:11434", ignored=True), "are ignored"),
    (ServerRef(credentials=True), "user name or password"),
    (ServerRef(name="lab"), "--server lab goes back to it"),
    (ServerRef(name="gone"), "which your config file does not name"),
    (ServerRef(host="evil\nError: run curl x|sh\u202e"), "(evil\\nError: run curl x|sh\\u202e)"),
])
def test_the_notice_says_which_server_is_used_instead(held, words):
    notice = server_notice(held, Settings(), {"lab": {"host": "x"}})
    if words is None:
        assert notice == ""
    else:
        assert words in notice and "goes on with http://127.0.0.1:11434" in notice and "\n" not in notice


def test_the_schema_6_migration_keeps_a_name_or_a_plain_host_only():
    assert json.loads(kept_server('{"host": "http://x/v1", "api": "openai", "api_key_env": "K"}')) == {"host": "http://x/v1"}
    assert json.loads(kept_server('{"name": "lab", "host": "h"}')) == {"name": "lab"}
    assert kept_server('{"host": "http://u:pw@x/v1", "api_key_env": "K"}') is None
    assert kept_server("not json") is None and kept_server("[1]") is None


def test_layers_without_a_config_know_no_servers():
    assert Layers().back_to("lab") == Layers()


def test_a_stored_conversation_continued_elsewhere_is_told_once_then_kept_with_where_it_went_on(cli, fake_ollama,
                                                                                               fake_openai, tmp_path):
    path = tmp_path / "data" / "ollama-chat" / "conversations.db"
    with Store.open(path) as s:  # held with --host URL/v1 earlier
        cid = s.new_conversation("assistant", MODEL, server={"host": fake_openai.url})
        s.add_exchange(cid, Exchange(Message("user", "예전 질문"), "예전 답", MODEL))
    code, out, err = cli("-c", "하나")
    assert code == 0 and f"held on another server ({fake_openai.url})" in err
    code, out, err = cli("-c", "둘")
    assert code == 0 and err == ""  # it now goes on here: nothing more to say
    with Store.open(path) as s:
        assert s.load(cid).server == {"host": f"http://{fake_ollama.host_port}"}
    assert fake_openai.requests == []
