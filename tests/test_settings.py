"""Settings precedence: defaults < config file < environment < persona header < flags."""

import pytest

from ollama_chat.errors import UsageError
from ollama_chat.personas import Example, Persona
from ollama_chat.settings import DEFAULT_MODEL, Flags, load_config, parse_config, persona_ref, resolve

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
