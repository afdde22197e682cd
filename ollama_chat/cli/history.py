"""`ollama-chat history`: the stored conversations listed, shown, exported, searched and removed.

In a terminal: a table, Markdown replies, highlighted matches, and a question before anything is removed. In a
pipe: tab-separated lines (one per conversation, ID first) and transcripts as they were stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ollama_chat import paths
from ollama_chat.environment import Environment
from ollama_chat.errors import EXIT_FAILURE, EXIT_OK, ChatError, UsageError
from ollama_chat.i18n import N_, _, ngettext
from ollama_chat.store.search import matching_line
from ollama_chat.store.sqlite import ConversationMeta, NoSuchConversation, Store, StoreError, StoredConversation
from ollama_chat.store.steps import unread_notice
from ollama_chat.store.transcript import to_json, to_markdown
from ollama_chat.ui.output import make_output
from ollama_chat.text import one_line, sanitize, when
from ollama_chat.text import cell_width

LIST_HINT = N_("`ollama-chat history` lists the conversations, newest first, each starting with its ID.")
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(h|d|w|mo|y|)")
_DAYS = {"h": 1 / 24, "d": 1, "": 1, "w": 7, "mo": 30, "y": 365}
_UNITS = {"h": (N_("{n} hour"), N_("{n} hours")), "d": (N_("{n} day"), N_("{n} days")), "": (N_("{n} day"), N_("{n} days")),
          "w": (N_("{n} week"), N_("{n} weeks")), "mo": (N_("{n} month"), N_("{n} months")),
          "y": (N_("{n} year"), N_("{n} years"))}
# The table's column titles; "ID" and "#" are the same in every language.
_HEADERS = {"ID": "ID", "Last": N_("Last"), "Persona": N_("Persona"), "Model": N_("Model"), "#": "#", "Title": N_("Title")}


def _open(env: Environment) -> Store | None:
    """The store for reading; None when nothing was ever saved."""
    path = paths.conversations_db(env.environ)
    if not path.exists():
        return None
    try:
        store = Store.open(path, create=False, reading=True)
    except StoreError as e:
        raise ChatError(f"{e}.", e.hint) from None
    if store.read_only:
        env.stderr.write(_("Note: {path} cannot be written here ({reason}), so it was opened read-only: new exchanges"
                           " will not be saved in it.").format(path=path, reason=store.read_only) + "\n")
    return store


def _opened(env: Environment) -> Store:
    store = _open(env)
    if store is None:
        raise ChatError(_("No conversations have been stored yet."), _("Chat with `ollama-chat`; every exchange is kept."))
    return store


def _nothing_yet(env: Environment) -> int:
    env.stderr.write(_("No conversations have been stored yet.") + "\n")
    return EXIT_OK


def _load(store: Store, ref: str | None) -> StoredConversation:
    """The conversation `ref` names (a unique ID prefix); None: the most recent one."""
    try:
        conversation_id = store.resolve(ref) if ref is not None else store.latest()
        if conversation_id is None:
            raise NoSuchConversation(_("no conversations have been stored yet"))
        return store.load(conversation_id)
    except NoSuchConversation as e:
        raise UsageError(f"{e}.", _(LIST_HINT)) from None
    except StoreError as e:
        raise ChatError(f"{e}.", e.hint) from None


def _loaded(env: Environment, ref: str | None) -> StoredConversation:
    """`_load` for showing or exporting it: what could not be read of it is said on stderr."""
    with _opened(env) as store:
        stored = _load(store, ref)
    if stored.unread_steps:
        env.stderr.write(sanitize(unread_notice(stored.unread_steps)) + "\n")
    return stored


def list_conversations(env: Environment, limit: int) -> int:
    store = _open(env)
    if store is None:
        return _nothing_yet(env)
    with store:
        metas = _guard(lambda: store.list(limit if limit > 0 else -1))
    if not metas:
        return _nothing_yet(env)
    if env.stdout_isatty:
        _table(env, metas)
    else:
        for m in metas:
            row = (m.id, when(m.updated), m.persona, m.model, str(m.exchanges), m.title)
            env.stdout.write("\t".join(one_line(v) for v in row) + "\n")  # a tab in a field shows as \\t
    env.stdout.flush()
    return EXIT_OK


_NAME_WIDTH = 24  # the most a persona or model name takes of a table's width


def _table(env: Environment, metas: Sequence[ConversationMeta]) -> None:
    """ID, time, exchanges and title always (the ID whole: it is what the other commands take); persona and
    model where the terminal is wide enough."""
    from rich.table import Table
    from rich.text import Text

    from ollama_chat.ui.theme import make_console

    columns = {"ID": lambda m: m.id, "Last": lambda m: when(m.updated), "Persona": lambda m: one_line(m.persona),
               "Model": lambda m: one_line(m.model), "#": lambda m: str(m.exchanges), "Title": lambda m: one_line(m.title)}
    if env.columns < 80:
        del columns["Model"], columns["Persona"]
    if env.columns < 60:
        del columns["Last"]
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold", expand=True)
    for name, cell in columns.items():
        if name in ("Title", "Persona", "Model"):  # cut with an ellipsis; a long model name leaves the title room
            table.add_column(_(_HEADERS[name]), no_wrap=True, overflow="ellipsis", ratio=1 if name == "Title" else None,
                             min_width=10 if name == "Title" else None, max_width=None if name == "Title" else
                             _NAME_WIDTH)
        else:  # kept whole: the ID is what the other commands take, and a count cut to its first digit lies
            table.add_column(_(_HEADERS[name]), no_wrap=True, justify="right" if name == "#" else "left",
                             min_width=max(cell_width(cell(m)) for m in metas))
    for m in metas:
        table.add_row(*(Text(cell(m)) for cell in columns.values()))  # text, never markup: a title may hold "[bold]"
    make_console(env.stdout, env.columns).print(table)


def show(env: Environment, ref: str | None) -> int:
    stored = _loaded(env, ref)
    meta = stored.meta
    if not env.stdout_isatty:
        env.stdout.write(_markdown(stored))
        env.stdout.flush()
        return EXIT_OK
    from rich.text import Text

    from ollama_chat.ui.conversations import print_question, print_steps
    from ollama_chat.ui.theme import make_console

    console = make_console(env.stdout, env.columns)
    console.print(Text(one_line(meta.title) or _("(untitled)"), style="banner"))
    console.print(Text(f"{meta.id} · {when(meta.updated)} · {one_line(meta.persona)} · {one_line(meta.model)}", style="hint"))
    output = make_output(stdout_is_terminal=True, plain=False, hide_thinking=True, out=env.stdout.buffer, err=env.stderr,
                         console=console, environ=env.environ)
    for number, exchange in enumerate(stored.exchanges, 1):
        console.print()
        console.print(Text(_("{number}. you:").format(number=number), style="hint"))
        print_question(console, exchange.question)
        print_steps(console, exchange.steps)
        console.print(Text(f"{one_line(exchange.model)}:", style="hint"))  # an interrupted reply is marked at its end
        reply = output.reply()
        reply.content(exchange.reply)
        reply.finish(interrupted=exchange.interrupted)
    return EXIT_OK


def _markdown(stored: StoredConversation) -> str:
    meta = stored.meta
    return to_markdown(stored.exchanges, model=meta.model, persona=meta.persona, system=stored.system,
                       title=meta.title, about=f"{meta.id} · {when(meta.created)}")


def export(env: Environment, ref: str | None, form: str) -> int:
    if form not in ("md", "json"):
        raise UsageError(_("--format must be md or json, not '{value}'.").format(value=one_line(form)))
    stored = _loaded(env, ref)
    if form == "md":
        text = _markdown(stored)
    else:
        meta = stored.meta
        text = to_json(stored.exchanges, model=meta.model, persona=meta.persona, system=stored.system,
                       options=stored.options, examples=stored.examples, title=meta.title, summary=stored.summary,
                       summarized=stored.summarized, server=stored.server)
    env.stdout.write(sanitize(text) if env.stdout_isatty else text)
    env.stdout.flush()
    return EXIT_OK


def search(env: Environment, text: str, limit: int) -> int:
    if not text.strip():
        raise UsageError(_("Nothing to search for."), _('Give a word or phrase: ollama-chat history search "양자역학"'))
    store = _open(env)
    if store is None:
        return _nothing_yet(env)
    with store:
        hits = _guard(lambda: store.search(text, limit if limit > 0 else -1))
    if not hits:
        env.stderr.write(_("No stored conversation holds “{text}”.").format(text=one_line(text.strip())) + "\n")
        return EXIT_FAILURE
    if not env.stdout_isatty:
        for h in hits:
            row = (h.meta.id, when(h.meta.updated), h.meta.title, h.line)
            env.stdout.write("\t".join(one_line(v) for v in row) + "\n")  # a tab in a field shows as \\t
        env.stdout.flush()
        return EXIT_OK
    from rich.text import Text

    from ollama_chat.ui.theme import make_console

    console = make_console(env.stdout, env.columns)
    for h in hits:
        m = h.meta
        console.print(Text(f"{m.id}  {when(m.updated)}  ", style="hint") + Text(one_line(m.title), style="banner"), no_wrap=True, overflow="ellipsis")
        line = Text("    " + _around(h.line, text.strip(), env.columns - 5), no_wrap=True)
        line.highlight_regex(re.compile(re.escape(one_line(text.strip())), re.IGNORECASE), "bold yellow")
        console.print(line, overflow="ellipsis")
    return EXIT_OK


def _around(line: str, needle: str, cells: int) -> str:
    """The part of `line` around `needle` that fits in `cells` display cells (Hangul takes two)."""
    length = max(10, cells)
    while True:
        piece = one_line(matching_line(line, needle, length))
        if cell_width(piece) <= cells or length <= 10:
            return piece
        length -= max(1, (cell_width(piece) - cells + 1) // 2)


def parse_age(text: str) -> tuple[float, str]:
    """`90d`, `12h`, `4w`, `6mo`, `1y` or a bare number of days: (days, the age in words)."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise UsageError(_("--older-than takes an age such as 90d, 12h, 4w, 6mo or 1y, not '{value}'.").format(value=one_line(text)))
    number, unit = match.group(1), match.group(2)
    one, many = _UNITS[unit]
    return float(number) * _DAYS[unit], _(one if number == "1" else many).format(n=number)


def remove(env: Environment, refs: Sequence[str], older_than: str | None, yes: bool) -> int:
    if bool(refs) == (older_than is not None):
        raise UsageError(_("Give conversation IDs or --older-than AGE (one of them)."),
                         _("e.g. ollama-chat history rm 3f2a9c, or rm --older-than 90d"))
    days, age = parse_age(older_than) if older_than is not None else (None, "")
    with _opened(env) as store:
        if days is not None:
            doomed = _guard(lambda: store.older_than(days))
        else:
            doomed = [_load(store, ref).meta for ref in dict.fromkeys(refs)]
        if not doomed:
            env.stderr.write(_("No conversation was last used more than {age} ago.").format(age=age) + "\n")
            return EXIT_OK
        what = ngettext("{n} conversation", "{n} conversations", len(doomed)).format(n=len(doomed))
        if not yes and not _confirm(env, doomed, what):
            env.stderr.write(_("Nothing was removed.") + "\n")
            return EXIT_FAILURE
        _guard(lambda: store.delete(*(m.id for m in doomed)))
    env.stderr.write(_("Removed {what}.").format(what=what) + "\n")
    return EXIT_OK


def _confirm(env: Environment, doomed: Sequence[ConversationMeta], what: str) -> bool:
    if not env.stdin_isatty:
        raise UsageError(_("Removing {what} needs a yes: add --yes (there is no terminal to ask on).").format(what=what))
    for m in doomed[:10]:
        env.stderr.write(f"  {m.id}  {when(m.updated)}  {one_line(m.title)}\n")
    if len(doomed) > 10:
        env.stderr.write("  " + _("… and {n} more").format(n=len(doomed) - 10) + "\n")
    env.stderr.write(_("Remove {what} for good? [y/N]").format(what=what) + " ")
    env.stderr.flush()
    answer = env.stdin.readline().strip().lower()
    return answer in ("y", "yes", "예", "네", "ㅇ")


def _guard(body):  # type: ignore[no-untyped-def]
    try:
        return body()
    except StoreError as e:
        raise ChatError(f"{e}.", e.hint) from None
