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
        ("top_k", -1, "between 1 and 2,147,483,647"),
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


def test_every_whole_number_option_has_both_bounds():
    """A number past them would not reach the server as sent (Go's int, llama.cpp's C ints) or asks for an
    absurd window: each is refused before anything is sent."""
    from ollama_chat.options import OPTIONS

    assert all(spec.low is not None and spec.high is not None for spec in OPTIONS.values() if spec.kind is int)


@pytest.mark.parametrize("name, value, words", [
    ("num_ctx", 0, "option 'num_ctx' must be between 1 and 100,000,000, not 0"),
    ("num_ctx", -4096, "option 'num_ctx' must be between 1 and 100,000,000, not -4096"),
    ("num_ctx", 10**9, "option 'num_ctx' must be between 1 and 100,000,000, not 1000000000"),
    ("num_predict", 10**12, "option 'num_predict' must be between -2 and 100,000,000, not 1000000000000"),
    ("seed", 2**64, "option 'seed' must be between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807, not"
                    " 18446744073709551616"),
    ("num_thread", 2**40, "between 0 and 2,147,483,647"),
    ("seed", 10**500, "not 100000000000… (a number of 501 digits)"),  # quoted short, not 501 digits
    ("temperature", 10**400, "option 'temperature' must be between 0 and 2"),  # float(10**400) overflows
])
def test_whole_numbers_out_of_range_name_the_option_the_value_and_the_range(name, value, words):
    with pytest.raises(OptionError) as e:
        check_option(name, value)
    assert words in str(e.value) and len(str(e.value)) < 200


def test_a_flag_an_option_a_set_a_config_and_a_transcript_are_all_range_checked_before_sending(cli, fake_ollama,
                                                                                            tmp_path):
    for args in (["--num-ctx", "0"], ["--seed", str(2**64)], ["--option", "num_predict=1000000000000"],
                 ["--num-ctx", "100000001"]):
        code, out, err = cli(*args, "안녕")
        assert code == 2 and "Bad option: option '" in err and "must be between" in err, (args, err)
    config = tmp_path / ".config" / "ollama-chat"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("[options]\nnum_ctx = 0\n")
    code, out, err = cli("안녕")
    assert code != 0 and "num_ctx" in err and "between 1 and 100,000,000" in err and "Traceback" not in err
    (config / "config.toml").unlink()
    transcript = tmp_path / "t.json"
    transcript.write_text('{"exchanges": [], "options": {"num_ctx": 1e12}}', encoding="utf-8")
    code, out, err = cli("--resume", str(transcript), "안녕")
    assert code == 2 and "num_ctx" in err and "between 1 and 100,000,000" in err
    assert fake_ollama.chat_requests == []  # nothing was sent
