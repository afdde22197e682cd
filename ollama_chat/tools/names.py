"""The names a user gives tools by (`--tools read,web`, `/tools on`, `--yes-tools NAME`, the config and a persona):
the built-in tools and their groups, and an allow-list's words. Light on purpose: settings read it at start-up,
before any tool is built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ollama_chat.errors import UsageError
from ollama_chat.i18n import _

FILE_TOOLS = ("read_file", "list_directory", "search_files")
WEB_TOOLS = ("web_search", "web_fetch")
NAMES = FILE_TOOLS + WEB_TOOLS
GROUPS: Mapping[str, tuple[str, ...]] = {"read": FILE_TOOLS, "web": WEB_TOOLS}
OFF_WORDS = ("off", "none")


def words_of(texts: Iterable[str]) -> list[str]:
    """`read,web`, `read web` and repeated flags alike: the words, each once, in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in text.replace(",", " ").split():
            seen.setdefault(word, None)
    return list(seen)


def chosen(words: Iterable[str]) -> tuple[str, ...]:
    """The tool names `--tools` / `/tools on` words name (groups and single names, comma-separated or
    apart), each once, in NAMES order; UsageError naming an unknown word and what is known. `off` alone: none."""
    names: set[str] = set()
    for word in words_of(words):
        if word in OFF_WORDS:
            continue
        if word in GROUPS:
            names.update(GROUPS[word])
        elif word in NAMES:
            names.add(word)
        else:
            raise UsageError(_("There is no built-in tool or group named '{word}'.").format(word=word),
                             _("Groups: {groups}. Tools: {names}.").format(groups=", ".join(GROUPS),
                                                                           names=", ".join(NAMES)))
    return tuple(n for n in NAMES if n in names)


def allowed(words: Iterable[str]) -> tuple[str, ...]:
    """An allow-list (`--yes-tools`, the config's `yes_tools`) as the approvals read it: a group is its tools, a
    built-in or `server__tool` name itself, `server__*` every tool of that MCP server, and a bare word that names
    no built-in tool an MCP server (all its tools). UsageError for a word no tool could have."""
    from ollama_chat.tools.base import TOOL_NAME

    names: list[str] = []
    for word in words_of(words):
        if word in GROUPS:
            names += GROUPS[word]
        elif word in NAMES or (TOOL_NAME.fullmatch(word) and "__" in word):
            names.append(word)
        elif word.endswith("__*") and TOOL_NAME.fullmatch(word[:-3]):
            names.append(word)
        elif TOOL_NAME.fullmatch(word):
            names.append(word + "__*")
        else:
            raise UsageError(_("'{word}' cannot name a tool (letters, digits, '_' and '-', at most 64).").format(word=word),
                             _("Name a built-in tool or group ({names}), an MCP tool as SERVER__TOOL, or SERVER for"
                               " all of a server's tools.").format(names=", ".join((*GROUPS, *NAMES))))
    return tuple(dict.fromkeys(names))
