"""Files brought into a message (issue 12 groundwork): decoding Korean files right, refusing binary ones, and
the fenced blocks the model receives."""

from __future__ import annotations

import codecs

import pytest

from ollama_chat.files.attachments import Attachment, AttachmentError, decode, fence, read_text, with_attachments

KOREAN = "회의록: 다음 주 월요일까지 보고서를 제출해 주세요.\n참석자: 김철수, 이영희"


@pytest.mark.parametrize("data, encoding", [
    (KOREAN.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + KOREAN.encode("utf-8"), "utf-8-sig"),
    (KOREAN.encode("utf-16"), "utf-16"),  # with its BOM
    (KOREAN.encode("cp949"), "cp949"),
    ("짧은 글".encode("cp949"), "cp949"),  # too short for a statistical guess: Hangul decides
])
def test_text_is_decoded_right(data, encoding):
    text, found = decode(data)
    assert found == encoding and text in (KOREAN, "짧은 글")


def test_binary_is_refused_with_the_file_named(tmp_path):
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    with pytest.raises(AttachmentError, match="photo.png: it is not a text file"):
        read_text(png, "photo.png")
    with pytest.raises(AttachmentError, match="no such file"):
        read_text(tmp_path / "nope.txt", "nope.txt")
    with pytest.raises(AttachmentError, match="folder"):
        read_text(tmp_path, "dir")


def test_the_model_gets_each_file_fenced_and_named_then_the_words():
    a = Attachment("notes.md", "```python\nx = 1\n```\n", 20, "utf-8")
    assert fence(a.text) == "````"
    assert with_attachments("요약해 주세요", [a]) == "notes.md:\n````\n```python\nx = 1\n```\n````\n\n요약해 주세요"
    assert with_attachments("그냥 질문", []) == "그냥 질문"
