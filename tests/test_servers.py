"""Choosing the server and its API: --api, a /v1 host, api_key_env, and named [servers.NAME] in the config."""

from __future__ import annotations

import pytest

from ollama_chat.chat.configfile import parse_config
from ollama_chat.errors import UsageError
from ollama_chat.chat.personas import Persona
from ollama_chat.chat.settings import Flags
from ollama_chat.chat.layers import build_layers


def resolve(flags, config, env, persona):
    """The settings every layer gives, as a run starts."""
    return build_layers(flags, config, env, persona).resolve()


PLAIN = Persona(name="assistant", system="기본", model="llama3.2")

LAB = """\
model = "llama3.2"

[servers.lab]
api = "openai"
host = "https://gpu.example.com/v1"
api_key_env = "LAB_API_KEY"
model = "Qwen/Qwen2.5-7B-Instruct"

[servers.home]
host = "192.168.0.10"
"""


def test_the_api_follows_the_host_unless_said():
    assert resolve(Flags(), {}, {}, PLAIN).backend_api == "ollama"
    assert resolve(Flags(host="http://127.0.0.1:8000/v1"), {}, {}, PLAIN).backend_api == "openai"
    assert resolve(Flags(host="http://127.0.0.1:8000/v1", api="ollama"), {}, {}, PLAIN).backend_api == "ollama"
    assert resolve(Flags(api="openai"), {}, {}, PLAIN).backend_api == "openai"
    assert resolve(Flags(), parse_config('api = "openai"\n', "c"), {}, PLAIN).backend_api == "openai"
    assert resolve(Flags(), {}, {"OLLAMA_HOST": "https://x.example/v1"}, PLAIN).backend_api == "openai"


def test_the_key_variable_is_openai_api_key_unless_the_config_names_another():
    assert resolve(Flags(), {}, {}, PLAIN).api_key_env == "OPENAI_API_KEY"
    assert resolve(Flags(), parse_config('api_key_env = "MY_KEY"\n', "c"), {}, PLAIN).api_key_env == "MY_KEY"


def test_a_named_server_sets_host_api_key_variable_and_model():
    config = parse_config(LAB, "config.toml")
    s = resolve(Flags(server="lab"), config, {"OLLAMA_HOST": "other:1"}, PLAIN)
    assert (s.host, s.backend_api, s.api_key_env, s.model) == (
        "https://gpu.example.com:443/v1", "openai", "LAB_API_KEY", "Qwen/Qwen2.5-7B-Instruct")
    # flags still win: -m and --host
    s = resolve(Flags(server="lab", model="m2", host="http://127.0.0.1:9/v1"), config, {}, PLAIN)
    assert (s.host, s.model, s.api_key_env) == ("http://127.0.0.1:9/v1", "m2", "LAB_API_KEY")
    home = resolve(Flags(server="home"), config, {}, PLAIN)
    assert (home.host, home.backend_api, home.model) == ("http://192.168.0.10:11434", "ollama", "llama3.2")


def test_an_unknown_server_names_the_known_ones():
    config = parse_config(LAB, "config.toml")
    with pytest.raises(UsageError) as e:
        resolve(Flags(server="lob"), config, {}, PLAIN)
    assert "No server named 'lob'" in e.value.message and "lab" in e.value.message and "lab, home" in e.value.hint
    with pytest.raises(UsageError) as e:
        resolve(Flags(server="lab"), {}, {}, PLAIN)
    assert "[servers.lab]" in e.value.hint


@pytest.mark.parametrize("text, words", [
    ('api = "vllm"\n', ["line 1", "'api' must be \"ollama\" or \"openai\""]),
    ('api_key_env = "sk-abc123 with spaces"\n', ["line 1", "the name of an environment variable"]),
    ('[servers.lab]\nhost = "x"\nkey = "sk-123"\n', ["line 3", "unknown key 'key' in [servers.lab]"]),
    ('[servers.lab]\nhost = "x"\napi = "openia"\n', ["line 3", "'api' must be"]),
    ('[servers.lab]\napi = "openai"\n', ["line 1", "[servers.lab] needs a host"]),
    ('[servers.lab]\nhost = 8000\n', ["line 2", "'host' must be a string"]),
    ('servers = 3\n', ["line 1", "'servers' must be"]),
])
def test_bad_server_config_is_refused_with_its_line(text, words):
    with pytest.raises(UsageError) as e:
        parse_config(text, "config.toml")
    for word in words:
        assert word in str(e.value)


def test_a_bad_api_flag():
    with pytest.raises(UsageError) as e:
        resolve(Flags(api="vllm"), {}, {}, PLAIN)
    assert "--api takes ollama or openai, not 'vllm'" in e.value.message
