"""Built-in persona files. A package only so that the wheel ships them (as ollama_chat.builtin_personas)."""
