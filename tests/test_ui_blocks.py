"""ui/blocks.py: where streamed Markdown splits into finished blocks (pure: no console, no terminal)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ui_helpers import chunked, chunkings, documents

from ollama_chat.ui import blocks
from ollama_chat.ui.blocks import Block, BlockSplitter, top_level_blocks


def feed_all(chunks: list[str]) -> tuple[list[list[Block]], list[Block]]:
    splitter = BlockSplitter()
    per_chunk = [splitter.feed(chunk) for chunk in chunks]
    return per_chunk, splitter.flush()


def test_fence_that_closes_across_chunks():
    per_chunk, rest = feed_all(["Intro\n\n```py\n", "x = 1\n", "``", "`", "\n", "Af", "ter\n"])
    assert per_chunk[0] == [Block("paragraph", "Intro\n\n")]
    assert per_chunk[1:5] == [[], [], [], []]  # the fence is open until the line after its closing line
    assert per_chunk[6] == [Block("fence", "```py\nx = 1\n```\n")]
    assert rest == [Block("paragraph", "After\n")]


def test_fence_is_not_closed_by_a_fence_line_with_an_info_string():
    splitter = BlockSplitter()
    assert splitter.feed("```\na\n```not-a-close\nb\n") == []
    assert splitter.kind == "fence"
    assert splitter.feed("```\nnext\n") == [Block("fence", "```\na\n```not-a-close\nb\n```\n")]


def test_list_that_continues_after_a_blank_line():
    per_chunk, rest = feed_all(["- one\n", "\n", "- two\n\n", "  still two\n", "\n", "Para", "graph\n"])
    assert per_chunk[:5] == [[], [], [], [], []]
    assert per_chunk[6] == [Block("bullet_list", "- one\n\n- two\n\n  still two\n\n")]
    assert rest == [Block("paragraph", "Paragraph\n")]


def test_table_that_is_still_growing():
    splitter = BlockSplitter()
    assert splitter.feed("| a | b |\n") == []
    assert splitter.kind == "paragraph"  # a header row alone is text ...
    assert splitter.feed("|---|---|\n") == []
    assert splitter.kind == "table"  # ... until the delimiter row arrives
    for i in range(5):
        assert splitter.feed(f"| {i} | {i * i} |\n") == []
    finished = splitter.feed("\nDone.\n")
    assert [b.kind for b in finished] == ["table"]
    assert finished[0].text.count("\n") == 8


def test_korean_text_split_across_chunks():
    text = "안녕하세요. 파이썬 딕셔너리는\n중괄호로 만듭니다.\n\n다음 문단입니다.\n"
    per_chunk, rest = feed_all(chunked(text, 3))
    finished = [block for found in per_chunk for block in found] + rest
    assert finished == [
        Block("paragraph", "안녕하세요. 파이썬 딕셔너리는\n중괄호로 만듭니다.\n\n"),
        Block("paragraph", "다음 문단입니다.\n"),
    ]


def test_a_partial_line_never_finishes_a_block():
    splitter = BlockSplitter()
    assert splitter.feed("Foo\n#") == []  # "#" alone would be a heading, but "#x" continues the paragraph
    assert splitter.feed("x\n") == []
    assert splitter.text == "Foo\n#x\n"
    assert splitter.feed("\n# Heading\n") == [Block("paragraph", "Foo\n#x\n\n")]


def test_setext_heading_turns_the_open_paragraph_into_a_heading():
    per_chunk, rest = feed_all(["Title\n", "=====\n", "Text\n"])
    assert per_chunk[2] == [Block("heading", "Title\n=====\n")]
    assert rest == [Block("paragraph", "Text\n")]


def test_raw_html_is_a_paragraph_not_an_html_block():
    assert top_level_blocks("<div>\nblock\n</div>\n\n<<Title>>\n") == [(0, "paragraph"), (4, "paragraph")]


def test_pop_finished_parses_only_when_a_line_was_completed(monkeypatch):
    calls = []
    original = blocks.block_spans  # the one parse pop_finished makes
    monkeypatch.setattr(blocks, "block_spans", lambda s: calls.append(s) or original(s))
    splitter = BlockSplitter()
    for word in "one two three four".split():
        splitter.append(word + " ")
        assert splitter.pop_finished() == []
    assert calls == []
    splitter.append("\n\nnext ")
    splitter.pop_finished()
    assert calls == ["one two three four \n\n"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_splitting_keeps_every_character_and_finds_the_blocks_of_the_whole(data):
    text = data.draw(documents())
    chunks = data.draw(chunkings(text))
    per_chunk, rest = feed_all(chunks)
    found = [block for finished in per_chunk for block in finished] + rest
    joined = "".join(block.text for block in found)
    assert text.endswith(joined) and not text[: len(text) - len(joined)].strip()
    assert [block.kind for block in found][:-1] == [kind for _, kind in top_level_blocks(text)][: len(found) - 1]


# --------------------------------------------------------------------------------------------------------------
# code_blocks: what `/copy code N` numbers and copies
# --------------------------------------------------------------------------------------------------------------


def test_code_blocks_in_order_with_language_and_code_exactly():
    reply = (
        "설명입니다.\n\n```python title=\"x.py\"\nprint('안녕')\n\n    return 1\n```\n\n"
        "~~~ sh\necho hi\n~~~\n\n"
        "    indented = 1\n\n    second = 2\n\n"
        "Done."
    )
    assert blocks.code_blocks(reply) == [
        blocks.CodeBlock("python", "print('안녕')\n\n    return 1"),  # inner blank line and indentation kept
        blocks.CodeBlock("sh", "echo hi"),
        blocks.CodeBlock("", "indented = 1\n\nsecond = 2"),
    ]


def test_a_fence_inside_a_longer_fence_is_code_not_a_block():
    reply = "````markdown\n```python\nx = 1\n```\n````\n\n```\n```\n"
    assert blocks.code_blocks(reply) == [
        blocks.CodeBlock("markdown", "```python\nx = 1\n```"),
        blocks.CodeBlock("", ""),  # an empty block still counts: the screen numbers it too
    ]


def test_code_in_list_items_and_quotes_loses_the_container_indent():
    reply = "1. 첫째\n\n   ```js\n   let a = 1;\n     nested();\n   ```\n\n2. 둘째\n\n       indented in item\n\n> ```\n> quoted\n> ```\n"
    assert blocks.code_blocks(reply) == [
        blocks.CodeBlock("js", "let a = 1;\n  nested();"),
        blocks.CodeBlock("", "indented in item"),
        blocks.CodeBlock("", "quoted"),
    ]


def test_an_unclosed_fence_of_an_interrupted_reply_runs_to_the_end():
    assert blocks.code_blocks("Here:\n\n```python\nfor i in range(3):\n    print(i") == [
        blocks.CodeBlock("python", "for i in range(3):\n    print(i")
    ]
    assert blocks.code_blocks("Here:\n\n```python\nx = 1\n") == [blocks.CodeBlock("python", "x = 1")]


def test_no_code_blocks_inline_code_and_html_are_not_code():
    assert blocks.code_blocks("Use `pip install x` and <pre>x</pre>.\n\n``` not a fence ``` here") == []
    assert blocks.code_blocks("") == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_code_blocks_of_a_reply_are_those_of_its_finished_blocks(text):
    """The renderer numbers the blocks it commits, batch by batch: the count must add up to the whole reply's."""
    per_chunk, rest = feed_all(chunked(text, 5))
    parts = [block.text for batch in [*per_chunk, rest] for block in batch]
    assert [code for part in parts for code in blocks.code_blocks(part)] == blocks.code_blocks(text)
