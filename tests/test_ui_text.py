"""text.py: sanitising model text for a terminal; ui/marks.py: the stats line and the end marks."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from ui_helpers import HOSTILE, STATS

from ollama_chat.types import Stats
from ollama_chat.ui.marks import CUT_MARK, INTERRUPTED_MARK, end_marks, format_stats
from ollama_chat.text import sanitize

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")



def test_sanitize_removes_or_shows_every_control_character():
    for text in HOSTILE:
        clean = sanitize(text)
        assert CONTROL.search(clean) is None, repr(clean)
    assert sanitize("\x1b[2J") == "␛[2J"
    assert sanitize("\x9b2J") == "␛[2J"
    assert sanitize("a\x07b\x08c") == "a␇b␈c"
    assert sanitize("\x7f\x00") == "␡␀"


def test_sanitize_keeps_newlines_tabs_and_ordinary_text():
    text = "line\n\tindented 한국어 ①※… emoji 🙂 \u00a0nbsp"
    assert sanitize(text) == text


def test_sanitize_drops_carriage_returns():
    assert sanitize("a\r\nb") == "a\nb"
    assert sanitize("50%\r100%") == "50%100%"


@given(st.text(), st.text())
def test_sanitize_is_the_same_per_chunk_or_at_once(a, b):
    assert sanitize(a) + sanitize(b) == sanitize(a + b)
    clean = sanitize(a)
    assert CONTROL.search(clean) is None
    assert clean.count("\n") == a.count("\n") and clean.count("\t") == a.count("\t")


def test_format_stats():
    assert format_stats(STATS) == "42 tokens · 31.5 tok/s · prompt 26 tokens · load 1.3 s · total 4.9 s"
    cut = Stats(done_reason="length", eval_count=1, eval_duration=0, load_duration=25_000_000)
    assert format_stats(cut) == "1 token · load 25 ms · cut by length (raise num_predict or num_ctx)"
    assert format_stats(Stats()) == "0 tokens"


def test_end_marks():
    cut = Stats(done_reason="length", eval_count=5)
    assert end_marks(None, interrupted=False, show_stats=True) == []
    assert end_marks(STATS, interrupted=False, show_stats=False) == []
    assert end_marks(STATS, interrupted=True, show_stats=True) == [
        (INTERRUPTED_MARK, "interrupted"),
        (format_stats(STATS), "stats"),
    ]
    assert end_marks(cut, interrupted=False, show_stats=False) == [(CUT_MARK, "interrupted")]  # always said
    assert end_marks(cut, interrupted=False, show_stats=True) == [(format_stats(cut), "stats")]  # the stats say it
