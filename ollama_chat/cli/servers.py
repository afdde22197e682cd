"""Which server a run talks to, and in which API: the resolved settings become a Backend, with an
OpenAI-compatible server's key read from the variable the settings name."""

from __future__ import annotations

from ollama_chat import paths
from ollama_chat.backends.base import Backend
from ollama_chat.backends.ollama import OllamaBackend
from ollama_chat.chat.configfile import load_config
from ollama_chat.chat.settings import Flags, Settings
from ollama_chat.chat.layers import Layers, config_layer, env_layer, flags_layer, server_layer
from ollama_chat.environment import Environment
from ollama_chat.startup import collector_paused


def open_backend(env: Environment, settings: Settings) -> Backend:
    """The server's API: Ollama's, or an OpenAI-compatible server's (vLLM, llama.cpp, LM Studio) with its key
    read from the variable the settings name (never from a flag, so it stays out of shell history). The first
    one imports requests: with the collector paused."""
    with collector_paused():
        return _backend(env, settings)


def _backend(env: Environment, settings: Settings) -> Backend:
    if settings.backend_api == "openai":
        from ollama_chat.backends.openai import OpenAIBackend

        from ollama_chat.backends.windows import LearntWindows

        key = env.environ.get(settings.api_key_env) or None
        return OpenAIBackend(settings.host, key, settings.api_key_env, settings.timeout,
                             LearntWindows(paths.state_dir(env.environ) / "windows.json"))
    return OllamaBackend(settings.host, settings.timeout)


def backend_for(env: Environment, flags: Flags) -> Backend:
    """The server only (for `models`): no persona is read, so a broken one is no reason not to list or pull."""
    config = load_config(paths.config_file(env.environ))
    settings = Layers(config=config_layer(config), env=env_layer(env.environ), server=server_layer(flags.server, config),
                      flags=flags_layer(flags)).resolve()
    return open_backend(env, settings)
