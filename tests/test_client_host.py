"""OLLAMA_HOST parsing: the whole table of Ollama's docs."""

import pytest

from ollama_chat.hosts import parse_host


@pytest.mark.parametrize(
    "value, url",
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        (":1234", "http://127.0.0.1:1234"),
        ("example.com", "http://example.com:11434"),
        ("example.com:56789/path/", "http://example.com:56789/path"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com/ollama", "https://example.com:443/ollama"),
        ("::1", "http://[::1]:11434"),
        ("[::1]:8080", "http://[::1]:8080"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:9999", "http://127.0.0.1:9999"),
        ('  "example.com:5000"  ', "http://example.com:5000"),
        ("'https://example.com'", "https://example.com:443"),
        ("HTTP://Example.com:8080", "http://Example.com:8080"),
    ],
)
def test_parse_host(value, url):
    assert parse_host(value) == url


@pytest.mark.parametrize("value, words", [("http://[::1", "closing ']'"), ("host:port", "not a port"), ("host:99999", "not a port"), ("ftp://x", "not http")])
def test_malformed_hosts_are_refused(value, words):
    with pytest.raises(ValueError, match=words):
        parse_host(value)
