import pytest

from ollama_chat.options import OptionError, check_option, parse_assignment, parse_option_text


def test_typed_values_are_checked_and_normalised():
    assert check_option("temperature", 1) == 1.0 and isinstance(check_option("temperature", 1), float)
    assert check_option("num_ctx", 8192.0) == 8192
    assert check_option("stop", "###") == ["###"]
    assert parse_option_text("stop", '"###" "\\n\\n"') == ["###", "\n\n"]
    assert parse_assignment("num_ctx=4096") == ("num_ctx", 4096)
    assert parse_assignment(" seed = 42") == ("seed", 42)


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("top_k", -1, "at least 1"),
        ("top_p", 1.5, "between 0 and 1"),
        ("temperature", -0.1, "between 0 and 2"),
        ("num_ctx", 1.5, "whole number"),
        ("seed", True, "takes a whole number"),
        ("temperature", "hot", "takes a number"),
    ],
)
def test_out_of_range_and_wrong_types_are_refused(name, value, words):
    with pytest.raises(OptionError, match=words):
        check_option(name, value)


def test_unknown_names_are_refused_with_a_suggestion():
    with pytest.raises(OptionError, match="Did you mean 'temperature'"):
        check_option("temprature", 0.5)
    with pytest.raises(OptionError, match="expected KEY=VALUE"):
        parse_assignment("num_ctx")
    with pytest.raises(OptionError, match="takes a whole number, not 'big'"):
        parse_option_text("num_ctx", "big")


@pytest.mark.parametrize(
    "text, words",
    [
        (r"\n\n", ["\n\n"]),
        (r'"\n\n"', ["\n\n"]),
        ("### END", ["###", "END"]),
        ('"### END" "끝"', ["### END", "끝"]),
        (r"a\\n", ["a\\n"]),
        (r"x\ty", ["x\ty"]),
    ],
)
def test_stop_words_understand_quotes_and_escapes(text, words):
    assert parse_option_text("stop", text) == words


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused(value):
    with pytest.raises(OptionError, match="finite"):
        check_option("temperature", value)
    with pytest.raises(OptionError, match="finite"):
        parse_option_text("top_p", str(value))
