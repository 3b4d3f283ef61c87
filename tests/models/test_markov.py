"""The Markov text model: counts, sampling, backoff, perplexity, novelty, the live generator, corpora and loader."""
from __future__ import annotations

import math
import queue
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from playground.models.base import Call, Done, Fault, Progress, SetParams, Snapshot, run
from playground.models.datasets.text import (CORPORA, MAX_TEXT_BYTES, corpus_info, corpus_names, load_corpus,
                                             load_text_file)
from playground.models.markov import (N_CANDIDATES, MarkovChain, MarkovGenerator, MarkovSnapshot,
                                      default_copy_run, join_tokens, longest_copied_span, novelty,
                                      perplexity_curve, tokenize)
from playground.models.markov import _bits_per_token, _chained_tables, _packed_tables

TINY = "abracadabra cadabra abba"
WORDS = "the cat sat on the mat. the dog sat on the log. the cat ran to the dog. a cat sat on a hat!"


def occurs(needle: list[str], haystack: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def brute_counts(tokens: list[str], m: int) -> dict[tuple[str, ...], Counter]:
    """context (m tokens) → Counter of next tokens, straight from the definition."""
    table: dict[tuple[str, ...], Counter] = {}
    for i in range(m, len(tokens)):
        table.setdefault(tuple(tokens[i - m:i]), Counter())[tokens[i]] += 1
    return table


# ---------------------------------------------------------------------------------------------------------------
# Tokens

def test_word_tokens_keep_punctuation_and_rejoin_readably():
    text = 'It\'s 3.5 °C in the north-west (mostly), isn\'t it? "Yes," she said.\n\nNext paragraph!'
    tokens = tokenize(text, "word")
    assert tokens == ["It's", "3.5", "°", "C", "in", "the", "north-west", "(", "mostly", ")", ",", "isn't", "it",
                      "?", '"', "Yes", ",", '"', "she", "said", ".", "\n\n", "Next", "paragraph", "!"]
    assert join_tokens(tokens, "word") == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "é", " ", "  ", "\t", "\n", "\r\n", ".", ",", "'", "-", "3.5", "🐈",
                                 "東"]), max_size=40).map("".join))
def test_fitting_tokenises_exactly_like_tokenize(text):
    tokens = tokenize(text, "word")
    if len(tokens) < 2:
        return
    chain = MarkovChain(order=1, level="word").fit(text)
    assert [chain.vocabulary[i] for i in chain.corpus_ids] == tokens
    assert list(chain.vocabulary) == list(dict.fromkeys(tokens)), "ids in order of first use"


def test_unicode_round_trips_at_char_level():
    text = "Café naïve — 東京で🐈‍⬛ sat; ÅØ ß 😀😀 漢字かな.\n" * 3
    assert join_tokens(tokenize(text, "char"), "char") == text
    chain = MarkovChain(order=3, level="char", seed=4).fit(text)
    assert set(chain.vocabulary) == set(text)
    generated = chain.generate_text(400)
    assert set(generated) <= set(text)
    # Every context of length 3 is followed by one character only, so greedy generation copies the corpus.
    assert chain.generate_text(len(text) - 3, start=text[:3], temperature=0) == text[3:]


# ---------------------------------------------------------------------------------------------------------------
# Counts and distributions

@pytest.mark.parametrize("level, text", [("char", TINY), ("word", WORDS)])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_next_distribution_is_the_normalised_counts(level, text, order):
    tokens = tokenize(text, level)
    chain = MarkovChain(order=order, level=level).fit(text)
    for context, counter in brute_counts(tokens, order).items():
        candidates, probabilities = chain.next_distribution(list(context))
        total = sum(counter.values())
        assert dict(zip(candidates, probabilities)) == pytest.approx({t: c / total for t, c in counter.items()})
        assert probabilities.sum() == pytest.approx(1.0)
        assert np.all(np.diff(probabilities) <= 1e-15), "sorted, most likely first"


def test_smoothing_is_add_k_over_the_whole_vocabulary():
    alpha = 0.5
    chain = MarkovChain(order=2, level="char", smoothing=alpha).fit(TINY)
    V = len(chain.vocabulary)
    counter = brute_counts(tokenize(TINY, "char"), 2)[("b", "r")]
    candidates, probabilities = chain.next_distribution("br")
    assert len(candidates) == V and probabilities.sum() == pytest.approx(1.0)
    expected = {t: (counter.get(t, 0) + alpha) / (sum(counter.values()) + alpha * V) for t in chain.vocabulary}
    assert dict(zip(candidates, probabilities)) == pytest.approx(expected)


def test_temperature_reshapes_and_top_k_truncates():
    chain = MarkovChain(order=2, level="word").fit(load_corpus("nursery"))
    tokens, p = chain.next_distribution("on the")
    hot_tokens, hot = chain.next_distribution("on the", temperature=2.0)
    assert hot_tokens == tokens and hot == pytest.approx(np.sqrt(p) / np.sqrt(p).sum())
    cold_tokens, cold = chain.next_distribution("on the", temperature=0.05)
    assert cold_tokens[0] == tokens[0] and cold[0] > 0.999   # temperature → 0 approaches greedy …
    greedy_tokens, greedy = chain.next_distribution("on the", temperature=0)
    assert greedy_tokens == tokens[:1] and list(greedy) == [1.0]   # … and 0 is greedy
    top_tokens, top = chain.next_distribution("on the", top_k=2)
    assert top_tokens == tokens[:2] and top == pytest.approx(p[:2] / p[:2].sum())


def goodness_of_fit(draws: Counter, tokens: tuple[str, ...], probabilities: np.ndarray) -> float:
    """Chi-square p-value of the draws against the distribution, rare tokens pooled (expected count ≥ 5)."""
    assert set(draws) <= set(tokens)
    n = sum(draws.values())
    expected = n * probabilities
    common = expected >= 5
    observed = [draws[t] for t, keep in zip(tokens, common) if keep]
    observed.append(n - sum(observed))
    expected = np.append(expected[common], n - expected[common].sum())
    if expected[-1] < 1e-9:
        assert observed[-1] == 0
        observed, expected = observed[:-1], expected[:-1]
    return stats.chisquare(observed, expected).pvalue


SAMPLING_SETTINGS = [(1.0, None, 0.0), (0.5, 3, 0.0), (1.5, None, 0.3), (1.0, 12, 0.3)]


@pytest.mark.parametrize("temperature, top_k, smoothing", SAMPLING_SETTINGS)
def test_draws_after_a_prompt_follow_the_shown_distribution(temperature, top_k, smoothing):
    """3000 first tokens after the same prompt (seeded, so the test cannot flake)."""
    chain = MarkovChain(order=2, level="word", smoothing=smoothing, seed=11).fit(load_corpus("nursery"))
    tokens, probabilities = chain.next_distribution("sat on the", temperature=temperature, top_k=top_k)
    draws = Counter(record.token for _ in range(3000)
                    for record in chain.generate(1, start="sat on the", temperature=temperature, top_k=top_k))
    assert goodness_of_fit(draws, tokens, probabilities) > 1e-3


@pytest.mark.parametrize("temperature, top_k, smoothing", SAMPLING_SETTINGS)
def test_a_long_walk_follows_the_shown_distribution(temperature, top_k, smoothing):
    """The fast generation loop: in one long stream, what follows "e " is drawn from P(· | "e ")."""
    chain = MarkovChain(order=2, level="char", smoothing=smoothing, seed=12).fit(load_corpus("nursery"))
    text = chain.generate_text(40_000, temperature=temperature, top_k=top_k)
    draws = Counter(text[i + 2] for i in range(len(text) - 2) if text[i:i + 2] == "e ")
    assert sum(draws.values()) > 1000
    tokens, probabilities = chain.next_distribution("e ", temperature=temperature, top_k=top_k)
    assert goodness_of_fit(draws, tokens, probabilities) > 1e-3


def test_top_k_and_greedy_choices():
    chain = MarkovChain(order=2, level="char", seed=5).fit(load_corpus("prose"))
    for record in chain.generate(300, top_k=3):
        assert record.chosen_rank < 3 and len(record.candidates) <= 3
    for record in chain.generate(300, temperature=0):
        tokens, _ = chain.next_distribution(list(record.context))
        assert record.token == tokens[0] and record.chosen_rank == 0


# ---------------------------------------------------------------------------------------------------------------
# Generation

@pytest.mark.parametrize("level, corpus, order", [("char", "prose", 1), ("char", "prose", 4), ("char", "names", 3),
                                                  ("word", "nursery", 2), ("word", "weather", 3)])
def test_every_generated_ngram_occurs_in_the_corpus(level, corpus, order):
    """With smoothing 0, context (as used, after any backoff) + token is always a corpus n-gram."""
    text = load_corpus(corpus)
    tokens = tokenize(text, level)
    chain = MarkovChain(order=order, level=level, seed=order).fit(text)
    records = list(chain.generate(600))
    assert any(not r.backed_off for r in records)
    for record in records:
        assert occurs(list(record.context) + [record.token], tokens)
        assert record.used_order == order or record.backed_off
        assert len(record.candidates) == len(record.probabilities) <= N_CANDIDATES
        # The top candidates carry all the probability unless there were more than N_CANDIDATES of them.
        total = record.probabilities.sum()
        assert total == pytest.approx(1.0) if len(record.candidates) < N_CANDIDATES else total <= 1 + 1e-12


def test_same_seed_same_text_and_both_paths_agree():
    text = load_corpus("prose")
    make = lambda seed: MarkovChain(order=3, level="char", seed=seed).fit(text)  # noqa: E731
    streamed = "".join(record.token for record in make(7).generate(2000, temperature=0.8))
    assert make(7).generate_text(2000, temperature=0.8) == streamed
    assert make(8).generate_text(2000, temperature=0.8) != streamed


def test_backoff_on_unseen_context_and_at_the_end_of_the_corpus():
    chain = MarkovChain(order=2, level="word").fit(WORDS)
    # "zebra the" was never seen: the model backs off to "the".
    assert chain.context_order("zebra the") == 1
    tokens, p = chain.next_distribution("zebra the")
    expected_tokens, expected = chain.next_distribution(["the"])
    assert tokens == expected_tokens and p == pytest.approx(expected)
    first = next(chain.generate(1, start="zebra the"))
    assert first.backed_off and first.used_order == 1 and first.context == ("the",)
    # "hat !" ends the corpus and is never continued: generation backs off instead of stopping.
    records = list(chain.generate(50, start="a hat !", temperature=0))
    assert records[0].backed_off and len(records) == 50
    # A corpus whose every path runs into its end still generates as long as asked.
    assert len(MarkovChain(order=3, level="char").fit("abcdefg").generate_text(100)) == 100


def test_invalid_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="between 1 and 8"):
        MarkovChain(order=0)
    with pytest.raises(ValueError, match="between 1 and 8"):
        MarkovChain(order=9)
    with pytest.raises(ValueError, match="'char'"):
        MarkovChain(level="byte")
    with pytest.raises(ValueError, match="0 or more"):
        MarkovChain(smoothing=-1)
    with pytest.raises(ValueError, match="empty"):
        MarkovChain().fit("")
    with pytest.raises(ValueError, match="empty"):
        MarkovChain(level="word").fit("   \t ")
    with pytest.raises(ValueError, match="only 3 characters.*at least 5"):
        MarkovChain(order=4).fit("abc")
    with pytest.raises(ValueError, match="fit"):
        MarkovChain().generate_text(5)
    chain = MarkovChain().fit(TINY)
    with pytest.raises(ValueError, match="temperature"):
        chain.generate_text(5, temperature=-0.5)
    with pytest.raises(ValueError, match="top-k"):
        chain.generate_text(5, top_k=0)
    with pytest.raises(ValueError, match="number of tokens"):
        chain.generate_text(-1)
    with pytest.raises(ValueError, match="corpus is empty"):
        chain.fit("")
    assert chain.n_tokens == len(TINY), "a failed fit keeps the previous one"


# ---------------------------------------------------------------------------------------------------------------
# Perplexity

def brute_perplexity(train: str, test: str, level: str, order: int, alpha: float) -> float:
    tokens, test_tokens = tokenize(train, level), tokenize(test, level)
    vocabulary = set(tokens)
    tables = [brute_counts(tokens, m) for m in range(order + 1)]
    log_p = []
    for i, token in enumerate(test_tokens):
        if token not in vocabulary:
            continue
        m = min(order, i)
        while m > 0 and tuple(test_tokens[i - m:i]) not in tables[m]:
            m -= 1
        counter = tables[m][tuple(test_tokens[i - m:i])]
        p = (counter[token] + alpha) / (sum(counter.values()) + alpha * len(vocabulary))
        log_p.append(math.log(p) if p > 0 else -math.inf)
    return math.exp(-sum(log_p) / len(log_p))


@pytest.mark.parametrize("level, order, alpha", [("char", 2, 0.0), ("char", 3, 0.1), ("word", 2, 0.5)])
def test_perplexity_matches_the_definition(level, order, alpha):
    train = load_corpus("nursery")
    test = "the cat sat on the big log. a fox ran under the mat and the hen sang. zebra!"
    chain = MarkovChain(order=order, level=level, smoothing=alpha).fit(train)
    expected = brute_perplexity(train, test, level, order, alpha)
    assert chain.perplexity(test) == pytest.approx(expected, rel=1e-9)


def test_perplexity_training_text_beats_shuffled_text():
    text = load_corpus("prose")
    shuffled = list(text)
    random.Random(0).shuffle(shuffled)
    chain = MarkovChain(order=3, level="char", smoothing=0.1).fit(text)
    assert chain.perplexity(text) < chain.perplexity("".join(shuffled)) / 3
    unseen = "Zebras quietly queue for exquisite jazz: 42 × 7 = 294 ✓"
    score = chain.score(unseen)
    assert math.isfinite(score.perplexity) and score.n_unknown > 0   # ×, ✓ and digits never appear in the story
    assert MarkovChain(order=3, level="char").fit(text).perplexity(unseen) == math.inf


def test_perplexity_curve_training_perplexity_falls_with_order():
    curve = perplexity_curve(load_corpus("prose"), level="char", max_order=5, smoothing=0.0)
    assert list(curve.orders) == [1, 2, 3, 4, 5]
    assert np.all(np.diff(curve.train) <= 1e-9), curve.train
    smoothed = perplexity_curve(load_corpus("prose"), level="char", max_order=5, smoothing=0.05)
    assert np.all(np.isfinite(smoothed.held_out)) and np.all(smoothed.held_out > smoothed.train)


# ---------------------------------------------------------------------------------------------------------------
# Novelty

def brute_match_lengths(generated: str, corpus: str) -> list[int]:
    """For each position, the longest run ending there that occurs in the corpus."""
    return [max((n for n in range(1, e + 2) if generated[e + 1 - n:e + 1] in corpus), default=0)
            for e in range(len(generated))]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abc", max_size=25), st.text(alphabet="abcd", min_size=1, max_size=40))
def test_longest_copied_span_matches_brute_force(generated, corpus):
    lengths = brute_match_lengths(generated, corpus)
    start, length = longest_copied_span(generated, corpus)
    assert length == max(lengths, default=0)
    if length:
        assert generated[start:start + length] in corpus
        assert start == lengths.index(length) - length + 1, "the first longest run"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab", max_size=20), st.text(alphabet="abc", min_size=1, max_size=30),
       st.integers(1, 4), st.integers(1, 4))
def test_copied_flags_and_novel_fraction_match_brute_force(generated, corpus, min_run, n):
    result = novelty(generated, corpus, min_run=min_run, ngram=n)
    flagged = [any(generated[s:e] in corpus for s in range(0, i + 1) for e in range(i + 1, len(generated) + 1)
                   if e - s >= min_run) for i in range(len(generated))]
    assert list(result.copied) == flagged
    grams = [generated[i:i + n] for i in range(len(generated) - n + 1)]
    if grams:
        assert result.novel_fraction == pytest.approx(sum(g not in corpus for g in grams) / len(grams))
    else:
        assert math.isnan(result.novel_fraction)


def test_longest_copied_span_hand_examples():
    assert longest_copied_span("the cat sat", "a cat sat here") == (3, 8)
    assert longest_copied_span("xyz", "abc") == (0, 0)
    assert longest_copied_span(["the", "dog", "sat", "on", "it"], ["a", "dog", "sat", "on", "the", "mat"]) == (1, 3)


def test_copy_rule_is_order_plus_two_with_a_phrase_floor():
    assert default_copy_run(1, "char") == 12 and default_copy_run(8, "char") == 12
    assert default_copy_run(2, "word") == 5 and default_copy_run(4, "word") == 6


# ---------------------------------------------------------------------------------------------------------------
# The live generator

def assert_same_snapshot(a: Snapshot, b: Snapshot) -> None:
    for name, value in vars(a).items():
        other = getattr(b, name)
        if name == "last":
            if value is None or other is None:
                assert value is other
                continue
            for field_name, field_value in vars(value).items():
                assert np.array_equal(field_value, getattr(other, field_name)), field_name
        elif isinstance(value, np.ndarray):
            assert np.array_equal(value, other), name
        elif isinstance(value, float) and math.isnan(value):
            assert math.isnan(other), name
        else:
            assert value == other, name


def test_generator_snapshot_is_deterministic_and_consistent():
    make = lambda: MarkovGenerator(load_corpus("prose"), order=4, level="char", seed=3)  # noqa: E731
    first, second = make(), make()
    for _ in range(400):
        first.advance()
        second.advance()
    a, b = first.snapshot(), second.snapshot()
    assert_same_snapshot(a, b)
    assert isinstance(a, MarkovSnapshot) and a.step == 400 and len(a.tokens) == 400
    assert a.text == "".join(a.tokens), "char level: the text is the tokens (no prompt)"
    assert [a.text[s:s + len(t)] for s, t in zip(a.token_starts, a.tokens)] == list(a.tokens)
    reference = novelty(a.tokens, tokenize(load_corpus("prose"), "char"), min_run=a.copy_min_run, ngram=a.novelty_n)
    assert np.array_equal(a.copied, reference.copied)
    assert (a.longest_copy_start, a.longest_copy_length) == (reference.longest_start, reference.longest_length)
    assert a.novel_fraction == pytest.approx(reference.novel_fraction)
    assert a.longest_copy_text in load_corpus("prose")
    # The running perplexity is the model's perplexity of the generated tokens given their contexts.
    assert a.perplexity == pytest.approx(math.exp(-np.mean(np.log([r for r in _probabilities(first)]))))


def _probabilities(generator: MarkovGenerator) -> list[float]:
    counts = np.frombuffer(generator._gen.counts, dtype=np.int64)
    totals = np.frombuffer(generator._gen.totals, dtype=np.int64)
    alpha, V = generator.smoothing, len(generator.chain.vocabulary)
    return list((counts + alpha) / (totals + alpha * V))


def test_generator_word_level_with_prompt():
    generator = MarkovGenerator(load_corpus("nursery"), order=2, level="word", start="the cat sat on the", seed=1,
                                temperature=0)
    empty = generator.snapshot()
    assert empty.tokens == () and empty.last is None and math.isnan(empty.perplexity)
    assert empty.text == "the cat sat on the" and empty.prompt_length == len(empty.text)
    generator.advance()
    snapshot = generator.snapshot()
    assert snapshot.tokens == ("mat",) and snapshot.text == "the cat sat on the mat"
    assert snapshot.last.candidates == ("mat",) and snapshot.last.chosen_rank == 0
    assert snapshot.last.probability == pytest.approx(0.4375) and snapshot.perplexity == pytest.approx(1 / 0.4375)
    assert snapshot.graph is not None and len(snapshot.graph.tokens) <= 50
    sums = np.bincount(snapshot.graph.source, weights=snapshot.graph.probability)
    assert sums == pytest.approx(np.ones(len(snapshot.graph.tokens)))


def test_generator_reports_unknown_prompt_and_backoff():
    generator = MarkovGenerator(WORDS, order=2, level="word", start="the zebra", seed=0)
    assert generator.snapshot().unknown_prompt_tokens == ("zebra",)
    assert "zebra" in generator.snapshot().note
    generator.advance()
    snapshot = generator.snapshot()
    assert snapshot.backed_off and snapshot.last.used_order == 0 and snapshot.n_backed_off == 1
    assert "backed off" in snapshot.note


def test_set_params_validates_before_changing_anything():
    generator = MarkovGenerator(load_corpus("names"), order=3, level="char", seed=2)
    for _ in range(50):
        generator.advance()
    before = generator.snapshot()
    for bad in ({"text": ""}, {"order": 9}, {"order": 5, "text": "abc"}, {"level": "byte"}, {"temperature": -1},
                {"top_k": 0}, {"smoothing": math.nan}, {"speed": 3}):
        with pytest.raises(ValueError):
            generator.set_params(**{"temperature": 0.5, **bad})
        assert_same_snapshot(generator.snapshot(), before)
    # Live: temperature and top-k change the next draw, nothing else.
    generator.set_params(temperature=0.0, top_k=2)
    assert generator.snapshot().tokens == before.tokens
    generator.advance()
    assert generator.snapshot().last.chosen_rank == 0
    # Smoothing re-weights the same counts: the text stays, its perplexity is re-scored.
    generator.set_params(smoothing=0.5)
    smoothed = generator.snapshot()
    assert smoothed.tokens[:50] == before.tokens and smoothed.smoothing == 0.5
    assert smoothed.perplexity == pytest.approx(math.exp(-np.mean(np.log(_probabilities(generator)))))
    # A structural change refits and starts again.
    generator.set_params(order=2, text=load_corpus("names")[:2000])
    assert generator.snapshot().tokens == () and generator.snapshot().order == 2


def test_checkpoint_restore_replays_exactly():
    generator = MarkovGenerator(load_corpus("weather"), order=2, level="word", seed=9, smoothing=0.2)
    for _ in range(30):
        generator.advance()
    saved = generator.checkpoint()
    for _ in range(40):
        generator.advance()
    after = generator.snapshot()
    generator.restore(saved)
    assert len(generator.snapshot().tokens) == 30
    for _ in range(40):
        generator.advance()
    assert_same_snapshot(generator.snapshot(), after)


def test_run_loop_and_bad_input_keeps_the_last_good_model():
    generator = MarkovGenerator(load_corpus("nursery"), order=2, level="word", seed=4)
    commands: queue.SimpleQueue = queue.SimpleQueue()
    events = run(generator, commands, playing=True, max_steps=200)
    last = None
    for event in events:
        assert not isinstance(event, Fault)
        last = event
        if isinstance(event, MarkovSnapshot) and event.step >= 200:
            break
    assert last.step == 200 and len(last.tokens) == 200
    commands.put(SetParams({"text": "ab", "order": 3}))
    fault = next(event for event in events if isinstance(event, Fault))
    assert fault.bad_input and "at least 4" in fault.message
    assert generator.chain.n_tokens > 100 and generator.snapshot().order == 2
    # The held-out perplexity chart runs on the worker as a Call, reporting progress.
    commands.put(Call(lambda model: model.perplexity_curve(max_order=3, smoothing=0.1), "perplexity"))
    progress = []
    for event in events:
        if isinstance(event, Progress):
            progress.append(event.value)
        if isinstance(event, Done):
            break
    assert progress == sorted(progress) and len(progress) == 4
    assert list(event.result.orders) == [1, 2, 3] and np.all(np.isfinite(event.result.held_out))


# ---------------------------------------------------------------------------------------------------------------
# Corpora and the text loader

def test_corpora_load_and_are_substantial():
    assert set(corpus_names()) == {"nursery", "prose", "names", "weather", "python"}
    sizes = {name: len(load_corpus(name).encode("utf-8")) for name in corpus_names()}
    assert 2_000 <= sizes["nursery"] <= 4_096
    assert 15_000 <= sizes["prose"] <= 25_600
    assert 8_000 <= sizes["weather"] <= 15_360
    names = load_corpus("names").split()
    assert len(set(names)) >= 600 and all(name.isalpha() for name in names)
    assert "class MarkovChain" in load_corpus("python")
    for info in CORPORA:
        text = load_corpus(info.name)
        chain = MarkovChain(order=info.order, level=info.level).fit(text)
        assert chain.n_states > 100
        words = MarkovChain(order=1, level="word").fit(text)
        assert [words.vocabulary[i] for i in words.corpus_ids] == tokenize(text, "word")
    with pytest.raises(ValueError, match="no corpus called"):
        corpus_info("lorem")


def test_the_cat_sat_on_the_mat():
    chain = MarkovChain(order=2, level="word").fit(load_corpus("nursery"))
    tokens, p = chain.next_distribution("the cat sat on the")
    assert tokens[:2] == ("mat", "cat") and 0.4 < p[0] < 0.5 and 0.15 < p[1] < 0.25 and len(tokens) >= 5
    assert chain.transition_graph() is not None


def test_text_loader(tmp_path):
    good = tmp_path / "story.txt"
    good.write_bytes("Once upon a time\r\nthere was a caf\xe9 \ufffd.\r\n".encode("utf-8")
                     + b"broken \xff\xfe bytes \xc3 end\n")
    loaded = load_text_file(good)
    assert loaded.n_replaced == 3 and "3 parts" in loaded.note   # the genuine U+FFFD is not counted
    assert "\r" not in loaded.text and loaded.text.startswith("Once upon a time\nthere was a café �.")
    clean = tmp_path / "clean.txt"
    clean.write_text("plain text\n", encoding="utf-16")
    assert load_text_file(clean).text == "plain text\n" and load_text_file(clean).note == ""

    with pytest.raises(ValueError, match="no file"):
        load_text_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="folder"):
        load_text_file(tmp_path)
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        load_text_file(tmp_path / "empty.txt")
    (tmp_path / "big.txt").write_text("x" * 2000)
    with pytest.raises(ValueError, match="limit is 0.0 MB"):
        load_text_file(tmp_path / "big.txt", max_bytes=1000)
    assert MAX_TEXT_BYTES == 20 * 1024 * 1024
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.7\n binary stuff")
    with pytest.raises(ValueError, match="PDF"):
        load_text_file(tmp_path / "paper.pdf")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ValueError, match="binary.*zero bytes"):
        load_text_file(tmp_path / "blob.bin")
    (tmp_path / "controls.dat").write_bytes(bytes(range(1, 9)) * 100 + b"some text")
    with pytest.raises(ValueError, match="binary.*control characters"):
        load_text_file(tmp_path / "controls.dat")
    (tmp_path / "latin.txt").write_bytes("àéîõü".encode("latin-1") * 50)
    with pytest.raises(ValueError, match="UTF-8"):
        load_text_file(tmp_path / "latin.txt")


# ---------------------------------------------------------------------------------------------------------------
# The fast builds: word splitting, and count tables from one sort of packed n-grams

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["cat", "3.5", "don't", ".", " ", "\n", "\n \n", "\t", "é", "\xa0", "\u2028",
                                 "\u3000", "\x1c", "\x85", "\ue000", "\ue001", "\ud800"]), max_size=40).map("".join))
def test_word_splitting_agrees_with_tokenize_for_every_kind_of_whitespace(text):
    # The fast split cuts at ASCII whitespace and marks line breaks with private-use characters: neither a no-break
    # space nor a private-use character in the text may change the tokens.
    tokens = tokenize(text, "word")
    if len(tokens) < 2:
        return
    chain = MarkovChain(order=1, level="word").fit(text)
    assert [chain.vocabulary[i] for i in chain.corpus_ids] == tokens
    assert list(chain.vocabulary) == list(dict.fromkeys(tokens))


def test_word_level_fits_a_text_that_uses_every_private_use_character():
    text = "".join(map(chr, range(0xE000, 0xF900))) + " the cat sat.\n\nThe mat!\n"
    chain = MarkovChain(order=1, level="word").fit(text)
    assert [chain.vocabulary[i] for i in chain.corpus_ids] == tokenize(text, "word")


def assert_same_tables(tables, reference):
    assert len(tables) == len(reference)
    for m, (table, expected) in enumerate(zip(tables, reference)):
        for field in ("keys", "counts", "row_start", "row_total", "tokens", "sorted_counts", "next_state"):
            values, expected_values = getattr(table, field), getattr(expected, field)
            if expected_values is None:
                assert values is None, (m, field)
            else:
                assert values.dtype == np.int64 and np.array_equal(values, expected_values), (m, field)
        assert (table.buffers is None) == (expected.buffers is None)
        if expected.buffers is not None:
            assert all(a == b for a, b in zip(table.buffers, expected.buffers))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=2, max_size=80), st.integers(1, 8))
def test_packed_and_chained_count_tables_agree(tokens, order):
    ids = np.unique(tokens, return_inverse=True)[1].astype(np.int64)  # dense ids: every id 0 … V − 1 occurs
    if len(ids) <= order:
        return
    V = int(ids.max()) + 1
    reference = _chained_tables(ids, V, order)  # one order after another, no packing
    assert_same_tables(_packed_tables(ids, V, order, bits=3), reference)  # shifted in one token at a time
    if order + 1 <= 8:
        assert_same_tables(_packed_tables(ids, V, order, bits=8), reference)  # read as bytes


def test_counts_are_right_when_the_ngrams_are_too_long_to_pack():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(150)]
    text = " ".join(words[i] for i in rng.integers(0, 150, 600)) + " " + " ".join(words)
    order = 8
    chain = MarkovChain(order=order, level="word").fit(text)
    assert _bits_per_token(len(chain.vocabulary), order) is None, "this corpus must take the chained build"
    assert _bits_per_token(len(chain.vocabulary), order - 1) == 8 and _bits_per_token(300, 3) == 9
    tokens = tokenize(text, "word")
    for context, counter in brute_counts(tokens, order).items():
        candidates, probabilities = chain.next_distribution(list(context))
        total = sum(counter.values())
        assert dict(zip(candidates, probabilities)) == pytest.approx({t: c / total for t, c in counter.items()})


def test_a_full_page_makes_way_for_a_fresh_one_that_goes_on_from_the_same_context():
    def written(n_tokens: int) -> MarkovGenerator:
        model = MarkovGenerator(load_corpus("prose"), level="char", order=3, seed=5)
        model.PAGE_TOKENS = 100
        for _ in range(n_tokens):
            model.advance()
        return model

    full = written(200).snapshot()                  # the second page, just full
    model = written(201)
    fresh = model.snapshot()
    assert len(full.tokens) == 100 and fresh.step == 201 and len(fresh.tokens) == 1 and fresh.prompt_length == 0
    candidates, _ = model.chain.next_distribution(list(full.tokens[-3:]))
    assert fresh.tokens[0] in candidates            # it went on from where the full page ended
    assert len(model._gen.walk.history) <= 100 + 3  # the past pages are gone
    later = written(250).snapshot()
    assert len(later.tokens) == 50 and later.text.startswith(fresh.text)
    assert_same_snapshot(later, written(250).snapshot())


def test_a_page_of_enormous_words_is_turned_by_its_characters_not_only_its_tokens():
    """One "word" of 200 000 characters (an unclosed quote, a minified file) must not fill a page with gigabytes."""
    word = "x" * 200_000
    model = MarkovGenerator(f"the {word} cat sat . " * 3, level="word", order=1, seed=0)
    for _ in range(400):
        model.advance()
        assert len(model._gen.pieces) <= 401 and model._gen.text_length < model.PAGE_CHARACTERS + len(word) + 10
    assert model.snapshot().step == 400
