"""The built-in file tools: `read_file`, `list_directory`, `search_files`, confined to the folder the chat was
started in (confine.py says how) and bounded: a file over attachments.MAX_TEXT is refused, every result is cut
to the caller's token budget (and to MAX_OUTPUT characters) with a note saying what was left out and how to
ask for it. Text is decoded as attachments are (UTF-8, BOMs, UTF-16, CP949, charset-normalizer); a binary file
is refused by name.

Approval: these read files that are not part of the conversation, so like every tool they need the user's
keypress before each call (the issue's rule: every call that reads outside the conversation is shown first),
unless the user pre-approves them (`a`, `--yes-tools`, the config). Nothing here asks: the turn loop does.

Sentences in results (errors, notes on what was cut) go through `_()`: the user reads them in the call's
block and `/tools last`, and the model reads Korean as well as English. Data (paths, lines) is as found."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from ollama_chat.files.attachments import MAX_TEXT, decode
from ollama_chat.estimate import Calibration
from ollama_chat.files.filesets import expand
from ollama_chat.i18n import _, ngettext
from ollama_chat.tools.base import ToolResult, ToolSpec
from ollama_chat.tools.confine import Entry, Folder, Located, Refused, shown
from ollama_chat.tools.fit import DEFAULT_BUDGET, Tokens, cut_to

MAX_OUTPUT = 100_000  # characters of one result, before the token budget cuts it further
MAX_LIST = 500  # entries of one listing
SEARCH_DEFAULT, SEARCH_MAX = 50, 200  # hits
MAX_SEARCH_FILES = 5_000
MAX_SEARCH_BYTES = 64 * 1024 * 1024  # read by one search, in all
MAX_HIT_LINE = 300  # characters of one matching line

_PATH = {"type": "string", "description": "A path relative to the folder the chat was started in; '.' is that folder."}


def _positive(arguments: Mapping[str, Any], key: str) -> int | None:
    """A whole number ≥ 1 the model gave (models often send "10" for 10); None when absent; Refused otherwise."""
    value = arguments.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(_("{name} must be a whole number from 1 up.").format(name=key))
    return value


class _FileTool:
    spec: ToolSpec

    def __init__(self, folder: Folder, budget: Callable[[], int] = lambda: DEFAULT_BUDGET,
                 tokens: Tokens = Calibration().tokens) -> None:
        self.folder = folder
        self.budget = budget
        self.tokens = tokens

    def call(self, arguments: Mapping[str, Any], *, timeout: float) -> ToolResult:
        try:
            return self._run(arguments, time.monotonic() + timeout)
        except Refused as e:
            return ToolResult(e.text, is_error=True)
        except OSError as e:
            return ToolResult(_("The file tool failed: {reason}.").format(reason=e.strerror or e), is_error=True)

    def _run(self, arguments: Mapping[str, Any], deadline: float) -> ToolResult:
        raise NotImplementedError

    def _room(self, *texts: str) -> int:
        """Tokens left for the body once `texts` (a header, a note) are counted."""
        return self.budget() - sum(self.tokens(t + "\n") for t in texts)

    def _listing(self, header: str, items: list[str], notes: list[str], cut: str) -> ToolResult:
        """`header`, then as many of `items` as the budget leaves room for, then `notes`; when some are left out,
        `cut` (with {shown} and {total}) says how many were shown."""
        room = self._room(header, *notes, cut)
        kept, used = [], 0
        for item in items:
            used += self.tokens(item + "\n")
            if used > room:
                notes = [cut.format(shown=len(kept), total=len(items)), *notes]
                break
            kept.append(item)
        return ToolResult("\n".join([header, *kept, *notes]))

    def _text(self, located: Located) -> tuple[str, str]:
        """(text, encoding) of a located file; Refused when it is too large or not text."""
        name = shown(located.rel)
        if located.st.st_size > MAX_TEXT:
            raise Refused(_("{path} is {size} KiB, over the {limit} KiB the file tools read. Search it with "
                            "search_files, or ask the user to attach the part that matters.").format(
                path=name, size=f"{located.st.st_size // 1024:,}", limit=f"{MAX_TEXT // 1024:,}"))
        decoded = decode(self.folder.read_bytes(located, MAX_TEXT))
        if decoded is None:
            raise Refused(_("{path} is not a text file (binary data); it was not read.").format(path=name))
        text, encoding = decoded
        return text.replace("\r\n", "\n"), encoding


class ReadFile(_FileTool):
    spec = ToolSpec(
        "read_file",
        "Read a text file in the user's project folder (the folder the chat was started in). Returns its text, "
        "or the lines from start_line to end_line. Long files are cut to fit, with a note saying which lines "
        "were shown; ask again with start_line to read on.",
        {"type": "object", "properties": {
            "path": _PATH,
            "start_line": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)."},
            "end_line": {"type": "integer", "minimum": 1, "description": "Last line to read (inclusive)."},
        }, "required": ["path"]})

    def _run(self, arguments: Mapping[str, Any], deadline: float) -> ToolResult:
        if arguments.get("path") in (None, ""):
            raise Refused(_("path is missing: the file to read, relative to the chat's folder."))
        located = self.folder.locate(arguments.get("path"))
        name = shown(located.rel)
        if located.is_dir:
            raise Refused(_("{path} is a folder; list it with list_directory.").format(path=name))
        start = _positive(arguments, "start_line") or 1
        end = _positive(arguments, "end_line")
        text, encoding = self._text(located)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        total = len(lines)
        if total == 0:
            return ToolResult(_("{path} is empty.").format(path=name))
        if start > total:
            raise Refused(_("{path} has {n} lines; start_line {start} is past its end.").format(
                path=name, n=total, start=start))
        end = min(end or total, total)
        if end < start:
            raise Refused(_("end_line {end} comes before start_line {start}.").format(end=end, start=start))
        header = _("{path} (lines {start}-{end} of {total}, {encoding}):").format(
            path=name, start=start, end=end, total=total, encoding=encoding)
        room = self._room(header, _("[Cut to fit: lines {start}-{end} of {total} shown. Ask again with "
                                    "start_line={next} to read on.]"))
        kept: list[str] = []
        used = chars = 0
        for line in lines[start - 1:end]:
            used += self.tokens(line + "\n")
            chars += len(line) + 1
            if used > room or chars > MAX_OUTPUT:
                break
            kept.append(line)
        if len(kept) == end - start + 1:
            return ToolResult("\n".join([header, *kept]))
        if not kept:  # not even the first line fits whole: its head
            kept = [cut_to(lines[start - 1][:MAX_OUTPUT], max(room, 0), self.tokens)]
            if not kept[0]:
                raise Refused(_("No room is left in the context window for the lines of {path}; the "
                                "conversation is too long for more.").format(path=name))
        last = start + len(kept) - 1
        header = _("{path} (lines {start}-{end} of {total}, {encoding}):").format(
            path=name, start=start, end=last, total=total, encoding=encoding)
        note = _("[Cut to fit: lines {start}-{end} of {total} shown. Ask again with start_line={next} to read "
                 "on.]").format(start=start, end=last, total=total, next=last + 1)
        return ToolResult("\n".join([header, *kept, note]))


class ListDirectory(_FileTool):
    spec = ToolSpec(
        "list_directory",
        "List a folder in the user's project folder: subfolders end with '/', files show their size. Hidden "
        "files and what .gitignore ignores are left out. Names with unusual characters are shown as JSON strings.",
        {"type": "object", "properties": {"path": _PATH}})

    def _run(self, arguments: Mapping[str, Any], deadline: float) -> ToolResult:
        located = self.folder.locate(arguments.get("path"))
        name = shown(located.rel)
        if not located.is_dir:
            raise Refused(_("{path} is a file, not a folder; read it with read_file.").format(path=name))
        listing = self.folder.listing(located, MAX_LIST)
        lines = [self._line(e) for e in listing.entries[:MAX_LIST]]
        notes = []
        if len(listing.entries) > MAX_LIST:
            notes.append(_("[More than {n} entries: only the first {n} are shown.]").format(n=MAX_LIST))
        if listing.skipped:
            notes.append(ngettext("[{n} hidden or ignored entry is not shown.]",
                                  "[{n} hidden or ignored entries are not shown.]", listing.skipped).format(n=listing.skipped))
        header = ngettext("{path}/ ({n} entry):", "{path}/ ({n} entries):", len(lines)).format(
            path=name, n=len(lines)) if lines else _("{path}/ is empty.").format(path=name)
        return self._listing(header, lines, notes, _("[Cut to fit: {shown} of {total} entries shown.]"))

    @staticmethod
    def _line(entry: Entry) -> str:
        name = shown(entry.name)
        link = _(" (link)") if entry.link else ""
        if entry.kind == "dir":
            return f"{name}/{link}"
        if entry.kind == "file":
            return _("{name}  ({size} bytes){link}").format(name=name, size=f"{entry.size:,}", link=link)
        if entry.kind == "outside":
            return _("{name}  (a link leading outside the folder: not readable)").format(name=name)
        if entry.kind == "special":
            return _("{name}  (a pipe, a device or a socket: not readable)").format(name=name)
        return _("{name}  (a broken link)").format(name=name)


class SearchFiles(_FileTool):
    spec = ToolSpec(
        "search_files",
        "Search the text files of the user's project folder for a plain text (not a regular expression), "
        "ignoring case. Returns matching lines as 'path:line: text'. Hidden and ignored files are not searched.",
        {"type": "object", "properties": {
            "query": {"type": "string", "description": "The text to find (plain text, any case)."},
            "path": {**_PATH, "description": "The folder (or file) to search in, relative to the project folder; "
                                             "default '.'."},
            "max_results": {"type": "integer", "minimum": 1, "maximum": SEARCH_MAX,
                            "description": f"At most this many matching lines (default {SEARCH_DEFAULT})."},
        }, "required": ["query"]})

    def _run(self, arguments: Mapping[str, Any], deadline: float) -> ToolResult:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip() or "\n" in query:
            raise Refused(_("query must be a non-empty text of one line."))
        wanted = min(_positive(arguments, "max_results") or SEARCH_DEFAULT, SEARCH_MAX)
        located = self.folder.locate(arguments.get("path"))
        found = expand([located.real], self.folder.root, limit=MAX_SEARCH_FILES)
        needle = query.casefold()
        hits: list[str] = []
        seen: set[tuple[int, int]] = set()  # a file and a link to it are searched once
        searched = too_big = read = 0
        stopped = ""
        for path in found.files:
            file = self.folder.inside(str(path))
            if file is None:
                continue
            if time.monotonic() > deadline:
                stopped = _("[The search ran out of time after {n} files; narrow the path.]").format(n=searched)
                break
            if read > MAX_SEARCH_BYTES:
                stopped = _("[The search stopped after reading {n} MiB; narrow the path.]").format(
                    n=MAX_SEARCH_BYTES // (1024 * 1024))
                break
            if (file.st.st_dev, file.st.st_ino) in seen:
                continue
            seen.add((file.st.st_dev, file.st.st_ino))
            if file.st.st_size > MAX_TEXT:
                too_big += 1
                continue
            try:
                text = self._text(file)[0]
            except Refused:  # binary, or changed meanwhile
                continue
            searched += 1
            read += file.st.st_size
            for number, line in enumerate(text.split("\n"), 1):
                if needle in line.casefold():
                    if len(line) > MAX_HIT_LINE:
                        line = line[:MAX_HIT_LINE] + " …"
                    hits.append(f"{shown(file.rel)}:{number}: {line.strip()}")
                    if len(hits) > wanted:
                        break
            if len(hits) > wanted:
                break
        return self._result(query, located, hits, wanted, searched, too_big, stopped, found)

    def _result(self, query: str, located: Located, hits: list[str], wanted: int, searched: int, too_big: int,
                stopped: str, found: Any) -> ToolResult:
        name = shown(located.rel)
        notes = [stopped] if stopped else []
        if len(hits) > wanted:
            hits = hits[:wanted]
            notes.append(_("[Stopped at {n} matches; there are more. Narrow the query or the path, or raise "
                           "max_results.]").format(n=wanted))
        if found.over_limit or found.incomplete:
            notes.append(_("[The folder is too large to search whole; only part of it was searched. Narrow the "
                           "path.]"))
        if too_big:
            notes.append(ngettext("[{n} file over {limit} KiB was not searched.]",
                                  "[{n} files over {limit} KiB were not searched.]", too_big).format(
                n=too_big, limit=f"{MAX_TEXT // 1024:,}"))
        if not hits:
            text = ngettext("No matches for {query} in {path} ({n} file searched).",
                            "No matches for {query} in {path} ({n} files searched).", searched).format(
                query=json_quote(query), path=name, n=searched)
            return ToolResult("\n".join([text, *notes]))
        header = ngettext("{n} match for {query} in {path}:", "{n} matches for {query} in {path}:", len(hits)).format(
            n=len(hits), query=json_quote(query), path=name)
        return self._listing(header, hits, notes, _("[Cut to fit: {shown} of {total} matches shown.]"))


def json_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
