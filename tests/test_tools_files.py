"""The built-in file tools: what the model gets back for each call, and above all what it never gets: a file
outside the chat's folder (by `..`, an absolute path, a symbolic link at any depth), a hidden or ignored
file, a FIFO or a device opened, a huge file read, binary data, a result larger than its budget."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from ollama_chat import i18n
from ollama_chat.files.attachments import MAX_TEXT
from ollama_chat.estimate import Calibration
from ollama_chat.tools.base import TOOL_NAME
from ollama_chat.tools.builtin import FILE_TOOLS, GROUPS, NAMES, build, chosen
from ollama_chat.tools.confine import Folder, Refused
from ollama_chat.errors import UsageError

SECRET = "TOP-SECRET-OUTSIDE"
tokens = Calibration().tokens


def bounded(fn, *args, **kwargs):
    """Run `fn` in a thread: a call that blocks forever (a FIFO opened for reading) fails the test instead of
    hanging the suite. The bound is a hang guard, not a speed test."""
    out: list = []

    def run() -> None:
        try:
            out.append((fn(*args, **kwargs), None))
        except Exception as e:  # raised again in the test's thread
            out.append((None, e))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert out, "the call blocked"
    value, error = out[0]
    if error is not None:
        raise error
    return value


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET + "\n")
    return folder


@pytest.fixture
def root(tmp_path) -> Path:
    project = tmp_path / "project"
    (project / ".git" / "info").mkdir(parents=True)
    (project / "src").mkdir()
    (project / "src" / "app.py").write_text("def main():\n    print('Hello, world')\n")
    (project / "README.md").write_text("# Project\r\nSay hello.\r\n")
    return project


def tools(root, budget: int = 8000):
    return {t.spec.name: t for t in build(FILE_TOOLS, root=root, host=None, env={}, budget=lambda: budget)}


def call(root, name, budget: int = 8000, **arguments):
    return bounded(tools(root, budget)[name].call, arguments, timeout=30)


# -- reading ------------------------------------------------------------------------------------------------


def test_a_file_is_read_with_its_lines_counted_and_crlf_made_lf(root):
    result = call(root, "read_file", path="README.md")
    assert not result.is_error
    assert result.text == "README.md (lines 1-2 of 2, utf-8):\n# Project\nSay hello."


def test_a_line_range_is_read(root):
    (root / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 11)))
    result = call(root, "read_file", path="n.txt", start_line=3, end_line="5")
    assert result.text == "n.txt (lines 3-5 of 10, utf-8):\nline 3\nline 4\nline 5"


@pytest.mark.parametrize("arguments, words", [
    ({}, "path is missing"), ({"path": 7}, "must be a string"),
    ({"path": "src"}, "is a folder; list it with list_directory"),
    ({"path": "missing.txt"}, "There is no file or folder named missing.txt"),
    ({"path": "README.md", "start_line": 0}, "start_line must be a whole number"),
    ({"path": "README.md", "start_line": "x"}, "start_line must be a whole number"),
    ({"path": "README.md", "start_line": 9}, "has 2 lines; start_line 9 is past its end"),
    ({"path": "README.md", "start_line": 2, "end_line": 1}, "end_line 1 comes before start_line 2"),
    ({"path": "a\0b"}, "not valid"),
])
def test_bad_arguments_are_errors_worded_for_the_model(root, arguments, words):
    result = call(root, "read_file", **arguments)
    assert result.is_error and words in result.text


def test_a_long_file_is_cut_at_a_line_within_the_budget_and_says_how_to_read_on(root):
    (root / "log.txt").write_text("".join(f"2026-01-01 request {i} served in 12 ms\n" for i in range(1, 5001)))
    first = call(root, "read_file", budget=500, path="log.txt")
    assert not first.is_error and tokens(first.text) <= 500
    header, *lines, note = first.text.split("\n")
    last = len(lines)
    assert lines[-1] == f"2026-01-01 request {last} served in 12 ms" and 20 < last < 5000
    assert header == f"log.txt (lines 1-{last} of 5000, utf-8):"
    assert note == f"[Cut to fit: lines 1-{last} of 5000 shown. Ask again with start_line={last + 1} to read on.]"
    second = call(root, "read_file", budget=500, path="log.txt", start_line=last + 1)
    assert second.text.split("\n")[1] == f"2026-01-01 request {last + 1} served in 12 ms"


def test_one_line_longer_than_the_budget_is_cut_inside_the_line(root):
    (root / "min.js").write_text("var a=1;" * 20000)
    result = call(root, "read_file", budget=300, path="min.js")
    assert tokens(result.text) <= 300 and result.text.split("\n")[1].endswith(" …")
    assert "lines 1-1 of 1" in result.text and "start_line=2" in result.text


def test_a_file_over_the_size_limit_is_refused_with_its_size(root):
    with open(root / "huge.log", "wb") as f:
        f.truncate(MAX_TEXT + 1)  # sparse: nothing is written, nothing should be read
    result = call(root, "read_file", path="huge.log")
    assert result.is_error and "huge.log is 4,096 KiB, over the 4,096 KiB the file tools read" in result.text


def test_binary_is_refused_by_name(root):
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    result = call(root, "read_file", path="logo.png")
    assert result.is_error and result.text == "logo.png is not a text file (binary data); it was not read."


@pytest.mark.parametrize("data, encoding", [
    ("안녕하세요, 한국어 메모입니다.\n".encode("cp949"), "cp949"),
    ("\ufeff안녕하세요, 한국어 메모입니다.\n".encode("utf-16-le"), "utf-16"),
    ("\ufeff안녕하세요, 한국어 메모입니다.\n".encode("utf-8"), "utf-8-sig"),
])
def test_text_is_decoded_as_attachments_are(root, data, encoding):
    (root / "memo.txt").write_bytes(data)
    result = call(root, "read_file", path="memo.txt")
    assert result.text == f"memo.txt (lines 1-1 of 1, {encoding}):\n안녕하세요, 한국어 메모입니다."


# -- confinement --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["../outside/secret.txt", "src/../../outside/secret.txt", "..", "/etc/passwd",
                                  "{outside}/secret.txt"])
def test_dot_dot_and_absolute_paths_out_are_refused(root, outside, path):
    for name, arguments in (("read_file", {"path": path.format(outside=outside)}),
                            ("list_directory", {"path": path.format(outside=outside)}),
                            ("search_files", {"query": "secret", "path": path.format(outside=outside)})):
        result = call(root, name, **arguments)
        assert result.is_error and "outside the folder the chat was started in" in result.text
        assert SECRET not in result.text


def test_an_absolute_path_inside_the_folder_is_taken(root):
    assert call(root, "read_file", path=str(root / "src" / "app.py")).text.startswith("src/app.py (lines 1-2")


@pytest.mark.parametrize("make, path", [
    (lambda r, o: os.symlink(o / "secret.txt", r / "link.txt"), "link.txt"),  # a file link at the top
    (lambda r, o: os.symlink(o, r / "src" / "out"), "src/out/secret.txt"),  # a folder link, one down
    (lambda r, o: (os.makedirs(r / "a" / "b" / "c"), os.symlink(o, r / "a" / "b" / "c" / "d")),
     "a/b/c/d/secret.txt"),  # a folder link, three down
    (lambda r, o: (os.symlink("../hop", r / "src" / "first"), os.symlink(o / "secret.txt", r / "hop")),
     "src/first"),  # a chain of two links, the second leading out
    (lambda r, o: os.symlink("../../outside/secret.txt", r / "src" / "rel"), "src/rel"),  # a relative link out
])
def test_a_symlink_out_at_any_depth_is_refused(root, outside, make, path):
    make(root, outside)
    result = call(root, "read_file", path=path)
    assert result.is_error and "leads outside the folder" in result.text and SECRET not in result.text
    found = call(root, "search_files", query="top-secret")
    assert not found.is_error and SECRET not in found.text and found.text.startswith("No matches")


def test_a_listing_names_a_link_out_without_following_it(root, outside):
    os.symlink(outside, root / "src" / "out")
    os.symlink(outside / "secret.txt", root / "src" / "secret.txt")
    os.symlink(root / "README.md", root / "src" / "readme")
    result = call(root, "list_directory", path="src")
    assert result.text == ("src/ (4 entries):\napp.py  (38 bytes)\n"
                           "out  (a link leading outside the folder: not readable)\n"
                           "readme  (23 bytes) (link)\n"
                           "secret.txt  (a link leading outside the folder: not readable)")


def test_symlink_loops_are_errors_and_walks_end(root):
    os.symlink("loop", root / "loop")
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    os.symlink("..", root / "src" / "up")  # a folder link back up: never walked into
    for path in ("loop", "a"):
        result = call(root, "read_file", path=path)
        assert result.is_error and "symbolic links" in result.text
    listing = call(root, "list_directory")
    assert "loop  (a broken link)" in listing.text and "a  (a broken link)" in listing.text
    found = call(root, "search_files", query="hello")
    assert found.text.split("\n")[1:] == ["README.md:2: Say hello.", "src/app.py:2: print('Hello, world')"]


def test_a_fifo_is_never_opened(root):
    os.mkfifo(root / "pipe")
    result = call(root, "read_file", path="pipe")
    assert result.is_error and result.text == "pipe is not a regular file (a pipe, a device or a socket); it is never opened."
    assert "pipe  (a pipe, a device or a socket: not readable)" in call(root, "list_directory").text
    assert not call(root, "search_files", query="x").is_error


def test_a_file_swapped_for_a_fifo_after_it_was_checked_is_not_read(root):
    folder = Folder(root)
    located = folder.locate("README.md")
    os.unlink(root / "README.md")
    os.mkfifo(root / "README.md")
    with pytest.raises(Refused, match="changed while it was being read|not a regular file"):
        bounded(folder.read_bytes, located, 100)


def test_a_file_swapped_for_a_link_out_after_it_was_checked_is_not_read(root, outside):
    folder = Folder(root)
    located = folder.locate("README.md")
    os.unlink(root / "README.md")
    os.symlink(outside / "secret.txt", root / "README.md")
    with pytest.raises(Refused):
        folder.read_bytes(located, 100)


def test_dev_zero_through_a_symlink_is_refused(root):
    os.symlink("/dev/zero", root / "zeros")
    result = call(root, "read_file", path="zeros")
    assert result.is_error and "leads outside the folder" in result.text
    assert not call(root, "search_files", query="x").is_error


# -- hidden and ignored, as /read . -------------------------------------------------------------------------


def test_gitignored_and_hidden_files_are_refused_unlisted_and_unsearched(root):
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    (root / ".git" / "info" / "exclude").write_text("private.txt\n")
    (root / "debug.log").write_text("hello from the log\n")
    (root / "private.txt").write_text("hello privately\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("hello build\n")
    (root / ".env").write_text("API_KEY=hello\n")
    (root / ".git" / "config").write_text("[core]\n")
    (root / "notes.txt").symlink_to(root / ".env")  # a visible name for a hidden file
    for path, why in (("debug.log", "ignored by .gitignore"), ("private.txt", "ignored by .gitignore"),
                      ("build/out.txt", "ignored by .gitignore"), ("build", "ignored by .gitignore"),
                      (".env", "is hidden"), (".git/config", "is hidden"), ("notes.txt", "is hidden")):
        result = call(root, "read_file", path=path)
        assert result.is_error and why in result.text and "/read" in result.text, path
    listing = call(root, "list_directory")
    assert listing.text == "./ (2 entries):\nREADME.md  (23 bytes)\nsrc/\n[7 hidden or ignored entries are not shown.]"
    found = call(root, "search_files", query="hello")
    assert found.text == ('2 matches for "hello" in .:\nREADME.md:2: Say hello.\n'
                          "src/app.py:2: print('Hello, world')")


def test_names_with_newlines_cannot_forge_lines_and_can_be_read_back(root):
    (root / "evil\nsecret.txt").write_text("hello from a strange name\n")
    listing = call(root, "list_directory")
    line = next(line for line in listing.text.split("\n") if "evil" in line)
    assert line == '"evil\\nsecret.txt"  (26 bytes)' and "\nsecret.txt" not in listing.text
    shown = line.split("  ")[0]
    for path in (shown, "evil\nsecret.txt"):  # as shown (a JSON string), or decoded by the model
        result = call(root, "read_file", path=path)
        assert result.text == '"evil\\nsecret.txt" (lines 1-1 of 1, utf-8):\nhello from a strange name'
    assert '"evil\\nsecret.txt":1: hello from a strange name' in call(root, "search_files", query="strange").text


# -- listing and searching ----------------------------------------------------------------------------------


def test_a_listing_is_bounded_by_its_budget(root):
    for i in range(300):
        (root / "src" / f"module_{i:03}.py").write_text("x = 1\n")
    result = call(root, "list_directory", budget=300, path="src")
    assert tokens(result.text) <= 300
    assert result.text.startswith("src/ (301 entries):\napp.py  (38 bytes)\nmodule_000.py  (6 bytes)")
    assert result.text.split("\n")[-1].startswith("[Cut to fit: ") and "of 301 entries shown.]" in result.text


def test_search_is_plain_case_insensitive_text(root):
    (root / "a.txt").write_text("STRASSE\nabc\na.c\nStraße\n")
    assert call(root, "search_files", query="straße").text.split("\n")[1:] == ["a.txt:1: STRASSE", "a.txt:4: Straße"]
    assert call(root, "search_files", query="a.c").text.split("\n")[1:] == ["a.txt:3: a.c"]  # not a pattern


def test_search_stops_at_max_results_and_says_there_are_more(root):
    (root / "many.txt").write_text("needle\n" * 500)
    result = call(root, "search_files", query="needle", max_results=3)
    assert result.text == ('3 matches for "needle" in .:\nmany.txt:1: needle\nmany.txt:2: needle\nmany.txt:3: needle\n'
                           "[Stopped at 3 matches; there are more. Narrow the query or the path, or raise max_results.]")
    assert call(root, "search_files", query="needle").text.startswith("50 matches")  # the default
    capped = call(root, "search_files", budget=100_000, query="needle", max_results=10_000)
    assert capped.text.startswith("200 matches")


def test_search_lines_are_cut_and_results_fit_the_budget(root):
    (root / "wide.txt").write_text(("needle " + "x" * 1000 + "\n") * 100)
    result = call(root, "search_files", budget=400, query="NEEDLE", max_results=100)
    assert tokens(result.text) <= 400
    hit = result.text.split("\n")[1]
    assert hit.startswith("wide.txt:1: needle xxx") and hit.endswith(" …") and len(hit) < 330
    assert "[Cut to fit: " in result.text and "of 100 matches shown.]" in result.text


def test_search_skips_files_over_the_limit_and_binary_and_says_so(root):
    with open(root / "huge.txt", "wb") as f:
        f.truncate(MAX_TEXT + 1)
    (root / "bin.dat").write_bytes(b"needle\0\0\0")
    result = call(root, "search_files", query="needle")
    assert result.text == 'No matches for "needle" in . (2 files searched).\n[1 file over 4,096 KiB was not searched.]'


def test_search_in_a_subfolder_or_one_file(root):
    (root / "top.txt").write_text("hello\n")
    assert call(root, "search_files", query="hello", path="src").text == (
        '1 match for "hello" in src:\n' "src/app.py:2: print('Hello, world')")
    assert call(root, "search_files", query="hello", path="top.txt").text.endswith("top.txt:1: hello")
    assert call(root, "search_files", query="").is_error


# -- the registry and the specs -----------------------------------------------------------------------------


def test_groups_and_names():
    assert chosen(["read,web"]) == NAMES
    assert chosen(["web", "read_file"]) == ("read_file", "web_search", "web_fetch")
    assert GROUPS["read"] == ("read_file", "list_directory", "search_files")
    with pytest.raises(UsageError, match="no built-in tool or group named 'shell'") as e:
        chosen(["read,shell"])
    assert "Groups: read, web. Tools: read_file" in e.value.hint


def test_specs_are_offerable_json_schemas(tmp_path):
    built = build(NAMES, root=tmp_path, host="127.0.0.1:1", env={})
    assert [t.spec.name for t in built] == list(NAMES)
    for tool in built:
        assert TOOL_NAME.match(tool.spec.name) and tool.spec.description
        schema = json.loads(json.dumps(tool.spec.parameters))
        assert schema["type"] == "object" and set(schema.get("required", ())) <= set(schema["properties"])
        assert tool.spec.network == tool.spec.name.startswith("web_")


def test_errors_are_in_korean_for_korean_users(root):
    i18n.use("ko")
    result = call(root, "read_file", path="../x")
    assert result.is_error and "../x" in result.text and "바깥" in result.text


def test_a_search_over_too_many_files_or_out_of_time_says_it_is_partial(root, monkeypatch):
    from ollama_chat.tools import files

    for i in range(5):
        (root / f"f{i}.txt").write_text("needle\n")
    monkeypatch.setattr(files, "MAX_SEARCH_FILES", 3)
    partial = call(root, "search_files", query="needle")  # README.md, f0.txt, f1.txt
    assert partial.text.startswith("2 matches") and partial.text.endswith(
        "[The folder is too large to search whole; only part of it was searched. Narrow the path.]")
    late = tools(root)["search_files"].call({"query": "needle"}, timeout=0)
    assert "[The search ran out of time after 0 files; narrow the path.]" in late.text
