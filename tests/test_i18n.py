"""Korean for Korean users: the language choice, the catalog's completeness (every message has a Korean entry,
none is stale, the compiled catalog is the .po's), plural forms as gettext chooses them, and the main screens
in both languages."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from ollama_chat import i18n

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import po  # noqa: E402

HANGUL = re.compile("[가-힣]")


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"), ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LANG": "C.UTF-8"}, "en"), ({"LC_ALL": "ko_KR"}, "ko"),
    ({"LANGUAGE": "en:ko", "LANG": "ko_KR.UTF-8"}, "en"), ({"LANGUAGE": "ko", "LANG": "C"}, "ko"),
    ({"LC_MESSAGES": "ko_KR.eucKR"}, "ko"), ({"LANG": "ja_JP.UTF-8"}, "en"),
])
def test_the_language_follows_the_locale_variables(environ, expected):
    assert i18n.from_environment(environ) == expected


def test_every_message_has_a_korean_entry_and_the_catalog_is_compiled():
    assert po.check() == []


def _package(root: Path, code: str) -> Path:
    package = root / "pkg"
    package.mkdir(exist_ok=True)
    (package / "m.py").write_text("from ollama_chat.i18n import _, ngettext\nx = n = 1\n" + code)
    return package


def _translate(po_path: Path, translations: dict[str, str | tuple[str, ...]]) -> None:
    catalog = po.read(po_path)
    for msgid, text in translations.items():
        catalog[msgid].string = text
    with open(po_path, "wb") as f:
        write_po(f, catalog, width=0, sort_output=True, include_lineno=False)


def test_the_workflow_catches_a_missing_translation_an_f_string_and_a_stale_entry(tmp_path):
    package = _package(tmp_path, '_("new message")\n_(f"{x} bad")\nngettext("{n} file", "{n} files", n)\n'
                                 '_(x if n == "1" else x)\n')  # "1" is no message, though Babel picks it up
    po_path, mo_path = tmp_path / "ko.po", tmp_path / "ko.mo"
    assert [m.id for m in po.update(package, po_path) if m.id] == ["new message", ("{n} file", "{n} files")]
    problems = po.check(package, po_path, mo_path)
    assert any("no Korean entry: 'new message'" in p for p in problems)
    assert any("no Korean entry: '{n} file'" in p for p in problems)
    assert any("pkg/m.py:4: _() needs a plain string literal, not JoinedStr" in p for p in problems)
    assert any("is not compiled from the .po" in p for p in problems)
    text = po_path.read_text(encoding="utf-8")
    assert 'msgid "{n} file"\nmsgid_plural "{n} files"\nmsgstr[0] ""' in text  # one entry, Korean's one form
    assert "#: pkg/m.py\n" in text  # no line numbers: moving code changes only the file names

    (package / "m.py").write_text((package / "m.py").read_text().replace('_(f"{x} bad")\n', ""))
    _translate(po_path, {"new message": "새 메시지", "{n} file": ("파일 {n}개",)})
    po.compile_mo(po_path, mo_path)
    assert po.check(package, po_path, mo_path) == []

    (package / "m.py").write_text((package / "m.py").read_text().replace('_("new message")\n', ""))
    assert po.check(package, po_path, mo_path) == ["stale entry (no longer in the code): 'new message'"]
    po.update(package, po_path)
    po.compile_mo(po_path, mo_path)
    assert po.check(package, po_path, mo_path) == [] and "new message" not in po_path.read_text(encoding="utf-8")


def test_a_plural_kept_as_two_entries_becomes_one_entry_with_its_korean(tmp_path):
    """How the catalog kept ngettext's pair before Babel (and how an older branch still brings it)."""
    package = _package(tmp_path, 'ngettext("{n} file", "{n} files", n)\n')
    po_path = tmp_path / "ko.po"
    po_path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: ko\\n"\n\n'
                       'msgid "{n} file"\nmsgstr "파일 {n}개"\n\nmsgid "{n} files"\nmsgstr "파일 {n}개(여럿)"\n',
                       encoding="utf-8")
    po.update(package, po_path)
    entry = po.read(po_path).get("{n} file")
    assert entry.id == ("{n} file", "{n} files") and entry.string == ("파일 {n}개(여럿)",) and not entry.fuzzy
    po.compile_mo(po_path, tmp_path / "ko.mo")
    assert po.check(package, po_path, tmp_path / "ko.mo") == []


def test_update_takes_what_the_catalog_lacks_from_another_branchs_catalog(tmp_path):
    """After a merge conflict in the .po: keep one side, then `update OTHER.po` brings the other's Korean."""
    package = _package(tmp_path, '_("kept")\n_("theirs")\nngettext("{n} file", "{n} files", n)\n')
    po_path, theirs = tmp_path / "ko.po", tmp_path / "theirs.po"
    po.update(package, po_path)
    _translate(po_path, {"kept": "유지"})
    theirs.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: ko\\n"\n\n'
                      'msgid "kept"\nmsgstr "다른 번역"\n\nmsgid "theirs"\nmsgstr "그쪽"\n\n'
                      'msgid "{n} file"\nmsgstr "파일 {n}개"\n\nmsgid "{n} files"\nmsgstr "파일 {n}개"\n\n'
                      'msgid "gone"\nmsgstr "사라짐"\n', encoding="utf-8")
    po.update(package, po_path, also=[theirs])
    catalog = po.read(po_path)
    assert {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id} == {
        "kept": "유지", "theirs": "그쪽", "{n} file": ("파일 {n}개",)}  # ours wins where both have one
    po.compile_mo(po_path, tmp_path / "ko.mo")
    assert po.check(package, po_path, tmp_path / "ko.mo") == []


def test_ngettext_picks_the_form_the_languages_rule_chooses(tmp_path, monkeypatch):
    """A language with three plural forms (Polish: 1, 2-4 but not 12-14, the rest) works with the catalog as
    it is kept: one entry per ngettext pair, the rule in its Plural-Forms header."""
    catalog = Catalog(locale="pl", fuzzy=False)
    assert catalog.num_plurals == 3
    catalog.add(("{n} file", "{n} files"), ("{n} plik", "{n} pliki", "{n} plików"))
    catalog.add("Bye!", "Do widzenia!")
    folder = tmp_path / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "ollama_chat.mo", "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "LANGUAGES", (*i18n.LANGUAGES, "pl"))
    try:
        i18n.use("pl")
        shown = {n: i18n.ngettext("{n} file", "{n} files", n).format(n=n) for n in (1, 2, 4, 5, 12, 22, 25)}
        assert i18n._("Bye!") == "Do widzenia!"
    finally:
        i18n.use("en")
    assert shown == {1: "1 plik", 2: "2 pliki", 4: "4 pliki", 5: "5 plików", 12: "12 plików", 22: "22 pliki",
                     25: "25 plików"}
    assert [i18n.ngettext("{n} file", "{n} files", n) for n in (1, 2)] == ["{n} file", "{n} files"]  # English


def test_korean_has_one_form_for_every_count():
    i18n.use("ko")
    try:
        shown = [i18n.ngettext("{n} exchange", "{n} exchanges", n).format(n=n) for n in (0, 1, 2, 5)]
    finally:
        i18n.use("en")
    assert shown == ["문답 0개", "문답 1개", "문답 2개", "문답 5개"]


def test_the_program_reads_the_catalog_without_babel():
    """Babel is a development tool: the compiled .mo is read with the standard library's gettext."""
    code = ("import sys; sys.modules['babel'] = None  # any import of babel fails\n"
            "from ollama_chat import i18n\ni18n.use('ko')\n"
            "print(i18n.ngettext('{n} exchange', '{n} exchanges', 3).format(n=3), i18n._('Bye!'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["문답", "3개"] and HANGUL.search(result.stdout.split(maxsplit=2)[2])
    for path in po.PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name.split(".")[0] == "babel" for name in names), path


def test_korean_is_used_when_asked_and_english_otherwise():
    i18n.use("ko")
    assert HANGUL.search(i18n._("Bye!"))  # no condition: a catalogue without "Bye!" fails here
    i18n.use("en")
    assert i18n._("Bye!") == "Bye!"


@pytest.mark.parametrize("text, expected", [
    ("'ollama-chat -h'을(를) 실행하세요.", "'ollama-chat -h'를 실행하세요."),  # 에이치: a vowel
    ("9.0은(는) 쓸 수 없습니다", "9.0은 쓸 수 없습니다"),  # 영
    ("5은(는) 쓸 수 없습니다", "5는 쓸 수 없습니다"),  # 오
    ("llama3.2:latest이(가) 센 값", "llama3.2:latest가 센 값"),
    ("/notes.json을(를) 읽을 수 없습니다", "/notes.json을 읽을 수 없습니다"),  # 엔
    ("“질문”이(가) 들어 있는", "“질문”이 들어 있는"),
    ("HTTP 400(으)로 응답했습니다", "HTTP 400으로 응답했습니다"),
    ("서울(으)로 갑니다", "서울로 갑니다"),  # ㄹ takes 로
    ("'nosuch'이라는 페르소나", "'nosuch'라는 페르소나"),
    ("문답이라는 말", "문답이라는 말"),
])
def test_korean_particles_fit_the_word_before_them(text, expected):
    i18n.use("ko")
    assert i18n.particles(text) == expected
    i18n.use("en")
    assert i18n.particles(text) == text  # English text is never touched


def test_korean_errors_read_naturally(cli):
    code, out, err = cli("--temperature", "2.5", "질문", LANG="ko_KR.UTF-8")
    assert code == 2 and "2.5는 쓸 수 없습니다" in err and "(는)" not in err and err.count("옵션") == 1
    code, out, err = cli("--bogus", LANG="ko_KR.UTF-8")
    assert "'ollama-chat -h'를 실행하세요." in err
