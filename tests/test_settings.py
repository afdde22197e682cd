"""Settings precedence: defaults < config file < environment < persona header < flags < this session."""

import pytest

from ollama_chat.errors import UsageError
from ollama_chat.chat.personas import Example, Persona
from ollama_chat.chat.configfile import load_config, parse_config
from ollama_chat.chat.settings import DEFAULT_MODEL, Flags
from ollama_chat.chat.layers import UNSET, build_layers, persona_ref


def resolve(flags, config, env, persona):
    """The settings every layer gives, as a run starts."""
    return build_layers(flags, config, env, persona).resolve()


PLAIN = Persona(name="assistant", system="기본 프롬프트")
RICH = Persona(
    name="p",
    system="페르소나 프롬프트",
    model="persona-model",
    options={"temperature": 0.3, "top_k": 5},
    format="json",
    think="low",
    keep_alive="1h",
    examples=(Example("a", "b"),),
)


def test_defaults():
    s = resolve(Flags(), {}, {}, PLAIN)
    assert (s.host, s.model, s.system, dict(s.options), s.max_messages, s.timeout) == (
        "http://127.0.0.1:11434",
        DEFAULT_MODEL,
        "기본 프롬프트",
        {},
        20,
        300.0,
    )
    assert DEFAULT_MODEL == "llama3.2:latest" and s.stream and s.input_history


def test_each_layer_overrides_the_one_below():
    config = parse_config(
        'model = "config-model"\nhost = "config-host"\npersona = "monk"\nmax_messages = 8\ntimeout = 60\n'
        "[options]\ntemperature = 0.9\nnum_ctx = 4096\nseed = 1\n",
        "config.toml",
    )
    assert persona_ref(Flags(), config) == "monk" and persona_ref(Flags(persona="coder"), config) == "coder"
    s = resolve(Flags(), config, {}, PLAIN)
    assert (s.model, s.host, s.max_messages, s.timeout) == ("config-model", "http://config-host:11434", 8, 60.0)
    assert dict(s.options) == {"temperature": 0.9, "num_ctx": 4096, "seed": 1}

    s = resolve(Flags(), config, {"OLLAMA_HOST": "envhost:1234"}, RICH)
    assert s.host == "http://envhost:1234"
    assert s.model == "persona-model" and s.system == "페르소나 프롬프트"
    assert dict(s.options) == {"temperature": 0.3, "num_ctx": 4096, "seed": 1, "top_k": 5}
    assert (s.format, s.think, s.keep_alive) == ("json", "low", "1h")

    flags = Flags(
        model="flag-model",
        host="https://flag",
        system="플래그 프롬프트",
        preset="creative",
        options={"top_k": 7},
        format={"type": "object"},
        think=False,
        max_messages=4,
        timeout=9,
    )
    s = resolve(flags, config, {"OLLAMA_HOST": "envhost"}, RICH)
    assert (s.model, s.host, s.system, s.format, s.think) == ("flag-model", "https://flag:443", "플래그 프롬프트", {"type": "object"}, False)
    # the preset beats the persona, and single option flags beat the preset
    assert dict(s.options) == {"temperature": 1.0, "top_p": 0.95, "top_k": 7, "num_ctx": 4096, "seed": 1}
    assert (s.max_messages, s.timeout) == (4, 9.0)


@pytest.mark.parametrize(
    "text, words",
    [
        ("model = 'm'\nmodle = 'x'", "line 2: unknown key 'modle'"),
        ("max_messages = 'many'", "line 1: 'max_messages' must be a whole number, not 'many'"),
        ("verbose = 1", "'verbose' must be true or false"),
        ("\n[options]\ntop_p = 3", "line 3: option 'top_p' must be between 0 and 1"),
        ("max_messages = 1", "at least 2"),
        ("timeout = 0", "positive"),
        ("model = 'm'\nhost = ", "line 2: invalid TOML"),
    ],
)
def test_bad_config_is_refused(text, words):
    with pytest.raises(UsageError, match=words) as e:
        parse_config(text, "/cfg/config.toml")
    assert "/cfg/config.toml" in e.value.message


def test_config_file_io(tmp_path):
    assert load_config(tmp_path / "missing.toml") == {}
    bad = tmp_path / "config.toml"
    bad.write_bytes(b"model = '\xff'")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_config(bad)


def test_bad_flags():
    with pytest.raises(UsageError, match="Unknown preset 'fast'"):
        resolve(Flags(preset="fast"), {}, {}, PLAIN)
    with pytest.raises(UsageError, match="at least 2"):
        resolve(Flags(max_messages=1), {}, {}, PLAIN)
    with pytest.raises(UsageError, match="think must be"):
        resolve(Flags(think="max"), {}, {}, PLAIN)


CODER = Persona(name="coder", system="코더", model="coder-model", options={"temperature": 0.2, "top_k": 20})


def test_switching_persona_keeps_the_users_options_and_model():
    """--temperature 0.1, /set top_k 3, then /persona coder: coder's 0.2 and 20 must not win."""
    layers = build_layers(Flags(model="flag-model", options={"temperature": 0.1}), {}, {}, PLAIN)
    layers = layers.set_option("top_k", 3).with_persona(CODER)
    s = layers.resolve()
    assert dict(s.options) == {"temperature": 0.1, "top_k": 3}
    assert s.model == "flag-model" and s.system == "코더" and s.persona is CODER


def test_persona_options_apply_where_the_user_chose_nothing():
    s = build_layers(Flags(), {"options": {"num_ctx": 4096}}, {}, PLAIN).with_persona(CODER).resolve()
    assert dict(s.options) == {"num_ctx": 4096, "temperature": 0.2, "top_k": 20} and s.model == "coder-model"


def test_session_model_outranks_a_later_persona():
    s = build_layers(Flags(), {}, {}, PLAIN).set(model="mine").with_persona(CODER).resolve()
    assert s.model == "mine"


def test_system_prompt_chosen_by_hand_goes_with_a_new_persona():
    layers = build_layers(Flags(system="플래그"), {}, {}, PLAIN)
    assert layers.resolve().system == "플래그"
    layers = layers.set(system="세션")
    assert layers.resolve().system == "세션"
    assert layers.with_persona(CODER).resolve().system == "코더"


def test_unset_removes_an_option_set_by_any_layer():
    layers = build_layers(Flags(options={"seed": 1}), {"options": {"num_ctx": 2048}}, {}, CODER)
    layers = layers.set_option("temperature", UNSET).set_option("num_ctx", UNSET)
    assert dict(layers.resolve().options) == {"top_k": 20, "seed": 1}
    assert layers.set_option("num_ctx", 8192).resolve().options["num_ctx"] == 8192
    assert layers.source_of("options", "seed") == "flags" and layers.source_of("model") == "persona"


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0, 0.0])
def test_timeout_must_be_a_real_positive_number(timeout):
    with pytest.raises(UsageError, match="positive number of seconds"):
        resolve(Flags(timeout=timeout), {}, {}, PLAIN)


def test_timeout_too_large_for_a_socket_is_refused():
    with pytest.raises(UsageError, match="up to 1,000,000"):
        resolve(Flags(timeout=1e12), {}, {}, PLAIN)
    with pytest.raises(UsageError, match="line 1: 'timeout' must be a positive number of seconds up to"):
        parse_config("timeout = 1e12", "/cfg/config.toml")
    with pytest.raises(UsageError, match="line 1: 'timeout'"):
        parse_config("timeout = nan", "/cfg/config.toml")


def test_config_with_a_bom_and_windows_line_ends_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbfmodel = 'm'\r\n[options]\r\nseed = 3\r\n")
    assert load_config(path) == {"model": "m", "options": {"seed": 3}}


def test_deeply_nested_toml_is_an_error_with_the_file(tmp_path):
    with pytest.raises(UsageError, match="config.toml, line 1: invalid TOML"):
        parse_config("x = " + "[" * 50_000 + "]" * 50_000, "/cfg/config.toml")


def test_a_fifo_as_config_file_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        load_config(fifo)
