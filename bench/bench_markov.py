"""Markov text: our count tables and generation loop against markovify and a plain dict/Counter model, same run.

    /opt/venv/bin/python bench/bench_markov.py          (markovify comes with the `bench` extra)

The corpus (~2 MB) is made by drawing lines from our own corpora (prose, weather, nursery, names) at random until
it is large enough, so every line is real text but the line-to-line transitions are new.

* word level, order 2: build, and 1000 sentences, against ``markovify.Text(state_size=2)``. markovify writes with
  ``make_sentence(test_output=False)`` (its overlap test off: generation alone); we generate the number of tokens
  the corpus spends on 1000 sentences and report how many sentences that made.
* char level, orders 2 and 5: build against a ``defaultdict(Counter)`` keyed by the context string, and 100 000
  characters against the same dict walked with ``bisect`` on per-context cumulative weights.

Our build counts every order 0 … k (backoff needs them); the references count order k only. Times are the best of
``REPEATS`` runs; the builds, ours and the reference's, take turns, so a busy spell on the shared machine slows both.
"""
from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import random  # noqa: E402
import time  # noqa: E402
from bisect import bisect_right  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from itertools import accumulate  # noqa: E402

import markovify  # noqa: E402

from playground.models.datasets.text import load_corpus  # noqa: E402
from playground.models.markov import MarkovChain, tokenize  # noqa: E402

CORPUS_BYTES = 2_000_000
REPEATS = 5
N_SENTENCES = 1000
N_CHARACTERS = 100_000


def best_time(fn, repeats: int = REPEATS):
    """(best wall time in seconds, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def best_times_in_turn(ours, reference, repeats: int = REPEATS):
    """best_time of two functions run alternately: (ours, its result, the reference, its result)."""
    our_best = their_best = float("inf")
    for _ in range(repeats):
        seconds, our_result = best_time(ours, 1)
        our_best = min(our_best, seconds)
        seconds, their_result = best_time(reference, 1)
        their_best = min(their_best, seconds)
    return our_best, our_result, their_best, their_result


def make_corpus() -> str:
    rng = random.Random(0)
    lines = [line for name in ("prose", "weather", "nursery", "names")
             for line in load_corpus(name).splitlines() if line.strip()]
    chosen, size = [], 0
    while size < CORPUS_BYTES:
        line = rng.choice(lines)
        chosen.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(chosen) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# The plain-dict reference for character level

def dict_build(text: str, order: int) -> dict[str, Counter]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for i in range(order, len(text)):
        counts[text[i - order:i]][text[i]] += 1
    return counts


def dict_generate(counts: dict[str, Counter], start: str, n: int, seed: int) -> str:
    """Walk the dict: per context, the next characters and their cumulative counts, chosen with bisect."""
    rng = random.Random(seed)
    tables = {context: (list(following), list(accumulate(following.values())))
              for context, following in counts.items()}
    order = len(start)
    out = list(start)
    context = start
    for _ in range(n):
        entry = tables.get(context)
        if entry is None:  # the corpus's last context: restart at the beginning
            context = start
            entry = tables[context]
        chars, cum = entry
        char = chars[bisect_right(cum, rng.random() * cum[-1])]
        out.append(char)
        context = (context + char)[-order:]
    return "".join(out[order:])


# ---------------------------------------------------------------------------------------------------------------

def ratio_line(what: str, ours: float, reference: float, reference_name: str, target: float | None = None) -> str:
    ratio = ours / reference
    verdict = "" if target is None else ("  (target ≤ %.2f: %s)" % (target, "met" if ratio <= target else "MISSED"))
    return (f"{what:<34} ours {ours * 1e3:9.1f} ms   {reference_name} {reference * 1e3:9.1f} ms   "
            f"ratio {ratio:6.3f}{verdict}")


def bench_word(corpus: str) -> None:
    print("\nword level, order 2 (state_size 2)")
    ours_build, chain, theirs_build, model = best_times_in_turn(
        lambda: MarkovChain(order=2, level="word", seed=0).fit(corpus),
        lambda: markovify.Text(corpus, state_size=2))
    print(ratio_line("build", ours_build, theirs_build, "markovify", target=0.15))

    tokens = tokenize(corpus, "word")
    ends = {".", "!", "?"}
    tokens_per_sentence = len(tokens) / sum(token in ends for token in tokens)
    n_tokens = int(N_SENTENCES * tokens_per_sentence)
    ours_generate, text = best_time(lambda: chain.generate_text(n_tokens))
    made = sum(token in ends for token in tokenize(text, "word"))
    theirs_generate, sentences = best_time(
        lambda: [model.make_sentence(test_output=False) for _ in range(N_SENTENCES)], repeats=2)
    made_theirs = sum(sentence is not None for sentence in sentences)
    print(ratio_line(f"{N_SENTENCES} sentences", ours_generate * N_SENTENCES / max(made, 1), theirs_generate,
                     "markovify"))
    print(f"    ours: {n_tokens} tokens → {made} sentences ({n_tokens / ours_generate / 1e6:.2f} M tokens/s); "
          f"markovify: {made_theirs} of {N_SENTENCES} calls returned a sentence")


def bench_char(corpus: str) -> None:
    for order in (2, 5):
        print(f"\ncharacter level, order {order}")
        ours_build, chain, dict_time, counts = best_times_in_turn(
            lambda: MarkovChain(order=order, level="char", seed=0).fit(corpus), lambda: dict_build(corpus, order))
        print(ratio_line("build", ours_build, dict_time, "dict", target=0.1))
        ours_generate, text = best_time(lambda: chain.generate_text(N_CHARACTERS))
        dict_generate_time, _ = best_time(lambda: dict_generate(counts, corpus[:order], N_CHARACTERS, seed=0))
        print(ratio_line(f"{N_CHARACTERS} characters", ours_generate, dict_generate_time, "dict"))
        ok = "met" if ours_generate <= 0.05 else "MISSED"
        print(f"    ours: {N_CHARACTERS / ours_generate / 1e6:.2f} M chars/s (target 100 000 in ≤ 50 ms: {ok}); "
              "the dict time includes building its cumulative tables")


def main() -> None:
    corpus = make_corpus()
    print(f"corpus: {len(corpus.encode('utf-8')) / 1e6:.2f} MB, {len(corpus)} characters; "
          f"markovify {markovify.__version__ if hasattr(markovify, '__version__') else ''}")
    bench_word(corpus)
    bench_char(corpus)


if __name__ == "__main__":
    main()
