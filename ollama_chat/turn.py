"""One round trip: a request goes out, chunks go to a Reply renderer, the result comes back.

Shared by one-shot mode and the REPL so that Ctrl+C, errors and partial replies behave the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ollama_chat.client import ChatRequest, OllamaClient
from ollama_chat.conversation import Conversation
from ollama_chat.render import Output
from ollama_chat.settings import Settings
from ollama_chat.stream import Stats


@dataclass(frozen=True)
class TurnResult:
    text: str  # the answer as received (never the thinking)
    stats: Stats | None = None
    interrupted: bool = False


def build_request(settings: Settings, conversation: Conversation, question: str) -> ChatRequest:
    return ChatRequest(
        model=settings.model,
        messages=conversation.request_messages(question),
        options=dict(settings.options),
        format=settings.format,
        think=settings.think,
        keep_alive=settings.keep_alive,
    )


def run_turn(client: OllamaClient, request: ChatRequest, output: Output, *, stream: bool = True) -> TurnResult:
    """Stream one reply into `output`. KeyboardInterrupt stops it and returns what was shown.

    Errors propagate after the renderer has drawn what arrived; `IncompleteReply.partial` holds that text.
    """
    reply = output.reply(
        language="json" if request.format is not None else None,  # structured output is shown as it is, not as Markdown
        waiting=f"waiting for {request.model}…",
    )
    text: list[str] = []
    stats: Stats | None = None
    chat = None
    try:
        if stream:
            chat = client.chat(request)
            chunks = iter(chat)
        else:
            chunks = iter([client.chat_once(request)])
        for chunk in chunks:
            if chunk.thinking:
                reply.thinking(chunk.thinking)
            if chunk.content:
                text.append(chunk.content)
                reply.content(chunk.content)
            if chunk.stats is not None:
                stats = chunk.stats
    except KeyboardInterrupt:
        if chat is not None:
            chat.close()  # drop the connection now: Ollama stops generating when the client goes away
        reply.finish(interrupted=True)
        return TurnResult("".join(text), interrupted=True)
    except BaseException:
        if chat is not None:
            chat.close()
        reply.finish()
        raise
    reply.finish(stats)
    return TurnResult("".join(text), stats)
