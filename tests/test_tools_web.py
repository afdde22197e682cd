"""The built-in web tools against the fake Ollama (its /api/experimental web proxy, signed in or not) and a
fake ollama.com on loopback: where each request goes, what it carries (the API key to ollama.com and only
there), what the model gets back (cut to its budget, sources kept) and how each failure is worded."""

from __future__ import annotations

import socket

import pytest
from fake_ollama.web import FakeOllamaCom

from ollama_chat import i18n
from ollama_chat.estimate import Calibration
from ollama_chat.tools.base import Source
from ollama_chat.tools.builtin import WEB_TOOLS, build
from ollama_chat.tools.webapi import MAX_BODY, WebAccess

tokens = Calibration().tokens
SEARCH, FETCH = "/api/experimental/web_search", "/api/experimental/web_fetch"


@pytest.fixture
def cloud():
    with FakeOllamaCom() as server:
        yield server


def web(host, cloud, env=None, budget=8000):
    built = build(WEB_TOOLS, root=".", host=host, env=env or {}, cloud=cloud.url, budget=lambda: budget)
    return {t.spec.name: t for t in built}


def search(host, cloud, env=None, budget=8000, timeout=10.0, **arguments):
    return web(host, cloud, env, budget)["web_search"].call(arguments, timeout=timeout)


def fetch(host, cloud, env=None, budget=8000, **arguments):
    return web(host, cloud, env, budget)["web_fetch"].call(arguments, timeout=10)


def key_env(cloud):
    return {"OLLAMA_API_KEY": cloud.api_key}


def auth_headers(server):
    return [r.headers.get("authorization") for r in server.requests]


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


# -- the fakes, as Ollama answers -------------------------------------------------------------------------


def test_the_fake_proxy_answers_as_ollama_does(fake_ollama):
    import requests

    post = lambda path, body: requests.post(fake_ollama.url + path, data=body, timeout=5)  # noqa: E731
    assert post(SEARCH, b"").json() == {"error": "missing request body"}
    unsigned = post(SEARCH, b'{"query":"x"}')
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "unauthorized" and "signin_url" in unsigned.json()
    fake_ollama.cloud_disabled = True
    assert post(FETCH, b'{"url":"https://a.example/"}').json() == {
        "error": "ollama cloud is disabled: web fetch is unavailable"}
    fake_ollama.cloud_disabled, fake_ollama.web_signed_in = False, True
    answered = post(SEARCH, b'{"query":"x","max_results":2}')
    assert answered.status_code == 200 and [r["url"] for r in answered.json()["results"]] == [
        "https://example.com/x/1", "https://example.com/x/2"]


# -- where the request goes -------------------------------------------------------------------------------


def test_a_signed_in_ollama_answers_through_its_proxy_without_a_key(fake_ollama, cloud):
    fake_ollama.web_signed_in = True
    result = search(fake_ollama.url, cloud, key_env(cloud), query="ollama tools")
    assert not result.is_error
    request = fake_ollama.requests[-1]
    assert (request.method, request.path, request.json) == ("POST", SEARCH, {"query": "ollama tools", "max_results": 5})
    assert "authorization" not in request.headers and cloud.requests == []
    assert result.text.startswith('Web search results for "ollama tools":\n\n[1] ollama tools: result 1\n'
                                  "URL: https://example.com/ollama-tools/1\nPage 1 about ollama tools.")
    assert result.sources == tuple(Source(f"ollama tools: result {i}", f"https://example.com/ollama-tools/{i}")
                                   for i in range(1, 6))


def test_not_signed_in_and_no_key_says_how_to_sign_in(fake_ollama, cloud):
    result = search(fake_ollama.url, cloud, query="x")
    assert result.is_error and result.text == (
        f"Web search needs an ollama.com account, and the Ollama server at {fake_ollama.url} is not signed in. "
        "Run `ollama signin` where that Ollama runs, or set OLLAMA_API_KEY to a key from "
        "https://ollama.com/settings/keys.")
    assert cloud.requests == []


def test_not_signed_in_with_a_key_goes_to_ollama_com_and_the_key_goes_nowhere_else(fake_ollama, cloud):
    result = search(fake_ollama.url, cloud, key_env(cloud), query="ollama tools", max_results=2)
    assert not result.is_error and len(result.sources) == 2
    assert [r.path for r in fake_ollama.requests] == [SEARCH] and auth_headers(fake_ollama) == [None]
    assert [(r.path, r.json) for r in cloud.requests] == [("/api/web_search", {"query": "ollama tools", "max_results": 2})]
    assert auth_headers(cloud) == [f"Bearer {cloud.api_key}"]
    assert cloud.api_key not in result.text


@pytest.mark.parametrize("setup, words", [
    (lambda f: f.override(SEARCH, 404, b"404 page not found", "text/plain"), "offers no web search (an older Ollama"),
    (lambda f: setattr(f, "cloud_disabled", True), "has its cloud features turned off (ollama cloud is disabled: "
                                                   "web search is unavailable)"),
])
def test_an_ollama_without_web_search_falls_back_to_the_key_or_says_why(fake_ollama, cloud, setup, words):
    setup(fake_ollama)
    refused = search(fake_ollama.url, cloud, query="x")
    assert refused.is_error and words in refused.text and cloud.requests == []
    answered = search(fake_ollama.url, cloud, key_env(cloud), query="x")
    assert not answered.is_error and auth_headers(cloud) == [f"Bearer {cloud.api_key}"]
    assert auth_headers(fake_ollama) == [None, None]


def test_an_unreachable_ollama_falls_back_to_the_key_or_says_so(cloud):
    host = closed_port()
    refused = search(host, cloud, query="x")
    assert refused.is_error and refused.text.startswith(
        f"Could not reach Ollama at http://{host} for web search (connection refused). Start Ollama and run "
        "`ollama signin`, or set OLLAMA_API_KEY")
    assert not search(host, cloud, key_env(cloud), query="x").is_error and len(cloud.requests) == 1


def test_a_chat_server_that_is_not_ollama_uses_the_key_alone(cloud):
    refused = search(None, cloud, query="x")
    assert refused.is_error and "set OLLAMA_API_KEY to a key from https://ollama.com/settings/keys" in refused.text
    assert cloud.requests == []
    assert not search(None, cloud, key_env(cloud), query="x").is_error and auth_headers(cloud) == [f"Bearer {cloud.api_key}"]


def test_ollama_no_cloud_in_the_environment_sends_nothing(fake_ollama, cloud):
    fake_ollama.web_signed_in = True
    result = search(fake_ollama.url, cloud, {**key_env(cloud), "OLLAMA_NO_CLOUD": "1"}, query="x")
    assert result.is_error and "OLLAMA_NO_CLOUD is set" in result.text
    assert fake_ollama.requests == [] and cloud.requests == []


def test_a_wrong_key_is_said_without_showing_it(cloud):
    result = search(None, cloud, {"OLLAMA_API_KEY": "sk-wrong-key"}, query="x")
    assert result.is_error and result.text == (
        "ollama.com refused the key in OLLAMA_API_KEY (HTTP 401: unauthorized). Check it at "
        "https://ollama.com/settings/keys.")
    assert "sk-wrong-key" not in repr(WebAccess.from_env(None, {"OLLAMA_API_KEY": "sk-wrong-key"}))


def test_a_server_echoing_the_key_has_it_blotted_out(cloud):
    cloud.web.failure = (500, {"error": f"internal error for key {cloud.api_key}\n\x1b[31mred"})
    result = search(None, cloud, key_env(cloud), query="x")
    assert result.is_error and result.text == (
        f"Web search at {cloud.url}/api/web_search failed: HTTP 500: internal error for key [key] [31mred")


def test_http_errors_give_the_servers_text_cut_short(fake_ollama, cloud):
    fake_ollama.web_signed_in = True
    fake_ollama.web.failure = (429, {"error": "web search quota exceeded " + "x" * 1000})
    result = search(fake_ollama.url, cloud, query="x")
    assert result.is_error and result.text.startswith(
        f"Web search through Ollama at {fake_ollama.url} failed: HTTP 429: web search quota exceeded xxx")
    assert result.text.endswith("x …") and len(result.text) < 320


@pytest.mark.parametrize("body, words", [
    (b"<html>not json</html>", "answered with something that is not JSON: <html>not json</html>"),
    (b"x" * (MAX_BODY + 1), "sent more than 4 MiB; the answer was not read."),
])
def test_an_answer_that_is_not_json_or_too_large_is_an_error(cloud, body, words):
    cloud.web.failure = (200, body)
    result = search(None, cloud, key_env(cloud), query="x")
    assert result.is_error and words in result.text


def test_a_server_that_does_not_answer_in_time_is_an_error(cloud):
    cloud.hold()
    result = search(None, cloud, key_env(cloud), timeout=0.5, query="x")
    cloud.release()
    assert result.is_error and result.text == f"{cloud.url}/api/web_search did not answer in time; try again, or later."


def test_ctrl_c_stops_a_call(cloud, monkeypatch):
    import requests

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(requests.Session, "post", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search(None, cloud, key_env(cloud), query="x")


# -- what the model gets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("asked, sent", [(30, 10), ("3", 3), (0, 1), (None, 5), (7.0, 7)])
def test_max_results_is_at_most_ten(cloud, asked, sent):
    arguments = {"query": "x"} if asked is None else {"query": "x", "max_results": asked}
    result = search(None, cloud, key_env(cloud), **arguments)
    assert cloud.requests[-1].json["max_results"] == sent and len(result.sources) == sent


@pytest.mark.parametrize("arguments, words", [
    ({}, "query must be a non-empty text"), ({"query": "  "}, "query must be a non-empty text"),
    ({"query": "x", "max_results": True}, "max_results must be a whole number from 1 to 10"),
    ({"query": "x", "max_results": "many"}, "max_results must be a whole number from 1 to 10"),
])
def test_bad_search_arguments_are_errors_and_send_nothing(cloud, arguments, words):
    result = search(None, cloud, key_env(cloud), **arguments)
    assert result.is_error and words in result.text and cloud.requests == []


def test_results_are_cut_to_the_budget_and_every_result_keeps_its_source(cloud):
    result = search(None, cloud, key_env(cloud), budget=1000, query="long pages", max_results=10)
    assert tokens(result.text) <= 1000
    assert len(result.sources) == 10
    for i, source in enumerate(result.sources, 1):
        assert f"[{i}] long pages: result {i}\nURL: {source.url}" in result.text
    assert result.text.endswith("[Cut to fit the context window: 10 of 10 results shortened.]")


def test_a_small_budget_leaves_results_out_and_lists_only_the_ones_sent(cloud):
    result = search(None, cloud, key_env(cloud), budget=250, query="long pages", max_results=10)
    assert tokens(result.text) <= 250
    kept = len(result.sources)
    assert 0 < kept < 10 and f"[{kept}] " in result.text and f"[{kept + 1}] " not in result.text
    assert result.text.endswith(f"[Cut to fit the context window: {10 - kept} of 10 results left out, "
                                f"{kept} shortened.]")
    for block in result.text.split("\n\n")[1:-1]:  # each result sent has some of its text
        assert tokens(block.split("\n", 2)[2]) >= 30
    assert search(None, cloud, key_env(cloud), budget=5, query="x").is_error


def test_short_results_are_not_cut(cloud):
    cloud.web.results["q"] = [{"title": "A", "url": "https://a.example/", "content": "short"}]
    result = search(None, cloud, key_env(cloud), query="q")
    assert result.text == 'Web search results for "q":\n\n[1] A\nURL: https://a.example/\nshort'


def test_untrusted_fields_are_bounded_and_only_web_urls_become_sources(cloud):
    cloud.web.results["q"] = [
        {"title": "Line one\nLine two\x1b[2J", "url": "javascript:alert(1)", "content": "a\x00b\x1b[31mc\r\nd"},
        {"title": 42, "url": "https://ok.example/page", "content": None},
        "not a result",
        {"title": "T" * 5000, "url": "https://long.example/", "content": "z" * 100_000},
    ]
    result = search(None, cloud, key_env(cloud), budget=100_000, query="q")
    blocks = result.text.split("\n\n")
    assert blocks[1] == "[1] Line one Line two [2J\nURL: (none)\nab[31mc\nd"
    assert blocks[2] == "[2] https://ok.example/page\nURL: https://ok.example/page"
    assert len(blocks[3].split("\n")[0]) < 320 and len(blocks[3]) < 8_500
    assert [s.url for s in result.sources] == ["https://ok.example/page", "https://long.example/"]
    assert "\x1b" not in result.text and "\x00" not in result.text


@pytest.mark.parametrize("answer", [{"results": []}, {"results": None}])
def test_no_results_is_said_plainly(cloud, answer):
    cloud.web.failure = (200, answer)
    result = search(None, cloud, key_env(cloud), query="nothing")
    assert not result.is_error and result.text == 'No web results for "nothing".' and result.sources == ()


@pytest.mark.parametrize("answer", [[], {"results": "many"}, "text"])
def test_an_answer_of_another_shape_is_an_error(cloud, answer):
    cloud.web.failure = (200, answer)
    result = search(None, cloud, key_env(cloud), query="x")
    assert result.is_error and result.text == "The web search answer has no list of results; nothing was found out."


# -- web_fetch ----------------------------------------------------------------------------------------------


def test_a_page_is_fetched_with_its_title_text_links_and_source(fake_ollama, cloud):
    fake_ollama.web_signed_in = True
    fake_ollama.web.pages["https://ollama.com/blog"] = {
        "title": "Blog", "content": "Ollama's blog.", "links": ["https://ollama.com/blog/a", "file:///etc/passwd"]}
    result = fetch(fake_ollama.url, cloud, url="https://ollama.com/blog")
    assert (fake_ollama.requests[-1].path, fake_ollama.requests[-1].json) == (FETCH, {"url": "https://ollama.com/blog"})
    assert result.text == ("Title: Blog\nURL: https://ollama.com/blog\n\nOllama's blog.\n\nLinks on the page:\n"
                           "https://ollama.com/blog/a")
    assert result.sources == (Source("Blog", "https://ollama.com/blog"),)


def test_a_fetch_goes_to_ollama_com_with_the_key_when_not_signed_in(fake_ollama, cloud):
    result = fetch(fake_ollama.url, cloud, key_env(cloud), url="https://example.org/")
    assert not result.is_error and [r.path for r in cloud.requests] == ["/api/web_fetch"]
    assert auth_headers(fake_ollama) == [None] and auth_headers(cloud) == [f"Bearer {cloud.api_key}"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://example.com/x", "example.com",
                                 "https://", None, "https://example.com/" + "a" * 3000])
def test_only_web_urls_are_fetched(cloud, url):
    result = fetch(None, cloud, key_env(cloud), url=url)
    assert result.is_error and "url must be a full http:// or https:// address" in result.text
    assert cloud.requests == []


def test_a_long_page_is_cut_to_the_budget_and_many_links_are_bounded(cloud):
    cloud.web.pages["https://big.example/"] = {
        "title": "Big", "content": "A sentence of the page. " * 20_000,
        "links": [f"https://big.example/{i}" for i in range(100)]}
    result = fetch(None, cloud, key_env(cloud), budget=1000, url="https://big.example/")
    assert tokens(result.text) <= 1000 and result.sources == (Source("Big", "https://big.example/"),)
    assert result.text.startswith("Title: Big\nURL: https://big.example/\n\nA sentence of the page.")
    assert "[Cut to fit the context window: " in result.text
    whole = fetch(None, cloud, key_env(cloud), budget=100_000, url="https://big.example/")
    assert "Links on the page (the first 20 of 100):" in whole.text and "https://big.example/19\n" not in whole.text
    assert whole.text.split("\n")[-1] == "https://big.example/19" and len(whole.text) < 61_500


def test_web_errors_are_in_korean_for_korean_users(fake_ollama, cloud):
    i18n.use("ko")
    result = search(fake_ollama.url, cloud, query="x")
    assert result.is_error and "ollama signin" in result.text and "OLLAMA_API_KEY" in result.text
    assert "로그인" in result.text
