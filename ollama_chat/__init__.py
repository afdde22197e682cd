"""ollama-chat: a terminal chatbot for local models served by Ollama."""

__version__ = "0.1.0"
