"""The REPL keeps the store in step with the conversation on the screen: each exchange committed as it ends
(an interrupted one marked), /undo and /retry, /clear and /persona starting a new stored conversation, /load,
/title, /resume; a store that fails mid-chat is one warning and the chat goes on."""

from __future__ import annotations

import io
import sqlite3

import pytest
from rich.console import Console

from helpers import PATIENCE
from ui_helpers import still_output

from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.personas import load_persona
from ollama_chat.chat.recorder import Recorder
from ollama_chat.chat.session import ChatSession
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers
from ollama_chat.store.sqlite import Store
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.chat import ConsoleNotify
from ollama_chat.ui.status import banner, toolbar


@pytest.fixture
def db(tmp_path):
    return tmp_path / "data" / "conversations.db"


def make_chat(fake, folder, store, flags=Flags()):
    layers = build_layers(flags, {}, {"OLLAMA_HOST": fake.host_port}, load_persona("monk", folder))
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system=None, theme=None)
    notify = ConsoleNotify(console)
    recorder = Recorder(store, notify.warning)
    session = ChatSession(layers, OllamaBackend(layers.resolve().host, PATIENCE), still_output(console), notify, folder,
                          recorder)
    return Chat(session, console)


@pytest.fixture
def chat(fake_ollama, tmp_path, db):
    with Store.open(db) as store:
        yield make_chat(fake_ollama, tmp_path, store)


def screen(chat) -> str:
    return chat.console.file.getvalue()


def stored(db):
    """(persona, [question, ...]) of each stored conversation, newest first; an interrupted reply marked '!'."""
    with Store.open(db) as store:
        return [(m.persona, [e.question.content + ("!" if e.interrupted else "") for e in store.load(m.id).exchanges])
                for m in store.list(-1)]


def test_each_exchange_is_committed_as_it_ends(chat, fake_ollama, db):
    handle_line(chat, "첫 질문")
    assert stored(db) == [("monk", ["첫 질문"])]  # read through another connection: already committed
    handle_line(chat, "둘째 질문")
    assert stored(db) == [("monk", ["첫 질문", "둘째 질문"])]


def test_nothing_is_stored_before_the_first_exchange_nor_for_a_failed_one(chat, fake_ollama, db):
    fake_ollama.reply_status(500, {"error": "model crashed"})
    handle_line(chat, "실패할 질문")
    handle_line(chat, "/set temperature 0.2")
    assert stored(db) == []


class CtrlCAfterFirstPiece:
    """An Output whose reply is interrupted (as by Ctrl+C) once its first piece is drawn."""

    def __init__(self, output):
        self.output = output
        self.hide_thinking = output.hide_thinking

    def reply(self, **kwargs):
        reply = self.output.reply(**kwargs)
        original = reply.content

        def content(text):
            original(text)
            raise KeyboardInterrupt

        reply.content = content
        return reply


def test_an_interrupted_reply_is_stored_as_interrupted(chat, fake_ollama, db):
    gate = fake_ollama.reply(["부분 ", "답변", " 끝"], hold_after=1)
    chat.session.output = CtrlCAfterFirstPiece(chat.session.output)
    handle_line(chat, "긴 질문")
    gate.release()
    with Store.open(db) as store:
        (meta,) = store.list()
        (exchange,) = store.load(meta.id).exchanges
    assert exchange.interrupted and exchange.reply == "부분 "


def test_undo_and_retry_keep_the_store_as_the_screen(chat, fake_ollama, db):
    handle_line(chat, "하나")
    handle_line(chat, "둘")
    handle_line(chat, "/undo")
    assert stored(db) == [("monk", ["하나"])]
    handle_line(chat, "셋")
    fake_ollama.reply("다른 답")
    handle_line(chat, "/retry")
    with Store.open(db) as store:
        assert [e.reply for e in store.load(store.latest()).exchanges] == ["echo: 하나", "다른 답"]


def test_clear_and_persona_start_new_stored_conversations(chat, fake_ollama, db):
    handle_line(chat, "하나")
    handle_line(chat, "/clear")
    handle_line(chat, "둘")
    handle_line(chat, "/persona librarian")
    handle_line(chat, "셋")
    assert stored(db) == [("librarian", ["셋"]), ("monk", ["둘"]), ("monk", ["하나"])]


def test_a_loaded_file_is_stored_with_what_follows(chat, fake_ollama, db, tmp_path):
    handle_line(chat, "하나")
    handle_line(chat, f"/save {tmp_path / 'a.json'}")
    handle_line(chat, "/clear")
    handle_line(chat, f"/load {tmp_path / 'a.json'}")
    assert len(stored(db)) == 1  # loading alone stores nothing
    handle_line(chat, "둘")
    assert stored(db) == [("monk", ["하나", "둘"]), ("monk", ["하나"])]


def test_title_names_the_stored_conversation(chat, fake_ollama, db):
    handle_line(chat, "/title 불교 이야기")
    assert "Ask something first" in screen(chat)
    handle_line(chat, "마음이 어지러워요")
    handle_line(chat, "/title")
    assert "Title: 마음이 어지러워요" in screen(chat)
    handle_line(chat, "/title   불교   이야기 ")
    with Store.open(db) as store:
        assert [m.title for m in store.list()] == ["불교 이야기"]


def test_resume_lists_and_goes_on_with_an_earlier_conversation(chat, fake_ollama, db):
    handle_line(chat, "/persona librarian")
    handle_line(chat, "/set temperature 0.1")
    handle_line(chat, "추천 도서를 알려주세요")
    handle_line(chat, "/persona monk")
    handle_line(chat, "마음이 어지러워요")
    handle_line(chat, "/resume")
    listing = screen(chat)
    assert " 1. " in listing and " 2. " in listing and "*" in listing.split(" 1. ")[0][-3:]
    handle_line(chat, "/resume 2")
    session = chat.session
    assert session.settings.persona.name == "librarian" and session.settings.options["temperature"] == 0.1
    assert "Resumed" in screen(chat) and "echo: 추천 도서를 알려주세요" in screen(chat).split("Resumed")[-1]
    handle_line(chat, "더 알려주세요")
    messages = fake_ollama.last_chat["messages"]
    assert [m["content"] for m in messages[1:]] == ["추천 도서를 알려주세요", "echo: 추천 도서를 알려주세요", "더 알려주세요"]
    assert stored(db)[0] == ("librarian", ["추천 도서를 알려주세요", "더 알려주세요"])
    handle_line(chat, "/resume 9")
    handle_line(chat, "/resume zz")
    assert "N from 1 to 2" in screen(chat) and "not a conversation ID" in screen(chat)


def test_a_store_that_fails_mid_chat_warns_once_and_the_chat_goes_on(chat, fake_ollama, db):
    handle_line(chat, "하나")
    with sqlite3.connect(db) as other:
        other.execute("DELETE FROM conversations")  # removed elsewhere (e.g. `history rm` in another terminal)
    handle_line(chat, "둘")
    handle_line(chat, "셋")
    assert screen(chat).count("Warning:") == 1 and "/clear starts a new one that is" in screen(chat)
    assert "echo: 셋" in screen(chat) and len(chat.session.conversation.exchanges) == 3


def test_with_saving_off_title_resume_and_the_toolbar_say_so(fake_ollama, tmp_path):
    chat = make_chat(fake_ollama, tmp_path, None)
    handle_line(chat, "질문")
    handle_line(chat, "/title 이름")
    handle_line(chat, "/resume")
    assert screen(chat).count("Saving is off") == 2 and toolbar(chat.session).endswith(" · not saved ")
    assert any("nothing of this chat is stored" in text for text, _ in banner(chat.session))


def test_retry_after_resuming_an_interrupted_exchange_asks_it_again(chat, fake_ollama, db):
    gate = fake_ollama.reply(["부분 ", "나머지"], hold_after=1)
    chat.session.output, output = CtrlCAfterFirstPiece(chat.session.output), chat.session.output
    handle_line(chat, "긴 질문")
    gate.release()
    chat.session.output = output
    handle_line(chat, "/clear")
    handle_line(chat, "/resume 1")
    handle_line(chat, "/retry")
    assert fake_ollama.last_chat["messages"][-1]["content"] == "긴 질문"
    with Store.open(db) as store:
        (exchange,) = store.load(store.latest()).exchanges
    assert exchange.reply == "echo: 긴 질문" and not exchange.interrupted
