"""/tools and /mcp: which tools the model may call in this chat, what runs without asking, the last calls' whole
results, and the MCP servers of mcp.json with their state. Nothing here starts a server: they start when a
question first offers their tools."""

from __future__ import annotations

from ollama_chat.errors import ChatError, UsageError
from ollama_chat.i18n import N_, _
from ollama_chat.text import one_line, sanitize
from ollama_chat.tools.names import GROUPS, NAMES, words_of
from ollama_chat.ui.chat import Chat
from ollama_chat.ui.tool_lines import outcome_line

SUBCOMMANDS = ("on", "off", "list", "last")
MCP_SUBCOMMANDS = ("restart",)
STATES = {"not started": N_("not started"), "running": N_("running"), "failed": N_("failed"), "stopped": N_("stopped"),
          "disabled": N_("disabled"), "invalid": N_("invalid")}
BUILTIN_HELP = {
    "read_file": N_("read a text file in this folder"),
    "list_directory": N_("list a folder in this folder"),
    "search_files": N_("search the text of the files in this folder"),
    "web_search": N_("search the web (Ollama's web search: a signed-in Ollama, or OLLAMA_API_KEY)"),
    "web_fetch": N_("fetch a web page's text (the same)"),
}


def tools(chat: Chat, arg: str) -> None:
    word, _sep, rest = arg.strip().partition(" ")
    word = word.lower()
    if word in ("", "list"):
        _list(chat)
    elif word == "on":
        _on(chat, words_of([rest]))
    elif word == "off":
        _off(chat, words_of([rest]))
    elif word == "last":
        _last(chat)
    else:
        raise UsageError(_("/tools takes on [NAMES], off [NAMES], list or last, not '{word}'.").format(
            word=one_line(word, 40)), _("e.g. /tools on read,web"))


def _server_names(chat: Chat) -> list[str]:
    """mcp.json's servers (read, none started); none when it cannot be read (/mcp says why)."""
    try:
        return chat.session.tool_use.toolbox.mcp(fresh=True).names()
    except (ChatError, LookupError):
        return []


def _on(chat: Chat, words: list[str]) -> None:
    session = chat.session
    s = session.settings
    builtins, servers = list(s.tools), list(s.mcp)
    if not words:  # as before /tools off, else every built-in tool
        before = session.tool_use.paused
        words = list(before) if before else list(GROUPS)
    known_servers = None
    for word in words:
        if word in GROUPS or word in NAMES:
            builtins += GROUPS.get(word, (word,))
            continue
        known_servers = known_servers if known_servers is not None else _server_names(chat)
        if word not in known_servers:
            raise UsageError(_("There is no built-in tool, group or MCP server named '{word}'.").format(word=one_line(word, 64)),
                             _("Groups: {groups}. Tools: {names}. MCP servers: {servers} (/mcp lists them).").format(
                                 groups=", ".join(GROUPS), names=", ".join(NAMES), servers=", ".join(known_servers) or "-"))
        servers.append(word)
    session.tool_use.paused = ()
    session.set(tools=tuple(n for n in NAMES if n in builtins), mcp=tuple(dict.fromkeys(servers)))
    _say_on(chat)


def _off(chat: Chat, words: list[str]) -> None:
    session = chat.session
    s = session.settings
    if not words:
        session.tool_use.paused = (*s.tools, *s.mcp)
        session.set(tools=(), mcp=())
        chat.say(_("Tools are off: the model is asked without them. /tools on turns them back on."))
        return
    gone = {n for w in words for n in GROUPS.get(w, (w,))}
    session.set(tools=tuple(n for n in s.tools if n not in gone), mcp=tuple(n for n in s.mcp if n not in gone))
    _say_on(chat)


def _say_on(chat: Chat) -> None:
    s = chat.session.settings
    if not (s.tools or s.mcp):
        chat.say(_("Tools are off: the model is asked without them. /tools on turns them back on."))
        return
    names = [*s.tools, *(_("{name} (MCP server)").format(name=one_line(n, 64)) for n in s.mcp)]
    chat.say(_("Tools on: {names}. Each call is shown and asked first.").format(names=", ".join(names)))


def _list(chat: Chat) -> None:
    session = chat.session
    s = session.settings
    chat.say(_("Built-in tools (● on, ○ off; each call is asked first):"))
    for name in NAMES:
        mark = "●" if name in s.tools else "○"
        chat.say(f"  {mark} {name:<15} {_(BUILTIN_HELP[name])}", "plain")
    if s.mcp:
        chat.say(_("MCP servers on: {names} (/mcp shows their state and tools)").format(
            names=", ".join(one_line(n, 64) for n in s.mcp)))
    allowed = session.tool_use.approvals.names()
    chat.say(_("Run without asking: {names}").format(names=", ".join(one_line(n, 80) for n in allowed))
             if allowed else _("Nothing runs without asking (y/a at the question, --yes-tools or yes_tools in the config)."),
             "hint")
    chat.say(_("/tools on NAMES · /tools off [NAMES] · /tools last shows the last calls' whole results"), "hint")


def _last(chat: Chat) -> None:
    from rich.text import Text

    last = chat.session.tool_use.last
    if not last:
        chat.say(_("No tool was called for the last question."), "hint")
        return
    for outcome in last:
        text, style = outcome_line(outcome)
        chat.say(text, style)
        whole = outcome.result or outcome.text
        chat.console.print(Text(sanitize(whole)))  # the tool's words: sanitised, never markup
        if outcome.result and outcome.tokens and len(outcome.text) < len(outcome.result):
            chat.say(_("(the model was given the first part of it, ~{tokens} tokens)").format(
                tokens=f"{outcome.tokens:,}"), "hint")


def mcp(chat: Chat, arg: str) -> None:
    word, _sep, rest = arg.strip().partition(" ")
    toolbox = chat.session.tool_use.toolbox
    servers = toolbox.mcp(fresh=True)  # McpConfigError (a UsageError) says what is wrong with mcp.json
    if word.lower() == "restart":
        name = rest.strip()
        if name not in servers.names():
            raise UsageError(_("There is no MCP server named '{name}' in {path}.").format(
                name=one_line(name, 64), path=servers.config.path))
        servers.restart(name)
        chat.say(_("{name} is stopped; it starts again when a question offers its tools.").format(name=one_line(name, 64)))
        return
    states = servers.states()
    if not states:
        chat.say(_("No MCP servers are configured. Put them in {path}, e.g.:").format(path=servers.config.path))
        chat.say('  {"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem",'
                 ' "."]}}}', "plain")
        return
    chosen = chat.session.settings.mcp
    for state in states:
        used = _("in use") if state.name in chosen else _("not in use (/tools on {name})").format(name=one_line(state.name, 64))
        status = STATES.get(state.status, state.status)
        head = f"{one_line(state.name, 64)} · {state.transport or '-'} · {_(status)} · {used}"
        chat.say(head, "error" if state.status in ("failed", "invalid") else "notice")
        if state.error:
            chat.say("  " + one_line(state.error, 500), "warning")
        specs = servers.specs_of(state.name)
        if specs:
            for spec in specs:
                hint = " " + _("(says it only reads)") if spec.read_only_hint else ""
                chat.say(f"  {one_line(spec.name, 80)}{hint} — {one_line(spec.description, 100)}", "plain")
        elif state.tools:
            chat.say("  " + _("{n} tools").format(n=state.tools), "hint")
        if state.log is not None and state.status != "not started":
            chat.say("  " + _("log: {path}").format(path=state.log), "hint")
