"""Where streamed Markdown splits into blocks that can no longer change. Pure: markdown-it only, no rich.

A top-level block (paragraph, heading, list, quote, table, fence, ...) is finished once a later top-level
block has started on a complete line: in CommonMark nothing that follows can reach back into it (link
reference definitions aside). markdown-it, the parser rich uses, finds the block starts (`token.map` of
level-0 tokens). Only the uncommitted text is ever parsed, so the cost of a parse does not grow with the reply.
`code_blocks` finds a reply's code blocks with the same grammar, so `/copy code N` and the numbers the renderer
shows agree.
"""

from __future__ import annotations

from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token


class Block(NamedTuple):
    """A finished top-level Markdown block: its kind and its source lines (with the blank lines after it)."""

    kind: str  # markdown-it's token type without "_open": paragraph, heading, fence, bullet_list, table, hr, ...
    text: str


def markdown_parser() -> MarkdownIt:
    """The block grammar of rich's Markdown ("commonmark" plus tables) without raw HTML: rich draws no HTML, so
    with HTML on, a model's "<div>" or "<<Title>>" would silently vanish from the reply; with it off they show
    as the text they are. The renderer (`markdown.py`) adds its inline rules to this same grammar."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _make_block_parser() -> MarkdownIt:
    parser = markdown_parser()
    parser.disable("inline")  # only the block structure is needed here
    return parser


_BLOCK_PARSER = _make_block_parser()


def top_level_blocks(source: str) -> list[tuple[int, str]]:
    """(first line, kind) of each top-level block of `source`, in order. Pure."""
    return [(first, kind) for first, _, kind in block_spans(source)]


def block_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, line after the last, kind) of each top-level block of `source`, in order."""
    spans = []
    for token in _BLOCK_PARSER.parse(source):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            kind = token.type[:-5] if token.type.endswith("_open") else token.type
            spans.append((token.map[0], token.map[1], kind))
    return spans


# The token types of code blocks: fenced (``` and ~~~) and indented, at any depth (in lists and quotes too).
CODE_KINDS = frozenset({"fence", "code_block"})


class CodeBlock(NamedTuple):
    """A code block of a reply: its language (the first word of the fence's info string, or "") and its code
    as written, without the fences, the indentation of its container, or the line break after the last line."""

    language: str
    code: str


def code_block(token: Token) -> CodeBlock:
    """The code block a `fence` or `code_block` token stands for."""
    words = token.info.split(maxsplit=1)
    code = token.content
    return CodeBlock(words[0] if words else "", code[:-1] if code.endswith("\n") else code)


def code_blocks(reply: str) -> list[CodeBlock]:
    """The code blocks of `reply`, in order: the numbering `/copy code N` uses and the renderer shows (both
    parse with this grammar and count CODE_KINDS tokens in order). An unclosed fence runs to the end. Pure."""
    return [code_block(token) for token in _BLOCK_PARSER.parse(reply) if token.type in CODE_KINDS]


# A paragraph line standing for the open paragraph above the lines parsed again: what follows a paragraph line
# parses the same after it (a continuation, a setext underline, a table's delimiter row, an interruption).
_STAND_IN = "."


def _paragraph_window(lines: str) -> list[tuple[int, int, str]]:
    """`top_level_blocks` of `lines` (complete lines that follow an open paragraph's earlier lines, starting with
    its last known line) as they parse inside that paragraph: line 0 is the stand-in, whose block is the open
    paragraph's (a paragraph, or a heading if an underline came); line k > 0 is line k - 1 of `lines`."""
    return block_spans(_STAND_IN + "\n" + lines)


class BlockSplitter:
    """Splits streamed Markdown into top-level blocks as soon as they can no longer change.

    Only the uncommitted text (the open block and the partial line) is kept and parsed. `append` is O(chunk);
    `pop_finished` parses only if a new line was completed since the last parse. An open paragraph of two lines
    or more is not parsed again from its start (a model that never writes a blank line streams one paragraph the
    length of the reply): only its last known line and the new ones are, after a stand-in paragraph line
    (`_paragraph_window`), so the work per line does not grow with the paragraph.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []  # the uncommitted text, in pieces; starts at the first line of the open block
        self._new_line = False  # a line was completed since the last parse
        self.kind: str | None = None  # kind of the open block as of the last parse
        self._lines = 0  # complete lines of the open block as of the last parse
        self._last_line = 0  # offset in `text` of the last of them

    @property
    def text(self) -> str:
        """The uncommitted text: the last, unfinished block and any partial line."""
        parts = self._parts
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        return parts[0] if parts else ""

    def append(self, text: str) -> None:
        if text:
            self._parts.append(text)  # a list, not str +=: appending must not copy what is already there
            if "\n" in text:
                self._new_line = True

    def pop_finished(self) -> list[Block]:
        """The blocks finished by the text appended so far, oldest first; they are removed from `text`."""
        if not self._new_line:
            return []
        self._new_line = False
        text = self.text
        cut = text.rfind("\n") + 1
        window = self.kind == "paragraph" and self._lines >= 2
        base = self._last_line if window else 0
        spans = _paragraph_window(text[base:cut]) if window else block_spans(text[:cut])
        if not spans:
            return []
        starts = [(first, kind) for first, _, kind in spans]
        lines = text[base:cut].split("\n")  # complete lines, then ""
        offsets = [base]  # where each of them starts
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        shift = 1 if window else 0  # the stand-in's line

        def start(line: int) -> int:
            return 0 if window and line == 0 else offsets[line - shift]

        self.kind = starts[-1][1]
        last = starts[-1][0]
        opened = start(last)
        complete = len(lines) - 1
        self._lines = (self._lines - 1 + complete if window and last == 0 else complete - last + shift)
        if spans[-1][1] != complete + shift:  # it ended above the last line (a blank line, a reference after it):
            self._lines = 0  # what follows is not its continuation, so parse the open block whole next time
        self._last_line = offsets[complete - 1] - opened
        if len(starts) == 1:
            return []
        blocks = [Block(kind, text[start(first) : start(starts[i + 1][0])]) for i, (first, kind) in enumerate(starts[:-1])]
        self._parts = [text[opened:]]
        return blocks

    def feed(self, text: str) -> list[Block]:
        """append + pop_finished: the blocks this chunk finished."""
        self.append(text)
        return self.pop_finished()

    def flush(self) -> list[Block]:
        """Everything left, as blocks, once the reply has ended. The splitter is empty afterwards."""
        blocks = self.pop_finished()
        window, last_line = self.kind == "paragraph" and self._lines >= 2, self._last_line
        rest = self.text
        self._parts = []
        self.kind, self._lines, self._last_line = None, 0, 0
        if rest.strip():
            if window:  # a long open paragraph: parse its last known line and the rest, not all of it again
                spans = _paragraph_window(rest[last_line:])
                kind = spans[-1][2] if spans else "paragraph"
            else:
                starts = top_level_blocks(rest)
                kind = starts[-1][1] if starts else "paragraph"
            blocks.append(Block(kind, rest))
        return blocks
