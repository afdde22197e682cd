from ollama_chat.cli import main

main()
