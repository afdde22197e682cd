"""ui/markdown.py: rich's Markdown with a chat reply's differences (line breaks, HTML as text, folded table
cells, code without a margin), and rendered lines as the terminal must receive them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from rich.markdown import Markdown
from rich.text import Text
from ui_helpers import chunked, documents, file_console, streamed_text

from ollama_chat.ui.lines import render_lines
from ollama_chat.ui.markdown import CODE_THEME, CopyableCode, FoldingTable, ReplyMarkdown, markdown_lines


def plain(lines) -> list[str]:
    return ["".join(segment.text for segment in line) for line in lines]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents().filter(lambda text: "<" not in text))
def test_reply_markdown_is_richs_markdown_apart_from_html_line_breaks_cut_cells_and_code(text):
    class Richs(Markdown):
        elements = {**Markdown.elements, "table_open": FoldingTable, "fence": CopyableCode, "code_block": CopyableCode}

    console = file_console(50, color="truecolor")
    richs = Richs(text, code_theme=CODE_THEME, hyperlinks=False)
    for token in richs.parsed:  # the one intended difference left: a single newline stays a line break
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"
    console.print(richs, crop=False)
    ours = file_console(50, color="truecolor")
    ours.print(ReplyMarkdown(text, first_code=None), crop=False)  # code blocks not numbered
    assert ours.file.getvalue() == console.file.getvalue()


def test_html_in_a_reply_is_shown_as_text_not_dropped():
    text = "<<Introduction>>\n\nUse a <div> here.\n\n<div>\nblock\n</div>\n"
    assert streamed_text(chunked(text, 3)) == ["<<Introduction>>", "", "Use a <div> here.", "", "<div>", "block", "</div>"]


def test_korean_table_cells_wrap_without_losing_characters():
    table = "| 프레임워크 | 장점 | 단점 |\n|---|---|---|\n| Flask | 가볍고 단순함, 배우기 쉬움 | 직접 골라야 할 것이 많음 |\n"
    for width in (30, 40, 60, 80):
        text = "".join(streamed_text(chunked(table, 5), width=width))
        assert "…" not in text
        for word in ("배우기", "쉬움", "골라야", "많음"):
            assert word in text, (width, text)


def test_single_newlines_stay_line_breaks():
    text = "산에 산에 꽃이 피네\n꽃이 피네\n갈 봄 여름 없이\n\n- 첫째\n  이어지는 줄"
    assert streamed_text(chunked(text, 2)) == ["산에 산에 꽃이 피네", "꽃이 피네", "갈 봄 여름 없이", "", " • 첫째", "   이어지는 줄"]


def test_code_has_no_margin_and_keeps_its_blank_lines_and_indentation():
    text = "Code:\n\n```python\ndef f():\n\tif x:\n        return 1\n```\n\n    indented code\n\nEnd."
    assert plain(markdown_lines(file_console(40), text)) == [
        "Code:",
        "",
        "[1] python",  # the number /copy code takes, on the row that was blank
        "def f():",
        "    if x:",  # a tab, expanded to 4 columns as rich does
        "        return 1",
        "",
        "",
        "[2]",
        "indented code",
        "",
        "",
        "End.",
    ]


def test_a_long_top_level_code_line_stays_one_line():
    code = "result = compute(alpha, beta, gamma) + other_function(delta, 'ㄱ나다라마바사')  # 주석"
    lines = plain(markdown_lines(file_console(30), f"```python\n{code}\n```"))
    assert lines == ["[1] python", code, ""]  # whole: the terminal wraps it, and copies it as one line


def test_code_inside_a_list_wraps_within_the_item_without_losing_a_character():
    code = "result = compute(alpha, beta, gamma) + other_function(delta)"
    lines = plain(markdown_lines(file_console(30), f"- item\n\n  ```\n  {code}\n  ```"))
    body = [line for line in lines if line]
    assert body.pop(0) == " • item"
    assert body.pop(0) == "   [1]"
    assert all(line.startswith("   ") and len(line) <= 30 for line in body)
    assert "".join(line[3:] for line in body).replace(" ", "") == code.replace(" ", "")


def test_render_lines_strips_trailing_padding_and_wraps_text_at_a_given_width():
    assert plain(render_lines(file_console(40), Text("one two three  "), width=8)) == ["one two", "three"]


def test_code_blocks_are_numbered_in_order_at_any_depth_from_first_code_dimly():
    text = "```js\nx\n```\n\n- a\n\n  ```python\n  y\n  ```\n\n> ~~~ sh  extra words\n> z\n> ~~~\n\n    w\n"
    lines = plain(markdown_lines(file_console(40), text, first_code=4))
    labels = [line.strip(" •▌") for line in lines if "[" in line]
    assert labels == ["[4] js", "[5] python", "[6] sh", "[7]"]
    assert ReplyMarkdown(text).code_count == 4
    assert "[" not in "".join(plain(markdown_lines(file_console(40), text, first_code=None)))
    colored = file_console(40, color="truecolor")
    colored.print(ReplyMarkdown("```js\nx\n```"))
    assert "\x1b[2m[1] js" in colored.file.getvalue()  # dim


def test_a_fence_info_with_a_leading_space_is_still_highlighted():
    """rich took the info string up to its first space, so "~~~ python" got no lexer."""
    console = file_console(40, color="truecolor")
    console.print(ReplyMarkdown("~~~ python\nimport os\n~~~", first_code=None))
    plain_console = file_console(40, color="truecolor")
    plain_console.print(ReplyMarkdown("~~~\nimport os\n~~~", first_code=None))
    assert console.file.getvalue() != plain_console.file.getvalue()
