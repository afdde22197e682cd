"""The seed's bare approach, for comparison: `requests` and `json`, one POST to /api/chat, the streamed content
printed as it comes (the tutorial in shared/reference/seed-ollama-python-usage.ko.md, with stream=True).

    echo hi | python bench/seed_chat.py      # the server from $OLLAMA_HOST (default localhost:11434)
"""

import json
import os
import sys

import requests

HOST = os.environ.get("OLLAMA_HOST", "localhost:11434")
OLLAMA_URL = (HOST if "://" in HOST else f"http://{HOST}") + "/api/chat"
MODEL = "llama3.2:latest"


def call_ollama(user_input: str) -> None:
    payload = {"model": MODEL, "messages": [{"role": "user", "content": user_input}], "stream": True}
    with requests.post(OLLAMA_URL, json=payload, stream=True, timeout=30) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line:
                chunk = json.loads(line)
                print(chunk.get("message", {}).get("content", ""), end="", flush=True)
    print()


call_ollama(sys.stdin.read())
