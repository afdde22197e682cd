"""Where Ollama is, and what a model is called: OLLAMA_HOST read the way Ollama's own clients read it, and a
model's full name (and the variable an OpenAI-compatible server's key is read from by default). Pure."""

from __future__ import annotations

from ollama_chat.errors import cut
from ollama_chat.i18n import _

DEFAULT_HOST = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434
DEFAULT_KEY_ENV = "OPENAI_API_KEY"  # never a flag: a key stays out of shell history
MAX_ADDRESS = 2048  # characters: a URL longer than this is a mistake (a pasted file), not an address
MAX_HOST_NAME = 253  # DNS's limit


def has_credentials(value: str) -> bool:
    """Whether a host names a user or password (`user:pw@host`): never sent, never echoed."""
    return "@" in value.split("://", 1)[-1].split("/", 1)[0]


def parse_host(value: str | None) -> str:
    """OLLAMA_HOST (or --host) as a base URL, the way Ollama's own clients read it. ValueError if malformed."""
    value = (value or "").strip().strip("\"'").strip()
    if not value:
        return DEFAULT_HOST
    too_long(value)
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "http", value
    scheme = scheme.lower()
    default_port = {"http": 80, "https": 443}.get(scheme, DEFAULT_PORT) if sep else DEFAULT_PORT
    hostport, slash, path = rest.partition("/")
    path = ("/" + path).rstrip("/") if slash else ""
    if hostport.startswith("["):  # [::1]:1234
        host, bracket, port = hostport[1:].partition("]")
        if not bracket:
            raise ValueError(_("'[' without a closing ']'"))
        port = port.lstrip(":")
    elif hostport.count(":") > 1:  # a bare IPv6 address
        host, port = hostport, ""
    else:
        host, _sep, port = hostport.partition(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(_("'{port}' is not a port number").format(port=cut(port)))
    if scheme not in ("http", "https"):
        raise ValueError(_("'{scheme}://' is not http:// or https://").format(scheme=cut(scheme)))
    if len(host) > MAX_HOST_NAME:
        raise ValueError(_("the host name is {n} characters long; a name has at most {most}").format(
            n=f"{len(host):,}", most=MAX_HOST_NAME))
    host = host or "127.0.0.1"
    if host == "0.0.0.0":  # a listen address, not one to connect to
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or default_port}{path}"


def too_long(value: str) -> None:
    """ValueError for an address too long to be one."""
    if len(value) > MAX_ADDRESS:
        raise ValueError(_("it is {n} characters long; an address has far fewer").format(n=f"{len(value):,}"))


def full_name(model: str) -> str:
    """A model's full name, as /api/tags lists it: Ollama reads a name without a tag as NAME:latest."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"
