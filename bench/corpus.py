"""Texts for the token benchmarks, built deterministically from a seeded random.Random: Korean, English, code,
and Korean technical chat that mixes English terms and sentences in. Imports nothing of ollama_chat, so a
benchmark can run it beside any version of the code."""

from __future__ import annotations

import random

KO = ["안녕하세요, 오늘은 파이썬으로 데이터를 분석하는 방법을 알려 드릴게요.", "딕셔너리는 키와 값을 짝지어 저장하는 자료형입니다.",
      "이 함수는 리스트를 정렬한 다음 중복된 항목을 제거합니다.", "서울에서 부산까지 기차로 두 시간 반 정도 걸립니다.",
      "회의록을 세 문단으로 요약해 주시면 감사하겠습니다.", "데이터베이스에 인덱스를 만들면 검색이 훨씬 빨라집니다.",
      "주말에는 한강 공원에서 자전거를 타거나 산책을 해요.", "오류 메시지를 자세히 읽어 보면 원인을 찾을 수 있습니다.",
      "이 문장을 자연스러운 영어로 번역해 주세요.", "변수 이름을 바꾸었더니 코드가 훨씬 읽기 쉬워졌어요.",
      "캐시를 비우고 다시 실행하면 문제가 해결될 수도 있습니다.", "우주와 인간에 대한 이야기를 짧은 소설로 써 주세요.",
      "비동기 함수는 기다리는 동안 다른 일을 할 수 있게 해 줍니다.", "그 책은 역사와 철학을 쉽게 풀어 쓴 입문서예요."]
EN = ["Here is how to read a large CSV file without loading it all into memory.", "The borrow checker rejects "
      "this because the reference outlives the value it points to.", "You can sort a list of dictionaries by a "
      "key with the sorted function.", "A context window is the number of tokens the model can attend to at "
      "once.", "Caching the result avoids recomputing it on every request.", "First, install the package; "
      "then run the tests to make sure everything works.", "The server streams the reply one token at a time, "
      "as newline-delimited JSON.", "Summarise the meeting notes in three short paragraphs, please.",
      "Indexes make lookups fast but slow down writes a little.", "If the error persists, check the logs for "
      "a stack trace and the exact version.", "Python's asyncio lets one thread wait on many sockets at once."]
CODE = ["def sort_by_key(rows, key):\n    return sorted(rows, key=lambda r: r[key])\n",
        "for i, line in enumerate(open(path, encoding=\"utf-8\")):\n    if line.strip():\n        print(i, line)\n",
        "fn main() {\n    let v: Vec<i32> = (1..=10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}\n",
        "SELECT name, COUNT(*) AS n FROM users WHERE age >= 18 GROUP BY name ORDER BY n DESC;\n",
        "const res = await fetch(`/api/chat`, {method: \"POST\", body: JSON.stringify(req)});\n",
        "class Cache:\n    def __init__(self):\n        self._data: dict[str, bytes] = {}\n"]
TERMS = ["Python", "dict", "list comprehension", "API", "JSON", "async/await", "GPU", "token", "Docker", "Git"]


def build(rng: random.Random, kind: str, length: int) -> str:
    """Sentences (or code lines) of one kind until about `length` characters; mixed puts English terms and
    sentences into Korean text, as Korean technical chat does."""
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        if kind == "ko":
            parts.append(rng.choice(KO) + " ")
        elif kind == "en":
            parts.append(rng.choice(EN) + " ")
        elif kind == "code":
            parts.append(rng.choice(CODE) if rng.random() < 0.8 else rng.choice(EN) + "\n")
        else:
            ko = rng.choice(KO)
            parts.append(f"{rng.choice(TERMS)} {ko} " if rng.random() < 0.6 else rng.choice(EN) + " " + ko + " ")
    return "".join(parts)[:length]  # cut mid-word, as a text ends anywhere; the length stays exact
