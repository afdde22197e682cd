"""The conversation store at scale: 10,000 conversations of 20 exchanges (Korean and English), in a temp folder.

    python bench/store.py             # 10,000 conversations (about a minute on 2 cores)
    python bench/store.py --quick     # 1,000, to try it out
    python bench/store.py --import    # only the import of a 100,000-exchange transcript, with its baselines

Goals, in one run:
* `ollama-chat history list` under 0.3 s and `ollama-chat history search WORD` under 0.5 s, as whole commands
  (the installed one, in a pipe, median of 7); the store's own calls are timed beside them;
* committing one exchange under 5 ms (median of 50);
* opening the REPL (until its prompt, in a pseudo-terminal) with this store present within 10% of opening it
  with no store at all (`save_history = false`): medians of interleaved rounds.
The LIKE fallback (SQLite without FTS5 trigrams) is timed for information.

And the import of a long transcript (`/load`, `--resume FILE`): 100,000 exchanges as /load leaves them,
written by the Recorder in one transaction, under 3 s, against two baselines in the same run: the way before
(one commit per exchange, each indexed for search at once) and one transaction indexed at once.

Run with the package installed (pexpect from the `test` extra drives the REPL).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ollama_chat.store.schema import trigram_available
from ollama_chat.store.sqlite import Store
from ollama_chat.types import Exchange, Message, Stats

KO = ("안녕하세요 오늘 날씨가 정말 좋네요 저는 프로그래밍을 배우고 있어요 파이썬으로 데이터를 분석하는 방법을 알려주세요 "
      "이 코드는 왜 느린가요 함수를 나누면 읽기 쉬워집니다 한국어 문장을 번역해 주세요 서울에서 부산까지 기차로 얼마나 "
      "걸리나요 추천할 만한 책이 있나요 우주와 인간에 대한 이야기입니다 데이터베이스 인덱스를 만들면 검색이 빨라집니다 "
      "커피를 마시면서 일을 합니다 주말에는 산책을 해요 회의록을 요약해 주세요 변수 이름을 바꾸었습니다").split()
EN = ("the a of to and in is that for it with as on be this are by from at or an which can you your model "
      "function return value list string error python rust memory borrow checker thread lock query index table "
      "summary translate explain example performance cache file network request reply server token context "
      "window terminal markdown render stream").split()
RARE = "양자역학"  # planted in one exchange of every 200th conversation
GOALS = {"list": 0.3, "search": 0.5, "commit": 0.005, "repl": 1.10, "import": 3.0}
IMPORTED = 100_000
BIN = Path(sys.executable).parent / "ollama-chat"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_ollama import FakeOllama  # noqa: E402
from startup import repl_prompt, user_env  # noqa: E402  (bench/ is on the path: this script's folder)


def sentence(rng: random.Random, words: int) -> str:
    vocab = KO if rng.random() < 0.5 else EN
    return " ".join(rng.choice(vocab) for _ in range(words)).capitalize() + "."


def generate(store: Store, conversations: int, per: int, rng: random.Random) -> None:
    """Rows written straight through the store's connection, in large transactions (the FTS triggers fire as
    they do in use), with times spread over the last year."""
    db = store._db
    now = time.time()
    for start in range(0, conversations, 500):
        db.execute("BEGIN")
        convs, exchanges = [], []
        for n in range(start, min(start + 500, conversations)):
            cid = f"{n:012x}"
            t = now - 365 * 86400 + n * (365 * 86400 / conversations)
            convs.append((cid, t, t + per * 60, "default", "llama3.2:latest", '{"temperature": 0.7}', "", "[]"))
            for i in range(per):
                question = sentence(rng, rng.randint(5, 15))
                if n % 200 == 0 and i == per // 2:
                    question += f" {RARE}에 대해 설명해 주세요"
                reply = "\n".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 4)))
                stats = '{"done_reason": "stop", "eval_count": 120, "eval_duration": 2000000000}'
                exchanges.append((cid, t + i * 60, "llama3.2:latest", question, reply, stats, 0))
        db.executemany("INSERT INTO conversations (id, created, updated, persona, model, options, system, examples)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", convs)
        db.executemany("INSERT INTO exchanges (conversation_id, time, model, question, reply, stats, interrupted)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", exchanges)
        db.execute("COMMIT")


def transcript(rng: random.Random, count: int) -> list[Exchange]:
    """A long chat as a JSON transcript brings it: questions of 5-15 words, replies of 2-4 sentences (~260
    characters an exchange, Korean and English)."""
    return [Exchange(Message("user", sentence(rng, rng.randint(5, 15))),
                     "\n".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 4))), "llama3.2:latest",
                     Stats("stop", 120, 2_000_000_000)) for _ in range(count)]


def import_case(folder: Path, rng: random.Random) -> bool:
    """100,000 exchanges imported: the Recorder's one transaction against the old per-exchange commits and a
    single transaction indexed at once. True if the goal failed."""
    from ollama_chat.chat.conversation import Conversation
    from ollama_chat.chat.personas import load_persona
    from ollama_chat.chat.recorder import Recorder
    from ollama_chat.chat.settings import Flags
    from ollama_chat.chat.layers import build_layers
    from ollama_chat.store.transcript import from_json, to_json

    exchanges = transcript(rng, IMPORTED)
    chars = sum(len(e.question.content) + len(e.reply) for e in exchanges)
    text = to_json(exchanges, model="llama3.2:latest", persona="assistant", system="")
    t = time.perf_counter()
    loaded = from_json(text)
    parse = time.perf_counter() - t
    print(f"\nimport {IMPORTED:,} exchanges ({chars / IMPORTED:.0f} characters each, {len(text) / 1e6:.0f} MB of JSON;"
          f" reading the JSON: {parse:.2f} s, information)")

    def fresh(name: str) -> Store:
        return Store.open(folder / name / "conversations.db")

    with fresh("before") as store:  # what the Recorder did before: one commit per exchange, indexed at once
        t = time.perf_counter()
        cid = store.new_conversation("assistant", "llama3.2:latest")
        for e in loaded.exchanges:
            store.add_exchange(cid, e)
        before = time.perf_counter() - t
    print(f"  before: one commit per exchange           {before:7.2f} s   (a kill leaves part of it)")
    with fresh("one") as store:  # one transaction, every row indexed as it goes in (the triggers)
        t = time.perf_counter()
        with store.batch():
            cid = store.new_conversation("assistant", "llama3.2:latest")
            for start in range(0, IMPORTED, 500):  # under INDEX_LATER each time: indexed at once
                store.add_exchanges(cid, loaded.exchanges[start : start + 500])
        indexed = time.perf_counter() - t
    print(f"  one transaction, indexed at once          {indexed:7.2f} s   (the FTS5 trigram index is the cost)")
    with fresh("after") as store:
        settings = build_layers(Flags(), {}, {}, load_persona("assistant", folder)).resolve()
        conversation = Conversation(list(loaded.exchanges))
        recorder = Recorder(store, lambda text, hint: print("   ", text))
        t = time.perf_counter()
        assert recorder.record(conversation, settings)
        after = time.perf_counter() - t
        t = time.perf_counter()
        chunks = 0
        while store.index_some():
            chunks += 1
        catch_up = time.perf_counter() - t
        assert store.load_meta(recorder.conversation_id).exchanges == IMPORTED
    print(f"  after: the Recorder, one transaction      {after:7.2f} s   goal < 3 s     {verdict('import', after)}"
          f"   ({before / after:.0f}x faster than before)")
    print(f"  then its search index, {chunks + 1} chunks of 2,000  {catch_up:7.2f} s   (one commit each, after later"
          f" exchanges; search scans the rest meanwhile)")
    return after >= GOALS["import"]


def command(args: list[str], env: dict[str, str]) -> float:
    """Seconds for the installed `ollama-chat ARGS`, output to a pipe."""
    t = time.perf_counter()
    result = subprocess.run([str(BIN), *args], env=env, capture_output=True, check=False, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - t
    if result.returncode != 0 or not result.stdout:
        raise SystemExit(f"ollama-chat {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}")
    return elapsed


def median_of(fn, n: int) -> float:
    return statistics.median(fn() for _ in range(n))


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def verdict(goal: str, seconds: float) -> str:
    return "PASS" if seconds < GOALS[goal] else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 conversations instead of 10,000")
    parser.add_argument("-n", type=int, default=15, help="rounds of the REPL start comparison")
    parser.add_argument("--import", dest="import_only", action="store_true", help="only the import case")
    args = parser.parse_args()
    conversations, per = (1_000 if args.quick else 10_000), 20
    rng = random.Random(1)
    failed = False
    if args.import_only:
        with tempfile.TemporaryDirectory(prefix="ollama-chat-bench-") as tmp:
            return 1 if import_case(Path(tmp), rng) else 0
    with tempfile.TemporaryDirectory(prefix="ollama-chat-bench-") as tmp:
        data = Path(tmp) / "data"
        path = data / "ollama-chat" / "conversations.db"
        t = time.perf_counter()
        with Store.open(path) as store:
            generate(store, conversations, per, rng)
        generation = time.perf_counter() - t
        size = sum(p.stat().st_size for p in path.parent.iterdir())
        print(f"generated {conversations:,} conversations x {per} exchanges in {generation:.1f} s;"
              f" {size / 1e6:.0f} MB on disk; FTS5 trigram: {'yes' if trigram_available() else 'no'}")
        opening = best(lambda: Store.open(path).close(), 3)
        print(f"open (quick_check only up to 16 MiB) {opening * 1000:6.1f} ms   (information)")

        store = Store.open(path)
        listed = best(lambda: store.list(20))
        assert len(store.list(20)) == 20
        print(f"list, limit 20                    {listed * 1000:8.1f} ms   goal < 300 ms  {verdict('list', listed)}")
        failed |= listed >= GOALS["list"]

        rare_hits = len(store.search(RARE, 100))
        for word, what in ((RARE, "a rare word"), ("데이터베이스", "a common word"), ("borrow", "a common word")):
            found = len(store.search(word, 20))
            if store.fts:
                fts = best(lambda: store.search(word, 20))
                print(f"search, {what} ({found} shown)".ljust(34) + f" {fts * 1000:8.1f} ms   goal < 500 ms  "
                      f"{verdict('search', fts)}   {word}")
                failed |= fts >= GOALS["search"]
            store.fts = False
            like = best(lambda: store.search(word, 20), 2)
            store.fts = trigram_available()
            print(f"  the LIKE fallback, same word    {like * 1000:8.1f} ms   (information)")
        assert rare_hits == conversations // 200, rare_hits

        cid = store.new_conversation("default", "llama3.2:latest")
        commits = []
        for i in range(50):
            e = Exchange(Message("user", f"질문 {i}: {sentence(rng, 12)}"), sentence(rng, 60), "llama3.2:latest",
                         Stats("stop", 120, 2_000_000_000))
            t = time.perf_counter()
            store.add_exchange(cid, e)
            commits.append(time.perf_counter() - t)
        commit = statistics.median(commits)
        print(f"commit one exchange (median of 50) {commit * 1000:7.2f} ms   goal < 5 ms    {verdict('commit', commit)}"
              f"  (max {max(commits) * 1000:.2f} ms)")
        failed |= commit >= GOALS["commit"]
        store.close()

        env = {**user_env(Path(tmp), ""), "XDG_DATA_HOME": str(data)}
        listed = median_of(lambda: command(["history", "list"], env), 7)
        print(f"ollama-chat history list | cat      {listed * 1000:6.0f} ms   goal < 300 ms  {verdict('list', listed)}")
        searched = median_of(lambda: command(["history", "search", RARE], env), 7)
        print(f"ollama-chat history search {RARE} {searched * 1000:6.0f} ms   goal < 500 ms  {verdict('search', searched)}")
        failed |= listed >= GOALS["list"] or searched >= GOALS["search"]

        bare = Path(tmp) / "bare"
        (bare / ".config" / "ollama-chat").mkdir(parents=True)
        (bare / ".config" / "ollama-chat" / "config.toml").write_text("save_history = false\n")
        with FakeOllama() as fake:
            with_store = repl_prompt({**user_env(Path(tmp), fake.host_port), "XDG_DATA_HOME": str(data)})
            without = repl_prompt(user_env(bare, fake.host_port))
            with_store(), without()  # warm-up
            rounds = [(with_store(), without()) for _ in range(args.n)]
        present = statistics.median(r[0] for r in rounds)
        absent = statistics.median(r[1] for r in rounds)
        ratio = present / absent
        print(f"REPL start, store present          {present * 1000:6.0f} ms   (median of {args.n} interleaved rounds)")
        print(f"REPL start, no store               {absent * 1000:6.0f} ms   with store: {ratio:.3f}x, goal <= 1.10x"
              f"  {'PASS' if ratio <= GOALS['repl'] else 'FAIL'}")
        failed |= ratio > GOALS["repl"]
        failed |= import_case(Path(tmp) / "import", rng)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
