"""The built-in web tools: `web_search` and `web_fetch`, through Ollama's web search API (webapi.py says
where the requests go). What comes back is untrusted: every field is checked for its type and bounded,
control characters are dropped, only http(s) URLs become sources, and the whole is cut to the caller's token
budget with a note saying what was cut. Each page the model was given becomes a `Source(title, url)`, so the
reply that used it can end with numbered sources.

Approval: both reach the network, so every call needs the user's keypress unless pre-approved
(`ToolSpec.network` is set for the approval prompt to say so). Ollama's own TUI asks for both too."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ollama_chat.estimate import Calibration
from ollama_chat.i18n import _
from ollama_chat.tools.base import Source, ToolResult, ToolSpec
from ollama_chat.tools.fit import DEFAULT_BUDGET, Tokens, cut_to, fit_items
from ollama_chat.tools.webapi import WebApi, WebError

MAX_RESULTS, DEFAULT_RESULTS = 10, 5  # what the API takes (docs/capabilities/web-search.mdx)
MAX_QUERY = 1000  # characters
MAX_URL = 2048
MAX_TITLE = 300
MIN_SNIPPET = 40  # tokens of a result's text: a result is left out rather than sent with less
MAX_SNIPPET = 8_000  # characters of one search result's text, before the budget
MAX_PAGE = 60_000  # characters of a fetched page's text, before the budget (as Ollama's own web_fetch)
MAX_LINKS = 20

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline
_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def one_line(value: object, limit: int) -> str:
    """A server's short field (a title) on one line and bounded; '' when it is not a string."""
    if not isinstance(value, str):
        return ""
    text = _SPACES.sub(" ", value).strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def web_url(value: object) -> str | None:
    """`value` when it is an http(s) URL with a host, without spaces or control characters; else None (a
    `javascript:` link must never become a source the user is invited to open)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def page_text(value: object, limit: int) -> str:
    """A server's long text, bounded, with control characters other than tab and newline dropped."""
    if not isinstance(value, str):
        return ""
    text = _CONTROL.sub("", value[: limit + 1].replace("\r\n", "\n")).strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


class _WebTool:
    spec: ToolSpec

    def __init__(self, api: WebApi, budget: Callable[[], int] = lambda: DEFAULT_BUDGET,
                 tokens: Tokens = Calibration().tokens) -> None:
        self.api = api
        self.budget = budget
        self.tokens = tokens

    def call(self, arguments: Mapping[str, Any], *, timeout: float) -> ToolResult:
        try:
            return self._run(arguments, timeout)
        except WebError as e:
            return ToolResult(e.text, is_error=True)


class WebSearch(_WebTool):
    spec = ToolSpec(
        "web_search",
        "Search the web for current information (through Ollama's web search). Returns the title, URL and text "
        "of the top results. Say which URLs your answer relies on.",
        {"type": "object", "properties": {
            "query": {"type": "string", "description": "What to search for."},
            "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS,
                            "description": f"How many results (default {DEFAULT_RESULTS}, at most {MAX_RESULTS})."},
        }, "required": ["query"]},
        network=True)

    def _run(self, arguments: Mapping[str, Any], timeout: float) -> ToolResult:
        query = arguments.get("query")
        if not isinstance(query, str) or not query.strip():
            raise WebError(_("query must be a non-empty text."))
        query = one_line(query, MAX_QUERY)
        wanted = self._count(arguments.get("max_results"))
        answer = self.api.post("web_search", {"query": query, "max_results": wanted}, timeout)
        results = answer.get("results", ()) if isinstance(answer, dict) else None
        if results is None and isinstance(answer, dict):  # Go writes an empty slice as null
            results = []
        if not isinstance(results, list):
            raise WebError(_("The web search answer has no list of results; nothing was found out."))
        items = [r for r in results if isinstance(r, dict)][:wanted]
        quoted = '"' + query.replace('"', "'") + '"'
        if not items:
            return ToolResult(_("No web results for {query}.").format(query=quoted))
        urls = [web_url(r.get("url")) for r in items]
        titles = [one_line(r.get("title"), MAX_TITLE) or (url or _("(no title)")) for r, url in zip(items, urls)]
        heads = [f"\n\n[{i}] {title}\nURL: {url or _('(none)')}" for i, (title, url) in enumerate(zip(titles, urls), 1)]
        bodies = [page_text(r.get("content"), MAX_SNIPPET) for r in items]
        header = _("Web search results for {query}:").format(query=quoted)
        note = _("[Cut to fit the context window: {dropped} of {total} results left out, {shortened} shortened.]")
        room = self.budget() - self.tokens(header) - self.tokens("\n\n" + note)
        fitted = fit_items([h + "\n" for h in heads], bodies, room, self.tokens, min_body=MIN_SNIPPET)
        if fitted.kept == 0:
            raise WebError(_("No room is left in the context window for web results; the conversation is too long "
                             "for more."))
        text = header + "".join(f"{head}\n{body}" if body else head for head, body in zip(heads, fitted.bodies))
        if fitted.kept < len(items):
            text += "\n\n" + note.format(dropped=len(items) - fitted.kept, total=len(items), shortened=fitted.shortened)
        elif fitted.cut:
            text += "\n\n" + _("[Cut to fit the context window: {shortened} of {total} results shortened.]").format(
                shortened=fitted.shortened, total=len(items))
        sources = tuple(Source(title, url) for title, url in zip(titles[:fitted.kept], urls) if url)
        return ToolResult(text, sources=sources)

    @staticmethod
    def _count(value: object) -> int:
        """max_results as asked (a number, or a numeric string), within 1..MAX_RESULTS."""
        if value is None:
            return DEFAULT_RESULTS
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise WebError(_("max_results must be a whole number from 1 to {n}.").format(n=MAX_RESULTS))
        return max(1, min(value, MAX_RESULTS))


class WebFetch(_WebTool):
    spec = ToolSpec(
        "web_fetch",
        "Fetch a web page (through Ollama's web search) and return its title, its text and its links.",
        {"type": "object", "properties": {
            "url": {"type": "string", "description": "The page's full http:// or https:// URL."},
        }, "required": ["url"]},
        network=True)

    def _run(self, arguments: Mapping[str, Any], timeout: float) -> ToolResult:
        url = web_url(arguments.get("url"))
        if url is None:
            raise WebError(_("url must be a full http:// or https:// address (at most {n} characters).").format(n=MAX_URL))
        answer = self.api.post("web_fetch", {"url": url}, timeout)
        if not isinstance(answer, dict):
            raise WebError(_("The web fetch answer is not a page; nothing was read."))
        title = one_line(answer.get("title"), MAX_TITLE)
        content = page_text(answer.get("content"), MAX_PAGE)
        raw_links = answer.get("links") if isinstance(answer.get("links"), list) else []
        links = [link for link in map(web_url, raw_links) if link]
        header = _("Title: {title}").format(title=title or _("(no title)")) + f"\nURL: {url}"
        body = content or _("(The page has no text.)")
        if links:
            shown = links[:MAX_LINKS]
            label = _("Links on the page:") if len(links) <= MAX_LINKS else _(
                "Links on the page (the first {n} of {total}):").format(n=len(shown), total=len(links))
            body += "\n\n" + label + "\n" + "\n".join(shown)
        note = _("[Cut to fit the context window: {shown} of {total} characters of the page shown.]")
        room = self.budget() - self.tokens(header + "\n\n") - self.tokens("\n\n" + note)
        cut = cut_to(body, max(room, 0), self.tokens)
        if not cut:
            raise WebError(_("No room is left in the context window for the page; the conversation is too long for "
                             "more."))
        parts = [header, cut]
        if cut != body:
            parts.append(note.format(shown=f"{len(cut):,}", total=f"{len(body):,}"))
        return ToolResult("\n\n".join(parts), sources=(Source(title or url, url),))
