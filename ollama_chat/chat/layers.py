"""Settings as layers, resolved anew whenever one changes.

Lowest first: built-in defaults < config file < environment (OLLAMA_HOST) < persona header < a resumed
conversation's model and options < command-line flags < this session's commands (/set, /model, /system, ...).
Each layer is a small mapping of the fields it sets; `/persona` swaps the persona layer and `/set` writes
the session layer, so a user's choices (flags and /set) always outrank any persona. Options merge key by key
across layers; `UNSET` in a layer removes a key set below it (`/unset`). Building a layer checks its values;
`Layers.resolve` is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ollama_chat.hosts import has_credentials, parse_host
from ollama_chat.errors import UsageError, cut
from ollama_chat.i18n import _
from ollama_chat.options import PRESETS
from ollama_chat.chat.personas import Persona
from ollama_chat.chat.settings import APIS, DEFAULT_PERSONA, Flags, Settings, check_think, check_timeout
from ollama_chat.suggest import did_you_mean

UNSET = object()  # in a layer's options: this option goes back to the model's default
LAYER_NAMES = ("defaults", "config", "env", "persona", "server", "resumed", "flags", "session")

_FIELDS = {f.name for f in fields(Settings)}
Layer = Mapping[str, Any]


@dataclass(frozen=True)
class Layers:
    defaults: Layer = field(default_factory=dict)
    config: Layer = field(default_factory=dict)
    env: Layer = field(default_factory=dict)
    persona: Layer = field(default_factory=dict)
    server: Layer = field(default_factory=dict)  # --server NAME: its host, API, key variable and model
    resumed: Layer = field(default_factory=dict)  # a resumed conversation's model and options
    flags: Layer = field(default_factory=dict)
    session: Layer = field(default_factory=dict)
    configured: Mapping[str, Any] = field(default_factory=dict)  # the config's [servers]: what a resume may name

    def resolve(self) -> Settings:
        values: dict[str, Any] = {}
        options: dict[str, Any] = {}
        for name in LAYER_NAMES:
            layer = getattr(self, name)
            for key, value in layer.items():
                if key == "options":
                    options.update(value)
                elif key == "yes_tools":  # allow-lists add up: the config's, then the flags'
                    values[key] = tuple(dict.fromkeys((*values.get(key, ()), *value)))
                else:
                    values[key] = value
        options = {k: v for k, v in options.items() if v is not UNSET}
        if values.get("host") != self.server.get("host"):
            values.pop("server_name", None)  # --host took it elsewhere: no longer the named server
        return Settings(**values, options=options)

    def with_persona(self, persona: Persona) -> Layers:
        """A new persona (/persona): its layer replaces the old one's, and a system prompt given with --system
        or /system goes, since choosing a persona is choosing its prompt. Everything else you chose stays."""
        return replace(
            self,
            persona=persona_layer(persona),
            resumed={},
            flags=_without(self.flags, "system"),
            session=_without(self.session, "system"),
        )

    def resume(self, persona: Persona | None, model: str, options: Mapping[str, Any] | None) -> Layers:
        """A resumed conversation: its persona (None: keep the current one, e.g. from --persona), model and
        options (None: it does not say), under the flags. This session's choices of model, system prompt and
        options give way to the conversation's; an option of the persona that was unset in it stays unset.
        Never its server: that is `back_to`'s, and only by a name the user's config holds."""
        persona_part = persona_layer(persona) if persona is not None else self.persona
        resumed: dict[str, Any] = {"model": model}
        if options is not None:
            unset = {k: UNSET for k in persona_part.get("options", {}) if k not in options}
            resumed["options"] = {**unset, **options}
        session = {k: v for k, v in self.session.items() if k not in ("model", "system", "options")}
        return replace(self, persona=persona_part, resumed=resumed, session=session)

    def back_to(self, name: str | None) -> Layers:
        """A resumed conversation held on the config's server `name` goes back to it, as `--server NAME` would
        (its key variable from the config), unless the user chose a server (--server, --host, --api) or the
        config no longer has it."""
        if name is None or name not in self.configured or self.server or "host" in self.flags or "api" in self.flags:
            return self
        return replace(self, server=server_layer(name, {"servers": self.configured}))

    def set(self, **changes: Any) -> Layers:
        """This session's choices (/model, /system, /format, /stats, /think)."""
        return replace(self, session={**self.session, **changes})

    def set_option(self, name: str, value: Any) -> Layers:
        """`/set NAME VALUE`, or `/unset NAME` with UNSET."""
        options = {**self.session.get("options", {}), name: value}
        return replace(self, session={**self.session, "options": options})

    def source_of(self, key: str, option: str | None = None) -> str:
        """Which layer decided a setting (for /show)."""
        for name in reversed(LAYER_NAMES):
            layer = getattr(self, name)
            if option is None and key in layer:
                return name
            if option is not None and option in layer.get("options", {}):
                return name
        return "defaults"


def _without(layer: Layer, key: str) -> Layer:
    return {k: v for k, v in layer.items() if k != key}


# -- building each layer (checks happen here, with the source in the message) ----------------------------


def persona_layer(persona: Persona) -> Layer:
    layer: dict[str, Any] = {"persona": persona, "system": persona.system, "options": dict(persona.options)}
    for key in ("model", "format", "think", "keep_alive"):
        value = getattr(persona, key)
        if value is not None:
            layer[key] = value
    if persona.tools is not None or persona.mcp:  # a persona may name tools; it never approves them
        layer.update(tool_layer(persona.tools, persona.mcp, None, persona.source))
    return layer


def config_layer(config: Mapping[str, Any]) -> Layer:
    layer = {k: v for k, v in config.items() if k in _FIELDS and k != "persona"}
    if "host" in layer:
        layer["host"] = _host(layer["host"], _("the config file"))
    if "timeout" in layer:
        layer["timeout"] = float(layer["timeout"])
    return {**layer, **tool_layer(config.get("tools"), config.get("mcp"), config.get("yes_tools"), _("the config file"))}


def tool_layer(tools: Any, mcp: Any, yes_tools: Any, source: str) -> Layer:
    """The tools a layer names (None: it names none), checked; imported only when some are named."""
    if tools is None and not mcp and not yes_tools:
        return {}
    from ollama_chat.tools.names import allowed, chosen, words_of

    layer: dict[str, Any] = {}
    try:
        if tools is not None:
            layer["tools"] = chosen(tools)
        if mcp:
            layer["mcp"] = tuple(words_of(mcp))
        if yes_tools:
            layer["yes_tools"] = allowed(yes_tools)
    except UsageError as e:
        raise UsageError(_("{source}: {problem}").format(source=source, problem=e.message), e.hint) from None
    return layer


def server_layer(name: str | None, config: Mapping[str, Any]) -> Layer:
    """`--server NAME`: the config file's [servers.NAME] table (checked when the file was read)."""
    if name is None:
        return {}
    servers = config.get("servers", {})
    if name not in servers:
        guess = did_you_mean(name, servers)
        known = (_("Servers in the config file: {names}.").format(names=", ".join(servers)) if servers else
                 _("Name one in the config file first:") + f"\n  [servers.{name}]\n  api = \"openai\"\n"
                 "  host = \"https://gpu.example.com/v1\"\n  api_key_env = \"LAB_API_KEY\"")
        raise UsageError(_("No server named '{name}' in the config file.{guess}").format(
            name=name, guess=" " + guess if guess else ""), known)
    table = {**servers[name], "server_name": name}
    if "host" in table:
        table["host"] = _host(table["host"], f"[servers.{name}]")
    return table


def env_layer(env: Mapping[str, str]) -> Layer:
    host = env.get("OLLAMA_HOST")
    return {"host": _host(host, "OLLAMA_HOST")} if host else {}


def flags_layer(flags: Flags) -> Layer:
    layer: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if flags.preset is not None:
        if flags.preset not in PRESETS:
            raise UsageError(_("Unknown preset '{name}'.").format(name=flags.preset),
                             _("Presets: {names}.").format(names=", ".join(PRESETS)))
        options.update(PRESETS[flags.preset])
    options.update(flags.options)
    if options:
        layer["options"] = options
    if flags.host:
        layer["host"] = _host(flags.host, "--host")
    if flags.api is not None:
        if flags.api not in APIS:
            raise UsageError(_("--api takes {choices}, not '{value}'.").format(choices=_(" or ").join(APIS), value=flags.api))
        layer["api"] = flags.api
    if flags.max_messages is not None:
        if flags.max_messages < 2:
            raise UsageError(_("--max-messages must be at least 2 (one question and its answer)."))
        layer["max_messages"] = flags.max_messages
    if flags.timeout is not None:
        layer["timeout"] = check_timeout(flags.timeout, "--timeout")
    for key in ("model", "system", "format", "input_history", "hide_thinking", "verbose"):
        value = getattr(flags, key)
        if value is not None:
            layer[key] = value
    if flags.think is not None:
        layer["think"] = check_think(flags.think)
    if not flags.stream:
        layer["stream"] = False
    if flags.plain:
        layer["plain"] = True
    if flags.incognito:
        layer["save_history"] = layer["input_history"] = False
    layer.update(tool_layer(flags.tools, None, None, "--tools"))
    layer.update(tool_layer(None, flags.mcp, flags.yes_tools, "--yes-tools"))
    return layer


def build_layers(flags: Flags, config: Mapping[str, Any], env: Mapping[str, str], persona: Persona) -> Layers:
    return Layers(
        config=config_layer(config),
        env=env_layer(env),
        persona=persona_layer(persona),
        server=server_layer(flags.server, config),
        flags=flags_layer(flags),
        configured=config.get("servers", {}),
    )


def _host(value: str, source: str) -> str:
    if has_credentials(value):  # user:password@host: never echoed, never sent
        raise UsageError(_("The host (from {source}) has a user name or password in it; ollama-chat does not send"
                           " those.").format(source=source),
                         _("Give the host alone; an OpenAI-compatible server's key goes in OPENAI_API_KEY (or the"
                           " variable api_key_env names)."))
    try:
        return parse_host(value)
    except ValueError as e:
        raise UsageError(
            _("The host {host} (from {source}) is malformed: {reason}.").format(
                host=cut(repr(value)), source=source, reason=e),
            _("Give it as HOST, HOST:PORT or http(s)://HOST:PORT/PATH, e.g. 127.0.0.1:11434."),
        ) from None


def persona_ref(flags: Flags, config: Mapping[str, Any]) -> str:
    return flags.persona or config.get("persona") or DEFAULT_PERSONA
