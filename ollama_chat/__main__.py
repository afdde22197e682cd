from ollama_chat.entry import main

main()
