"""Markdown to terminal lines with rich, and every reliance on rich's internals, in one place.

rich's Markdown is used as is, apart from what a chat reply needs: a single newline stays a line break, HTML
shows as text, links show their address (no OSC 8 hyperlinks from model text), table cells wrap instead of
being cut, and code copies cleanly from the screen (no margin; long lines left for the terminal to wrap) under
a dim "[N] language" line giving the number `/copy code N` takes.
A rich upgrade that breaks something should break it here: the private attributes and undocumented
behaviours this module leans on are named where they are used, and `live.py` reaches rich's `Live` internals
only through `set_live_rows` and `control_sequence` below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown, TableElement
from rich.segment import Segment
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ollama_chat.ui.blocks import CODE_KINDS, Block, code_block, markdown_parser
from ollama_chat.ui.lines import Line, render_lines

# Code is highlighted with the terminal's own ANSI palette: readable on dark and light backgrounds, and with no
# background band, so code lines can be stripped of trailing padding like every other line.
CODE_THEME = "ansi_dark"


def _keep_line_breaks(state: StateCore) -> None:
    """A single newline in a reply stays a line break (as in chat apps), not a space: poems, addresses and
    line-by-line answers keep their shape. Markdown would join the lines into one paragraph."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"


_RENDER_PARSER = markdown_parser().enable("strikethrough")  # the grammar `blocks` splits by, with rich's inlines
_RENDER_PARSER.core.ruler.push("keep_line_breaks", _keep_line_breaks)

# rich's Markdown puts a blank line before a block when the element closed just before it asks for one (every
# block but a horizontal rule). A block rendered on its own starts with that flag off; a token rich does not
# know, placed first, turns the flag on without drawing anything (rich's UnknownElement), so a block rendered
# after it looks exactly as it does in the middle of the whole reply.
_AFTER_BLOCK = "ollama_chat_after_block"


class FoldingTable(TableElement):
    """rich's Markdown table, but a cell too narrow for its text wraps it instead of cutting it with "…"
    (rich's default crops Korean words it mis-measures: "배우기" became "배우 …")."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for table in super().__rich_console__(console, options):
            if isinstance(table, Table):
                for column in table.columns:
                    column.overflow = "fold"
            yield table


class CopyableCode(CodeBlock):
    """rich's code block without its one-column margin (Syntax(padding=1)), so code copied from the screen
    pastes as it was written. The blank line below stays; the one above holds the block's number and language
    ("[2] python") when the Markdown numbers its code blocks, so the index costs no extra row and the code
    lines stay clean.

    At the top level a long line is not broken either: it is written whole and the terminal wraps it, so it
    copies as one line (rich's word wrap would insert line breaks). Inside a list or a quote rich cuts every
    line at the container's width, so there long lines still wrap as rich wraps them.
    """

    top_level = False
    label = ""  # "[2] python": the number `/copy code` takes; "" when not numbered

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> CopyableCode:
        block = super().create(markdown, token)
        assert isinstance(block, CopyableCode)
        block.top_level = token.level == 0
        language = code_block(token).language
        if language:  # rich takes the info string up to its first space: "~~~ python" got no highlighting
            block.lexer_name = language
        index = token.meta.get(_CODE_INDEX)
        if index is not None:
            block.label = f"[{index}] {language}".rstrip()
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        # A literal style, not a theme name: Markdown is rendered on consoles without our theme too.
        above = Text(self.label, style="dim", no_wrap=True, overflow="ellipsis") if self.label else Segment.line()
        if not self.top_level:
            yield above
            yield Syntax(code, self.lexer_name, theme=self.theme, word_wrap=True, padding=(0, 0, 1, 0))
            return
        syntax = Syntax(code, self.lexer_name, theme=self.theme)
        text = syntax.highlight(code.expandtabs(syntax.tab_size) + "\n")  # as Syntax prepares it
        text.remove_suffix("\n")
        text.no_wrap, text.overflow, text.end = True, "ignore", "\n"  # whole lines, however wide
        yield above
        yield text
        yield Segment.line()


_CODE_INDEX = "ollama_chat_code_index"  # token.meta key: the code block's number in the whole reply


class ReplyMarkdown(Markdown):
    """rich's Markdown of a reply or a part of it, as the module docstring says.
    `after_block`: render as if a block that was not a horizontal rule came before. `first_code`: the number
    of its first code block in the whole reply (None: no numbers, as for structured output, which is all one
    block). `code_count`: how many code blocks it has, for the part that follows."""

    elements = {**Markdown.elements, "table_open": FoldingTable, "fence": CopyableCode, "code_block": CopyableCode}

    def __init__(self, markup: str, *, after_block: bool = False, first_code: int | None = 1) -> None:
        # The attributes rich's own __init__ sets (copied from one instance made once), without building a new
        # parser for every block: relies on Markdown keeping its settings as plain instance attributes.
        self.__dict__.update(_MARKDOWN_ATTRIBUTES)
        self.markup = markup
        self.parsed = _RENDER_PARSER.parse(markup)
        codes = [token for token in self.parsed if token.type in CODE_KINDS]  # in order, as `code_blocks` counts
        self.code_count = len(codes)
        if first_code is not None:
            for index, token in enumerate(codes, first_code):
                token.meta[_CODE_INDEX] = index
        if after_block:
            self.parsed.insert(0, Token(_AFTER_BLOCK, "", 0))


_MARKDOWN_ATTRIBUTES = dict(vars(Markdown("", code_theme=CODE_THEME, hyperlinks=False)))


def render_markdown(source: str, *, after_block: bool = False, first_code: int | None = 1) -> ReplyMarkdown:
    """The rich Markdown renderable used for every part of a reply (and for the reply in one go)."""
    return ReplyMarkdown(source, after_block=after_block, first_code=first_code)


def markdown_lines(
    console: Console, source: str, *, after_block: bool = False, first_code: int | None = 1
) -> list[Line]:
    """`source` rendered as it would appear inside a whole reply; `after_block` if a block came before it
    that was not a horizontal rule, `first_code` the number of its first code block (see ReplyMarkdown).
    markdown_lines(console, reply) is the whole reply rendered in one go."""
    return render_lines(console, render_markdown(source, after_block=after_block, first_code=first_code))


# Characters that can open or close an inline construct spanning a line break: emphasis, strikethrough, code
# spans, links and their destinations; and the backslash, which makes a hard break of the line break after it.
_SPANNING = "*_~`[]()\\"

_VISIBLE = re.compile(r"\S")

# A paragraph line standing for the part of a paragraph above a continued part (see `paragraph_cuts`).
_STAND_IN = "."


# A paragraph longer than this (characters) is rendered and printed in parts of about this size.
PARAGRAPH_PART = 32 * 1024


def long_paragraph(block: Block) -> bool:
    return block.kind == "paragraph" and len(block.text) > PARAGRAPH_PART


def paragraph_cuts(text: str, size: int | None = None) -> list[int]:
    """Where `text`, a paragraph block, can be cut (offsets of line starts, about `size` characters apart) so
    that its parts, rendered one after the other (`paragraph_part_lines`), give exactly the rows of the whole.
    Every line break is a hard break and rows never cross one, so a cut is safe where no inline construct can
    span it: before the first character that could open one, or after the last that could close one. Pure.

    Why: rendered whole, a 2 MB paragraph makes ~35 MB of small objects at once (tokens, Text spans,
    segments), and the allocators keep much of that memory after it is freed."""
    size = PARAGRAPH_PART if size is None else size
    first = min((i for i in (text.find(c) for c in _SPANNING) if i >= 0), default=len(text))
    last = max(text.rfind(c) for c in _SPANNING)
    cuts: list[int] = []
    start = 0
    while len(text) - start > size:
        cut = text.find("\n", start + size) + 1
        if cut and first < cut <= last + 2:  # where constructs may span (or a backslash end the line): past it
            cut = text.find("\n", last + 2) + 1
        if not cut or _VISIBLE.search(text, cut) is None:  # (no copy of the rest to strip it)
            break
        cuts.append(cut)
        start = cut
    return cuts


def paragraph_part_lines(console: Console, part: str, *, after_block: bool, continued: bool) -> list[Line]:
    """A part of a paragraph cut at `paragraph_cuts`, rendered as it looks inside the whole paragraph: a
    `continued` part (not the first) after a stand-in line, so that its first line parses as the continuation
    line it is ("2. x" or an indented line start no list or code there); the stand-in's row is dropped."""
    if not continued:
        return markdown_lines(console, part, after_block=after_block)
    return markdown_lines(console, _STAND_IN + "\n" + part)[1:]


def paragraph_parts(console: Console, text: str, start: int, after_block: bool) -> Iterator[tuple[int, list[Line]]]:
    """(end, rows) of each part of `text`, a long paragraph, from offset `start` (a cut, or 0) on: rendering it a
    part at a time shows the rows of the whole without making ~30 bytes a character of small objects at once,
    which the allocators partly keep after it is freed (issue 22)."""
    cuts = [cut for cut in paragraph_cuts(text) if cut > start]
    for begin, end in zip([start, *cuts], [*cuts, len(text)]):
        yield end, paragraph_part_lines(console, text[begin:end], after_block=after_block, continued=begin > 0)
