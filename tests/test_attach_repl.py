"""Files and images in the REPL: `@path`, `/read`, `/image`, what is shown and what goes over the wire."""

from __future__ import annotations

import base64

import pytest

from test_attach_cli import PNG
from test_session import make_chat, screen

from ollama_chat.chat.settings import Flags
from ollama_chat.ui.commands import handle_line
from ollama_chat.ui.status import toolbar


@pytest.fixture
def chat(fake_ollama, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_chat(fake_ollama, tmp_path / "personas", flags=Flags())


def last_user(fake):
    return fake.last_chat["messages"][-1]


def test_at_path_attaches_the_file_and_the_screen_shows_its_cost(chat, fake_ollama, tmp_path):
    (tmp_path / "todo.md").write_text("- 우유 사기\n- 책 반납\n")
    handle_line(chat, "@todo.md 에서 급한 것은?")
    assert last_user(fake_ollama)["content"] == "todo.md:\n```\n- 우유 사기\n- 책 반납\n```\n\n@todo.md 에서 급한 것은?"
    shown = screen(chat)
    assert "📎 todo.md · 29 B · about " in shown and " tokens" in shown
    question = chat.session.conversation.last.question
    assert question.words == "@todo.md 에서 급한 것은?" and [a.name for a in question.attached] == ["todo.md"]


def test_an_at_word_that_is_no_file_stays_text(chat, fake_ollama):
    handle_line(chat, "메일은 me@example.com 으로, 트위터는 @nobody 야")
    assert last_user(fake_ollama)["content"] == "메일은 me@example.com 으로, 트위터는 @nobody 야"


def test_trailing_punctuation_and_quotes_and_home(chat, fake_ollama, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "a.txt").write_text("A\n")
    (tmp_path / "my notes.txt").write_text("B\n")
    handle_line(chat, '@~/a.txt, @"my notes.txt" 비교해 줘')
    content = last_user(fake_ollama)["content"]
    assert content.startswith("~/a.txt:\n```\nA\n```\n\nmy notes.txt:\n```\nB\n```\n\n")


def test_a_binary_at_file_stops_the_message(chat, fake_ollama, tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\0\1\2" * 100)
    handle_line(chat, "@x.bin 이게 뭐야")
    assert fake_ollama.chat_requests == []
    assert "Cannot attach x.bin: it is not a text file" in screen(chat)
    assert "Nothing was sent; ↑ brings your text back." in screen(chat)


def test_read_a_file_then_ask(chat, fake_ollama, tmp_path):
    (tmp_path / "a.txt").write_bytes("안녕하세요\n".encode("cp949"))
    handle_line(chat, "/read a.txt")
    assert "(read as CP949)" in screen(chat) and "1 attachment goes with your next message." in screen(chat)
    assert "📎 1" in toolbar(chat.session)
    assert fake_ollama.chat_requests == []
    handle_line(chat, "번역해 줘")
    assert last_user(fake_ollama)["content"] == "a.txt:\n```\n안녕하세요\n```\n\n번역해 줘"
    handle_line(chat, "또?")  # sent once: the tray is empty again
    assert last_user(fake_ollama)["content"] == "또?"
    assert "📎" not in toolbar(chat.session)


def test_read_a_folder_skips_ignored_and_binary_files(chat, fake_ollama, tmp_path):
    src = tmp_path / "proj"
    (src / "build").mkdir(parents=True)
    (src / ".gitignore").write_text("build/\n*.log\n")
    (src / "main.py").write_text("print('hi')\n")
    (src / "util.py").write_text("X = 1\n")
    (src / "debug.log").write_text("noise\n")
    (src / "build" / "out.py").write_text("generated\n")
    (src / "logo.bin").write_bytes(b"\0" * 64)
    handle_line(chat, "/read proj")
    handle_line(chat, "설명해 줘")
    content = last_user(fake_ollama)["content"]
    assert "proj/main.py:\n```\nprint('hi')\n```" in content and "proj/util.py:\n```\nX = 1\n```" in content
    assert "noise" not in content and "generated" not in content
    assert "Skipped: 2 by .gitignore; 1 hidden; 1 binary (proj/logo.bin)." in screen(chat)


def test_image_to_a_vision_model_and_refused_without_vision(chat, fake_ollama, tmp_path):
    (tmp_path / "cat.png").write_bytes(PNG)
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    handle_line(chat, "/image cat.png")
    assert "gemma3:4b can see images; llama3.2:latest cannot" in screen(chat)
    assert not chat.session.tray
    handle_line(chat, "/model gemma3:4b")
    handle_line(chat, "@cat.png 무슨 동물?")
    message = last_user(fake_ollama)
    assert message["images"] == [base64.b64encode(PNG).decode()] and message["content"] == "@cat.png 무슨 동물?"
    assert "📎 cat.png · PNG · 70 B" in screen(chat)


def test_a_file_too_big_is_refused_and_the_others_stay(chat, fake_ollama, tmp_path):
    handle_line(chat, "/set num_ctx 2048")
    (tmp_path / "small.txt").write_text("작다\n")
    (tmp_path / "big.txt").write_text("긴 줄입니다. " * 3000)
    handle_line(chat, "/read small.txt big.txt")
    assert "Not attached: big.txt is about" in screen(chat) and "2,048-token context window" in screen(chat)
    assert [f.name for f in chat.session.tray.files] == ["small.txt"]


def test_history_shows_words_and_names_not_the_file(chat, fake_ollama, tmp_path):
    (tmp_path / "secret.txt").write_text("비밀번호 목록\n")
    fake_ollama.reply(["알겠습니다."])
    handle_line(chat, "@secret.txt 정리해 줘")
    chat.console.file.truncate(0)
    chat.console.file.seek(0)
    handle_line(chat, "/history")
    handle_line(chat, "/history 1")
    shown = screen(chat)
    assert "📎 secret.txt (20 B)" in shown and "정리해 줘" in shown and "비밀번호" not in shown


def test_edit_keeps_the_attachments(chat, fake_ollama, tmp_path):
    (tmp_path / "a.txt").write_text("사과\n")
    handle_line(chat, "@a.txt 이건 뭐야")
    chat.session.edit_last("이건 무슨 과일이야")
    assert len(chat.session.conversation.exchanges) == 1
    assert last_user(fake_ollama)["content"] == "a.txt:\n```\n사과\n```\n\n이건 무슨 과일이야"
    assert chat.session.last_words == "이건 무슨 과일이야"


def test_a_korean_particle_written_onto_the_name_still_attaches(chat, fake_ollama, tmp_path):
    (tmp_path / "notes.md").write_text("메모\n")
    handle_line(chat, "@notes.md를 요약해 줘")
    assert last_user(fake_ollama)["content"] == "notes.md:\n```\n메모\n```\n\n@notes.md를 요약해 줘"


def test_an_at_folder_stays_text_and_points_at_read(chat, fake_ollama, tmp_path):
    (tmp_path / "proj").mkdir()
    handle_line(chat, "@proj 구조 설명")
    assert last_user(fake_ollama)["content"] == "@proj 구조 설명"
    assert "@proj is a folder and stays text; /read proj attaches the text files in it." in screen(chat)


def test_read_alone_lists_and_clear_drops_what_waits(chat, fake_ollama, tmp_path):
    (tmp_path / "a.txt").write_text("가\n")
    (tmp_path / "cat.png").write_bytes(PNG)
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    handle_line(chat, "/model gemma3:4b")
    handle_line(chat, "/read a.txt")
    handle_line(chat, "/image cat.png")
    chat.console.file.truncate(0)
    chat.console.file.seek(0)
    handle_line(chat, "/read")
    assert "📎 a.txt · 4 B · about " in screen(chat) and "📎 cat.png · PNG · 70 B" in screen(chat)
    assert "2 attachments go with your next message." in screen(chat) and "/read --clear drops them." in screen(chat)
    handle_line(chat, "/model llama3.2")  # cannot see: the image would stop every message
    handle_line(chat, "그냥 텍스트")
    assert fake_ollama.chat_requests == [] and "/read --clear" in screen(chat)
    handle_line(chat, "/read --clear")
    assert "Dropped 2 waiting attachments." in screen(chat)
    handle_line(chat, "그냥 텍스트")
    assert last_user(fake_ollama)["content"] == "그냥 텍스트"


def test_read_a_glob_that_matches_nothing(chat, fake_ollama):
    handle_line(chat, "/read *.xyz")
    assert "Nothing matches *.xyz." in screen(chat)


def test_clear_says_waiting_attachments_go_too(chat, fake_ollama, tmp_path):
    (tmp_path / "a.txt").write_text("가\n")
    handle_line(chat, "/read a.txt")
    handle_line(chat, "/clear")
    assert "The 1 waiting attachment was dropped too." in screen(chat) and not chat.session.tray


def test_the_toolbar_counts_waiting_files_in_ctx(chat, fake_ollama, tmp_path):
    before = toolbar(chat.session)
    (tmp_path / "a.txt").write_text("긴 글입니다. " * 100)
    handle_line(chat, "/read a.txt")
    after = toolbar(chat.session)
    assert "📎 1" in after and after.split(" · ")[1] != before.split(" · ")[1]


def test_tab_completion_quotes_a_name_with_a_space(tmp_path, monkeypatch):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from ollama_chat.ui.completion import MentionCompleter

    monkeypatch.chdir(tmp_path)
    (tmp_path / "회의 메모.md").write_text("x")
    (tmp_path / "plain.txt").write_text("x")

    def complete(text):
        doc = Document(text, len(text))
        return [doc.text[: len(text) + c.start_position] + c.text
                for c in MentionCompleter().get_completions(doc, CompleteEvent(completion_requested=True))]

    assert complete("요약 @회") == ['요약 @"회의 메모.md"']
    assert complete('요약 @"회의 메') == ['요약 @"회의 메모.md"']
    assert complete("@pla") == ["@plain.txt"]
    assert complete("me@pla") == []
    (tmp_path / "a\nError: x\u202etxt.exe").write_text("x")  # a name one line cannot show
    (tmp_path / "ab.txt").write_text("x")
    assert complete("@a") == ["@ab.txt"]


def test_a_path_shaped_at_word_that_names_nothing_is_told(chat, fake_ollama):
    handle_line(chat, "@/tmp/없는파일.txt 요약해 줘 @someone")
    assert last_user(fake_ollama)["content"] == "@/tmp/없는파일.txt 요약해 줘 @someone"
    assert "@/tmp/없는파일.txt looks like a file name but there is no such file here" in screen(chat)
    assert "@someone looks like" not in screen(chat)


def test_an_image_refused_as_it_is_attached_says_to_switch_and_send_again(chat, fake_ollama, tmp_path):
    (tmp_path / "cat.png").write_bytes(PNG)
    fake_ollama.add_model("gemma3:4b", capabilities=("completion", "vision"))
    handle_line(chat, "@cat.png 뭐가 보여?")
    assert "Switch with /model gemma3:4b, then send it again." in screen(chat) and "/read --clear" not in screen(chat)
    assert fake_ollama.chat_requests == [] and not chat.session.tray


def test_read_and_image_of_an_unknown_users_home_are_messages(chat, fake_ollama):
    handle_line(chat, "/read ~nosuchuser/x")
    handle_line(chat, "/image ~nosuchuser/x.png")
    handle_line(chat, "@~nosuchuser/x 안녕")
    assert "Cannot attach ~nosuchuser/x: there is no such file." in screen(chat)
    assert "'~nosuchuser' is no user's home folder here" in screen(chat)
    assert last_user(fake_ollama)["content"] == "@~nosuchuser/x 안녕"
