"""An n-gram language model you can watch write — the model behind the Markov text panel.

Generation is the loop a large language model runs — look at the last few tokens, get a probability for every
possible next token, draw one, append it, repeat — with counts from a corpus instead of a neural network:

    P(next = t | context) = (count(context, t) + α) / (count(context) + α·V)

``order`` is how many tokens of context the model looks at, α is add-k ``smoothing`` (0: only what the corpus
showed) and V the vocabulary size. A context the corpus never showed *backs off* to its longest shorter suffix that
it did show (down to order 0, the plain token frequencies), so generation never gets stuck — not even at the end of
the corpus, whose last context has no continuation.

How the counts are stored, and why that is fast. Every token becomes an integer id. For each order m = 0 … order,
the distinct (context, next token) pairs are one sorted int64 array of keys ``context_rank · V + token`` with their
counts: a CSR table whose rows are the contexts. The position of a key in that array *is* the rank of the (m+1)-token
context it spells. Every (order + 1)-gram packed into one 64-bit integer (when it fits) and sorted once gives all
the tables — shorter n-grams are prefixes of longer ones, already grouped by that sort — with no Python loop over
the corpus. Generation walks the top-order table with cumulative weights precomputed for the current temperature
and ``bisect`` on plain Python buffers (lists, ``array.array``), drawing its uniforms in blocks: no numpy call per
token.

Novelty (is the model inventing or copying?) is measured against a suffix array of the corpus: for every generated
token, the longest run ending there that appears verbatim in the corpus (see :class:`NoveltyTracker`).

:class:`MarkovChain` is the model you use from Python; :class:`MarkovGenerator` is the panel's live wrapper: one
token per ``step()``, and a :class:`MarkovSnapshot` with everything the panel draws.
"""
from __future__ import annotations

import array
import itertools
import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from .base import BaseModel, Snapshot, check_stop, validate_seed

__all__ = [
    "MIN_ORDER", "MAX_ORDER", "LEVELS", "N_CANDIDATES",
    "tokenize", "join_tokens", "TextJoiner",
    "GeneratedToken", "TextScore", "TransitionGraph", "MarkovChain",
    "SuffixIndex", "NoveltyTracker", "Novelty", "novelty", "longest_copied_span", "default_copy_run",
    "PerplexityCurve", "iter_perplexity_curve", "perplexity_curve",
    "MarkovSnapshot", "MarkovGenerator",
]

MIN_ORDER, MAX_ORDER = 1, 8
#: Largest smoothing α: a pretend count of a million already drowns any corpus's counts.
MAX_SMOOTHING = 1e6
LEVELS = ("char", "word")
#: How many next-token candidates a :class:`GeneratedToken` carries (the panel's bars).
N_CANDIDATES = 15
#: Uniforms are drawn from the Generator this many at a time; the stream is the same whatever the block size.
_UNIFORM_BLOCK = 4096
#: Cumulative-weight tables up to this long are plain lists (see _build_sampler).
_LIST_LIMIT = 1 << 20


# ---------------------------------------------------------------------------------------------------------------
# Tokens: characters, or words with punctuation kept as tokens of their own

_WORD_TOKEN = re.compile(
    r"\n[^\S\n]*\n\s*"              # a blank line: paragraph break, kept as one "\n\n" token
    r"|\n"                          # a line break
    r"|\d+(?:[.,:]\d+)+(?!\w)"      # a number with separators: 3.5, 1,000, 10:30
    r"|\w+(?:['’-]\w+)*"            # a word, keeping inner apostrophes and hyphens: don't, north-west, x2
    r"|\S"                          # anything else, one character at a time: punctuation, symbols, emoji
)
_PARAGRAPH = "\n\n"
_LINE_BREAKS = frozenset({"\n", _PARAGRAPH})
_CLOSERS = frozenset(".,;:!?)]}%…»”’")   # no space before these
_OPENERS = frozenset("([{«“‘¿¡°$")       # no space after these
_STRAIGHT_QUOTES = frozenset("\"'")
#: Tokens after which a new line or sentence starts: where generation with no prompt begins.
_BOUNDARIES = {"char": frozenset({"\n"}), "word": frozenset({"\n", _PARAGRAPH, ".", "!", "?"})}


def _unix_line_breaks(text: str) -> str:
    """Windows ("\\r\\n") and old Mac ("\\r") line breaks as "\\n". Checking first is faster: two replaces that find
    nothing still scan the text twice."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def tokenize(text: str, level: str) -> list[str]:
    """Characters (code points), or words and punctuation marks. Line breaks are tokens at word level too, so the
    model learns where lines and paragraphs end; a blank line (of any length) becomes the single token "\\n\\n"."""
    text = _unix_line_breaks(text)
    if level == "char":
        return list(text)
    return [_PARAGRAPH if token[0] == "\n" and len(token) > 1 else token for token in _WORD_TOKEN.findall(text)]


class TextJoiner:
    """Turns a stream of tokens back into readable text, one piece per token.

    Word level puts a space between words but none before closing punctuation (. , ; ) …) or after opening
    brackets, and straight quotes alternate between opening and closing. Character level is plain concatenation.
    """

    def __init__(self, level: str) -> None:
        self.level = level
        self._glue_next = True          # no space before the first token, nor after an opener or a line break
        self._open_quotes: set[str] = set()

    def piece(self, token: str) -> str:
        """The text to append for ``token`` (with its leading space, if it takes one)."""
        if self.level == "char":
            return token
        if token in _STRAIGHT_QUOTES:
            opening = token not in self._open_quotes
            self._open_quotes ^= {token}
        else:
            opening = token in _OPENERS
        closing = (token in _CLOSERS or token in _LINE_BREAKS
                   or (token in _STRAIGHT_QUOTES and not opening))
        spaced = not (self._glue_next or closing)
        self._glue_next = opening or token in _LINE_BREAKS
        return " " + token if spaced else token

    def copy(self) -> "TextJoiner":
        twin = TextJoiner(self.level)
        twin._glue_next, twin._open_quotes = self._glue_next, set(self._open_quotes)
        return twin


def join_tokens(tokens: Sequence[str], level: str) -> str:
    joiner = TextJoiner(level)
    return "".join(joiner.piece(token) for token in tokens)


_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")  # what _WORD_TOKEN turns into one "\n\n" token


def _unused_characters(text: str, n: int) -> list[str] | None:
    """``n`` private-use characters that do not occur in ``text`` (almost always the first ``n`` tried), or None
    if the text uses nearly all of them."""
    unused: list[str] = []
    for code in range(0xE000, 0xF900):
        if chr(code) not in text:
            unused.append(chr(code))
            if len(unused) == n:
                return unused
    return None


def _word_ids(text: str) -> tuple[np.ndarray, list[str]]:
    """Word-level token ids (in order of first use) and the vocabulary — the same as ``tokenize(text, "word")``
    gives, about twice as fast on large texts.

    Line breaks become marker characters the text does not use, so one C-level split cuts the whole text into
    whitespace-separated chunks, each line break a chunk of its own. Chunks repeat (words do), so the regex runs
    once per *distinct* chunk, and each chunk's token ids are then laid out with numpy. Numbering with a
    ``defaultdict`` whose default is the next integer keeps the loops in C and numbers in order of first use.

    Replacing and splitting work on the UTF-8 bytes, which is faster than on the str. ``bytes.split`` cuts at
    ASCII whitespace only (never inside a multi-byte character), so a chunk may still hold other whitespace — a
    no-break space — and the regex, which skips all whitespace, separates the words on either side of it just as
    it does in ``tokenize``.
    """
    token_id: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    markers = _unused_characters(text, 2)
    if markers is None:  # a text using every private-use character: the plain regex pass
        tokens = tokenize(text, "word")
        ids = np.fromiter(map(token_id.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        return ids, list(token_id)
    line_break, paragraph = markers
    utf8 = _BLANK_LINES.sub(f" {paragraph} ", text).encode("utf-8", "surrogatepass")
    chunks = utf8.replace(b"\n", f" {line_break} ".encode()).split()
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    chunk_number: defaultdict[bytes, int] = defaultdict(itertools.count().__next__)
    which = np.fromiter(map(chunk_number.__getitem__, chunks), dtype=np.int64, count=len(chunks))  # (C,)
    breaks = {line_break: ["\n"], paragraph: [_PARAGRAPH]}
    pieces: list[list[int]] = []  # the token ids of each distinct chunk, in order of first use
    for chunk in chunk_number:
        chunk_text = chunk.decode("utf-8", "surrogatepass")
        pieces.append([token_id[token] for token in breaks.get(chunk_text) or _WORD_TOKEN.findall(chunk_text)])
    length = np.array([len(piece) for piece in pieces])                          # (D,) tokens per distinct chunk
    flat = np.fromiter(itertools.chain.from_iterable(pieces), dtype=np.int64, count=int(length.sum()))
    n = length[which]                                                            # (C,) tokens per chunk
    end = np.cumsum(n)
    # Token t of the output is token (t − start of its chunk) of that chunk's piece in `flat`.
    ids = flat[np.repeat(np.cumsum(length)[which] - length[which] - (end - n), n) + np.arange(end[-1])]
    return ids, list(token_id)


# ---------------------------------------------------------------------------------------------------------------
# Validation: messages a student can act on

def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise ValueError(f"the order must be a whole number between {MIN_ORDER} and {MAX_ORDER}, not {order!r}")
    if not MIN_ORDER <= order <= MAX_ORDER:
        raise ValueError(f"the order (how many tokens of context the model looks at) must be between {MIN_ORDER} "
                         f"and {MAX_ORDER}, not {order}")
    return int(order)


def _check_level(level: Any) -> str:
    if level not in LEVELS:
        raise ValueError(f"the level must be 'char' (one character at a time) or 'word', not {level!r}")
    return level


def _check_smoothing(smoothing: Any) -> float:
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float, np.integer, np.floating)):
        raise ValueError(f"the smoothing must be a number ≥ 0, not {smoothing!r}")
    if not (math.isfinite(smoothing) and smoothing >= 0):
        raise ValueError(f"the smoothing (a pretend count added to every possible next token) must be 0 or more, "
                         f"not {smoothing}")
    if smoothing > MAX_SMOOTHING:   # far beyond any count: every token equally likely; beyond this, sums overflow
        raise ValueError(f"the smoothing must be at most {MAX_SMOOTHING:g} (already enough to make every token "
                         f"equally likely), not {smoothing:g}")
    return float(smoothing)


def _check_temperature(temperature: Any) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)):
        raise ValueError(f"the temperature must be a number ≥ 0, not {temperature!r}")
    if not (math.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"the temperature must be 0 (always take the most likely token) or positive, "
                         f"not {temperature}")
    return float(temperature)


def _check_top_k(top_k: Any) -> int | None:
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
        raise ValueError(f"top-k must be a whole number of at least 1 (or None for no limit), not {top_k!r}")
    if top_k < 1:
        raise ValueError(f"top-k must be at least 1 — it keeps only the k most likely tokens — not {top_k}")
    return int(top_k)


def _check_count(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, not {n!r}")
    return int(n)


# ---------------------------------------------------------------------------------------------------------------
# Count tables

def _array(typecode: str, values: np.ndarray) -> array.array:
    """A numpy array as a plain ``array.array`` (a memcpy): indexing it from Python is several times faster."""
    return array.array(typecode, values.astype(np.float64 if typecode == "d" else np.int64).tobytes())


@dataclass(frozen=True, eq=False)
class _OrderTable:
    """Every (context, next token) pair of one order m, as a CSR table with one row per m-token context.

    ``keys``/``counts`` are in key order (context rank, then token id) for look-ups; ``tokens``/``sorted_counts``
    hold the same pairs with each row sorted by count, most frequent first (ties: lower token id first), for
    sampling and for the bars. ``next_state`` (top order only, in that same sorted order) is the top-order context
    the walk is in after emitting the pair's token, or −1 when that context never had a continuation.
    """

    keys: np.ndarray            # (P,) int64 sorted: context_rank · V + token
    counts: np.ndarray          # (P,) int64
    row_start: np.ndarray       # (S + 1,) int64: row s is [row_start[s], row_start[s + 1])
    row_total: np.ndarray       # (S,) int64: how often context s was followed by anything
    tokens: np.ndarray          # (P,) int64, rows sorted by count
    sorted_counts: np.ndarray   # (P,) int64
    next_state: np.ndarray | None
    #: The top order's row_start, tokens and next_state as ``array.array`` buffers, for the generation loop.
    buffers: tuple[array.array, array.array, array.array] | None

    @property
    def n_states(self) -> int:
        return len(self.row_start) - 1


def _order_table(state: np.ndarray, token: np.ndarray, counts: np.ndarray, vocabulary_size: int, n_states: int,
                 next_state: np.ndarray | None) -> _OrderTable:
    """The table of the pairs (state, token) with their counts, given in key order (state, then token)."""
    keys = state * vocabulary_size + token
    row_start = np.zeros(n_states + 1, dtype=np.int64)
    np.cumsum(np.bincount(state, minlength=n_states), out=row_start[1:])
    row_total = np.bincount(state, weights=counts, minlength=n_states).astype(np.int64)
    # Rows sorted by count, most frequent first; the sort is stable, so equal counts keep token order.
    ceiling = int(counts.max()) + 1
    by_count = np.argsort(state * ceiling + (ceiling - 1 - counts), kind="stable")
    tokens = token[by_count]
    buffers = None
    if next_state is not None:
        next_state = next_state[by_count]
        buffers = (_array("q", row_start), _array("q", tokens), _array("q", next_state))
    return _OrderTable(keys=keys, counts=counts, row_start=row_start, row_total=row_total, tokens=tokens,
                       sorted_counts=counts[by_count], next_state=next_state, buffers=buffers)


def _count_tables(ids: np.ndarray, vocabulary_size: int, order: int) -> list[_OrderTable]:
    """Tables for orders 0 … ``order`` from the corpus as token ids (N,).

    The rank of an m-token context is its rank in lexicographic (token id) order among the distinct m-grams of
    the corpus. When a whole (order + 1)-gram fits in 64 bits, one sort of those n-grams gives every order (see
    _packed_tables); otherwise the orders are counted one after another (see _chained_tables). Both give the
    same tables.
    """
    bits = _bits_per_token(vocabulary_size, order)
    if bits is not None:
        return _packed_tables(ids, vocabulary_size, order, bits)
    return _chained_tables(ids, vocabulary_size, order)


def _bits_per_token(vocabulary_size: int, order: int) -> int | None:
    """Bits per token to pack an (order + 1)-gram into a uint64 — a byte when that fits, since bytes can be
    read straight from memory (see _packed_ngrams) — or None when the n-gram does not fit."""
    if vocabulary_size <= 256 and order + 1 <= 8:
        return 8
    bits = max(1, (vocabulary_size - 1).bit_length())
    return bits if (order + 1) * bits <= 64 else None


def _packed_ngrams(ids: np.ndarray, n: int, bits: int) -> np.ndarray:
    """Every n-gram of ``ids`` as one uint64, its first token in the highest bits: numeric order is
    lexicographic order. (N − n + 1,)"""
    count = len(ids) - n + 1
    if bits == 8:
        # Token ids as bytes; the 8 bytes from each position, read as one big-endian integer, are the n-gram
        # followed by 8 − n tokens of padding that the shift drops. One pass instead of n.
        padded = np.zeros(len(ids) + 8, dtype=np.uint8)
        padded[:len(ids)] = ids
        eight_bytes = np.ndarray(shape=(count,), dtype=">u8", buffer=padded, strides=(1,))
        grams = eight_bytes.astype(np.uint64)
        grams >>= np.uint64(8 * (8 - n))
        return grams
    grams = ids[:count].astype(np.uint64)
    for j in range(1, n):
        grams <<= np.uint64(bits)
        grams |= ids[j:count + j].astype(np.uint64)
    return grams


def _packed_tables(ids: np.ndarray, vocabulary_size: int, order: int, bits: int) -> list[_OrderTable]:
    """Sort the (order + 1)-grams once; every lower order comes from prefixes of the sorted distinct n-grams.

    Dropping the last token of sorted n-grams leaves sorted (n − 1)-grams, each one's run of equal prefixes
    contiguous, so their counts and ranks come from run boundaries without another sort. The prefixes of all
    n-grams are all (n − 1)-grams but the corpus's last one, which is added by hand.
    """
    V, k = vocabulary_size, order
    one_token = np.uint64((1 << bits) - 1)
    grams = _packed_ngrams(ids, k + 1, bits)
    grams.sort()
    grams, counts, _ = _runs(grams)             # distinct (k + 1)-grams and how often each occurs
    suffixes = grams & np.uint64((1 << (k * bits)) - 1)   # the k-gram a walk is in after emitting each pair
    tables = []                                 # orders k, k − 1, … 0
    for m in range(k, 0, -1):
        check_stop()                            # a 20 MB corpus takes seconds: closing the window must not wait
        # The (m + 1)-grams are the order-m pairs: an m-token context and the token after it.
        token = (grams & one_token).astype(np.int64)
        contexts, context_counts, state = _runs(grams >> np.uint64(bits), weights=counts)
        last = _packed_ngrams(ids[len(ids) - m:], m, bits)   # the corpus's last m-gram: (1,)
        at = int(np.searchsorted(contexts, last[0]))
        if at < len(contexts) and contexts[at] == last[0]:
            context_counts[at] += 1
        else:
            contexts, context_counts = np.insert(contexts, at, last), np.insert(context_counts, at, 1)
            state += state >= at
        next_state = np.searchsorted(contexts, suffixes) if m == k else None
        tables.append(_order_table(state, token, counts, V, len(contexts), next_state))
        grams, counts = contexts, context_counts
    # Order 0: one empty context; every token of the vocabulary occurs, so the 1-grams are the ids 0 … V − 1.
    tables.append(_order_table(np.zeros(V, dtype=np.int64), np.arange(V, dtype=np.int64), counts, V, 1, None))
    return tables[::-1]


def _runs(sorted_values: np.ndarray, weights: np.ndarray | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of a sorted array, how often each occurs (or the sum of its ``weights``), and each
    value's index among the distinct ones."""
    is_new = np.empty(len(sorted_values), dtype=bool)
    is_new[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=is_new[1:])
    starts = np.flatnonzero(is_new)
    totals = np.diff(np.append(starts, len(sorted_values))) if weights is None else np.add.reduceat(weights, starts)
    return sorted_values[starts], totals, np.cumsum(is_new) - 1


def _dense_rank(keys: np.ndarray, key_range: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of ``keys`` (sorted), each key's index among them, and how often each occurs.

    Same as ``np.unique(keys, return_inverse=True, return_counts=True)``, but when the keys span a small range a
    counting pass (bincount) replaces the sort — the usual case at character level, where V is small.
    """
    if key_range <= 4 * len(keys) + (1 << 16):
        counts_all = np.bincount(keys, minlength=key_range)
        distinct = np.flatnonzero(counts_all)
        rank_of = np.zeros(key_range, dtype=np.int64)
        rank_of[distinct] = np.arange(len(distinct))
        return distinct.astype(np.int64), rank_of[keys], counts_all[distinct].astype(np.int64)
    by_key = np.argsort(keys)
    sorted_keys = keys[by_key]
    distinct, counts, sorted_rank = _runs(sorted_keys)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[by_key] = sorted_rank
    return distinct, inverse, counts


def _chained_tables(ids: np.ndarray, vocabulary_size: int, order: int) -> list[_OrderTable]:
    """One order after another, for n-grams too long to pack: the pair (m-context, token) at each position is
    the key context_rank · V + token, and its rank among the distinct pairs is the rank of the (m + 1)-token
    context before the next position."""
    n = len(ids)
    V = vocabulary_size
    context = np.zeros(n + 1, dtype=np.int64)  # rank of the m-token context before position i, i = m … N
    n_contexts = 1
    tables = []
    for m in range(order + 1):
        check_stop()
        if m == 0:  # one empty context: the pairs are the tokens themselves, already dense ids
            keys, pair_rank, counts = np.arange(V, dtype=np.int64), ids, np.bincount(ids, minlength=V)
        else:
            pair = context[:-1] * V + ids[m:]  # (N − m,) the pair (context, token) at each position i ≥ m
            keys, pair_rank, counts = _dense_rank(pair, n_contexts * V)
        next_state = None
        if m == order:
            # Emitting the token of the pair at i puts the walk in the context before i + 1: context[1:].
            next_state = np.empty(len(keys), dtype=np.int64)
            next_state[pair_rank] = context[1:]
        tables.append(_order_table(keys // V, keys % V, counts, V, n_contexts, next_state))
        # The pair (m-context, token) spells the (m+1)-token context before i + 1: its rank is the pair's rank.
        context, n_contexts = pair_rank, len(keys)
    return tables


@dataclass(frozen=True, eq=False)
class _Sampler:
    """Cumulative weights of one order's table for one temperature and top-k, ready for ``bisect``.

    Row s's weights are ((count + α) / (max count + α))^(1/T) — the distribution raised to 1/T, scaled so each
    row's largest weight is 1, which keeps the running sum precise whatever T is; T = 0 puts all the weight on the
    row's first entry. With top-k only the first ``top_k`` entries of a (count-sorted) row are eligible, so top-k
    only moves the row's end. Tokens a context never saw each weigh ``unseen_weight[s]`` (zero without smoothing)
    and come after all the seen ones.
    """

    cum: list[float] | array.array  # (P + 1,) float64: cum[j] = weights of entries before j
    cum_np: np.ndarray
    row_end: array.array        # (S,) int64: one past the last eligible entry of each row
    total: array.array          # (S,) float64: seen + unseen weight of each row
    unseen_weight: np.ndarray   # (S,) float64: the weight of each never-seen token
    n_unseen: np.ndarray        # (S,) int64: how many never-seen tokens are eligible


def _build_sampler(table: _OrderTable, temperature: float, top_k: int | None, smoothing: float,
                   vocabulary_size: int) -> _Sampler:
    if top_k is not None and top_k >= vocabulary_size:
        top_k = None  # keeps every token anyway, and a huge k would not fit numpy's integers
    row_start = table.row_start
    row_length = np.diff(row_start)
    counts = table.sorted_counts.astype(np.float64)
    row_max = np.where(row_length > 0, counts[np.minimum(row_start[:-1], max(len(counts) - 1, 0))], 1.0)
    alpha = smoothing
    if temperature == 0:  # greedy: all the weight on the first (most frequent) entry of each row
        weights = np.zeros(len(counts))
        weights[row_start[:-1][row_length > 0]] = 1.0
        top_k = 1
    else:
        weights = ((counts + alpha) / (np.repeat(row_max, row_length) + alpha)) ** (1.0 / temperature)
    cum = np.concatenate(([0.0], np.cumsum(weights)))
    eligible = row_length if top_k is None else np.minimum(row_length, top_k)
    row_end = row_start[:-1] + eligible
    n_unseen = np.zeros(table.n_states, dtype=np.int64)
    unseen_weight = np.zeros(table.n_states)
    if alpha > 0 and temperature > 0:
        never_seen = vocabulary_size - row_length
        n_unseen = never_seen if top_k is None else np.clip(top_k - row_length, 0, never_seen)
        unseen_weight = (alpha / (row_max + alpha)) ** (1.0 / temperature)
    total = cum[row_end] - cum[row_start[:-1]] + unseen_weight * n_unseen
    # bisect probes a list without boxing a float per probe (~15 % faster generation) but a list costs four times
    # the memory, so only tables of up to a million entries get one.
    cum_buffer = cum.tolist() if len(cum) <= _LIST_LIMIT else _array("d", cum)
    return _Sampler(cum=cum_buffer, cum_np=cum, row_end=_array("q", row_end), total=_array("d", total),
                    unseen_weight=unseen_weight, n_unseen=n_unseen)


# ---------------------------------------------------------------------------------------------------------------
# What the walk reports for each token

@dataclass(frozen=True, eq=False)
class GeneratedToken:
    """One generated token and how it was chosen — what the panel's bars show."""

    token: str
    #: The context the model actually used (after any backoff), oldest token first; ``used_order`` tokens long.
    context: tuple[str, ...]
    used_order: int
    #: True when the full-order context was never followed by anything in the corpus, so a shorter one was used.
    backed_off: bool
    #: The most likely next tokens (at most N_CANDIDATES), most likely first …
    candidates: tuple[str, ...]
    #: … and their probabilities after temperature and top-k: what the token was drawn from.
    probabilities: np.ndarray
    #: Where the chosen token stands in that ranking (0 = most likely; may be ≥ N_CANDIDATES).
    chosen_rank: int
    #: The model's own probability of the token (temperature 1, no top-k, with smoothing): what perplexity uses.
    probability: float


@dataclass(frozen=True)
class TextScore:
    """How well a model predicts a text. Tokens outside the model's vocabulary cannot be scored and are counted."""

    perplexity: float       # exp(mean −log P) over the scored tokens; inf if one had probability 0; NaN if none
    n_scored: int
    n_unknown: int


@dataclass(frozen=True, eq=False)
class TransitionGraph:
    """Order-1 transitions of a small vocabulary: node i is ``tokens[i]``; edge e goes ``source[e] → target[e]``
    with probability ``probability[e]`` (observed counts, no smoothing). Arrays are read-only."""

    tokens: tuple[str, ...]
    source: np.ndarray          # (E,) int64
    target: np.ndarray          # (E,) int64
    probability: np.ndarray     # (E,) float64


def _read_only(values: np.ndarray) -> np.ndarray:
    values.setflags(write=False)
    return values


@dataclass(eq=False)
class _Walk:
    """Where a generation is: the token ids so far (prompt first; −1 for a prompt token outside the vocabulary),
    the top-order state (−1: look it up), and the block of uniforms being consumed."""

    history: list[int]
    state: int
    rng: np.random.Generator
    uniforms: array.array
    position: int = 0

    def refill(self) -> array.array:
        self.uniforms, self.position = _array("d", self.rng.random(_UNIFORM_BLOCK)), 0
        return self.uniforms

    def uniform(self) -> float:
        if self.position == len(self.uniforms):
            self.refill()
        self.position += 1
        return self.uniforms[self.position - 1]

    def copy(self) -> "_Walk":
        rng = np.random.default_rng()
        rng.bit_generator.state = self.rng.bit_generator.state
        # The uniform block is replaced on refill, never changed in place, so the copy may share it.
        return _Walk(list(self.history), self.state, rng, self.uniforms, self.position)


# ---------------------------------------------------------------------------------------------------------------
# The model

class MarkovChain:
    """An n-gram model of text at character or word level.

    >>> chain = MarkovChain(order=2, level="word").fit("the cat sat on the mat. the dog sat on the log.")
    >>> chain.next_distribution("sat on the")
    (('mat', 'log'), array([0.5, 0.5]))
    >>> text = chain.generate_text(20, start="the cat")

    ``generate`` streams :class:`GeneratedToken` records (with the candidates and the context used);
    ``generate_text`` is the fast path that returns just the text. Both draw from ``self.rng``, so a fresh chain
    with the same seed writes the same text.
    """

    def __init__(self, *, order: int = 2, level: str = "char", smoothing: float = 0.0, seed: int = 0) -> None:
        self.order = _check_order(order)
        self.level = _check_level(level)
        self.smoothing = _check_smoothing(smoothing)
        self.seed = validate_seed(seed)
        self.rng = np.random.default_rng(self.seed)
        self._tables: list[_OrderTable] | None = None

    # -- fitting ----------------------------------------------------------------------------------------------
    def fit(self, text: str) -> "MarkovChain":
        """Count every (context, next token) pair of ``text``. Raises ValueError (and keeps any previous fit) if
        the text is empty or shorter than the order."""
        if not isinstance(text, str):
            raise ValueError(f"the corpus must be text (a str), not {type(text).__name__}")
        ids, vocabulary = self._encode_corpus(text)
        check_stop()
        unit = "characters" if self.level == "char" else "tokens (words and punctuation marks)"
        if len(ids) == 0:
            raise ValueError("the corpus is empty — type, paste or open some text first")
        if len(ids) <= self.order:
            raise ValueError(f"the corpus has only {len(ids)} {unit}; an order-{self.order} model needs at least "
                             f"{self.order + 1} (a context of {self.order} and something that follows it)")
        tables = _count_tables(ids, len(vocabulary), self.order)
        boundaries = [i for i, token in enumerate(vocabulary) if token in _BOUNDARIES[self.level]]
        is_boundary = np.zeros(len(vocabulary), dtype=bool)
        is_boundary[boundaries] = True
        after_boundary = np.flatnonzero(is_boundary[ids[:-1]]) + 1
        # Generation without a prompt starts where a line or sentence starts (or anywhere, if nothing does).
        self._line_starts = after_boundary if len(after_boundary) else np.arange(1, len(ids))
        self._ids = ids
        self._vocabulary = tuple(vocabulary)
        self._token_id = {token: i for i, token in enumerate(vocabulary)}
        self._tables = tables
        self._samplers: dict[tuple[int, float, int | None], _Sampler] = {}
        self._suffix_index: list[SuffixIndex] = []  # built on first use, shared with with_smoothing() copies
        return self

    def _encode_corpus(self, text: str) -> tuple[np.ndarray, list[str]]:
        """Token ids (N,) int64 and the vocabulary (id → token)."""
        text = _unix_line_breaks(text)
        if self.level == "char":
            # Code points straight from the UTF-32 bytes; ids in code-point order through a counting pass.
            code = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            if len(code) == 0:
                return np.zeros(0, dtype=np.int64), []
            present = np.bincount(code) > 0
            id_of = np.cumsum(present) - 1
            return id_of[code], [chr(c) for c in np.flatnonzero(present)]  # int64: cumsum of bools
        return _word_ids(text)

    def with_smoothing(self, smoothing: float) -> "MarkovChain":
        """The same counts with another smoothing — no refit. The copy shares the (read-only) tables."""
        self._require_fit()
        copy = MarkovChain(order=self.order, level=self.level, smoothing=smoothing, seed=self.seed)
        copy.__dict__.update({name: value for name, value in self.__dict__.items()
                              if name not in ("smoothing", "rng", "_samplers")})
        copy._samplers = {}
        return copy

    def _require_fit(self) -> list[_OrderTable]:
        if self._tables is None:
            raise ValueError("the model has not seen any text yet: call fit(text) first")
        return self._tables

    # -- what was learnt ------------------------------------------------------------------------------------
    @property
    def vocabulary(self) -> tuple[str, ...]:
        self._require_fit()
        return self._vocabulary

    @property
    def n_states(self) -> int:
        """How many distinct contexts of length ``order`` the corpus showed followed by something."""
        table = self._require_fit()[self.order]
        return int(np.count_nonzero(np.diff(table.row_start)))

    @property
    def n_tokens(self) -> int:
        self._require_fit()
        return len(self._ids)

    @property
    def corpus_ids(self) -> np.ndarray:
        """The training corpus as token ids (a copy)."""
        self._require_fit()
        return self._ids.copy()

    def encode(self, text: str | Sequence[str]) -> list[int]:
        """Token ids of ``text`` (a string, or a sequence of tokens); −1 for a token outside the vocabulary."""
        self._require_fit()
        tokens = tokenize(text, self.level) if isinstance(text, str) else text
        return [self._token_id.get(token, -1) for token in tokens]

    def transition_graph(self, max_tokens: int = 50) -> TransitionGraph | None:
        """The order-1 transition graph, or None when the vocabulary has more than ``max_tokens`` tokens."""
        tables = self._require_fit()
        if len(self._vocabulary) > max_tokens:
            return None
        table = tables[1]  # order-1 contexts are single tokens, and their ranks are the token ids
        V = len(self._vocabulary)
        source = table.keys // V
        return TransitionGraph(tokens=self._vocabulary, source=_read_only(source),
                               target=_read_only(table.keys % V),
                               probability=_read_only(table.counts / table.row_total[source]))

    # -- looking contexts up ------------------------------------------------------------------------------
    def _state_of(self, context: Sequence[int]) -> int:
        """Rank of a context (token ids, oldest first) among the contexts of its length, or −1 if never seen."""
        V = len(self._vocabulary)
        rank = 0
        for m, token in enumerate(context):
            if token < 0:
                return -1
            keys = self._tables[m].keys
            key = rank * V + token
            rank = int(np.searchsorted(keys, key))
            if rank == len(keys) or keys[rank] != key:
                return -1
        return rank

    def _longest_context(self, history: Sequence[int]) -> tuple[int, int]:
        """(order, state) of the longest suffix of ``history`` that the corpus showed followed by something."""
        for m in range(min(self.order, len(history)), 0, -1):
            state = self._state_of(history[len(history) - m:])
            row_start = self._tables[m].row_start
            if state >= 0 and row_start[state + 1] > row_start[state]:
                return m, state
        return 0, 0

    def _sampler(self, m: int, temperature: float, top_k: int | None) -> _Sampler:
        key = (m, temperature, top_k)
        sampler = self._samplers.get(key)
        if sampler is None:
            if len(self._samplers) >= 32:  # a temperature slider makes many; keep the cache small
                self._samplers.clear()
            sampler = _build_sampler(self._tables[m], temperature, top_k, self.smoothing, len(self._vocabulary))
            self._samplers[key] = sampler
        return sampler

    # -- distributions ------------------------------------------------------------------------------------
    def _distribution(self, m: int, state: int, temperature: float, top_k: int | None,
                      limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and probabilities of a state's next-token distribution, most likely first (``limit`` of them).
        Never-seen tokens (with smoothing) follow the seen ones in id order."""
        table = self._tables[m]
        lo, hi = int(table.row_start[state]), int(table.row_start[state + 1])
        limit = len(self._vocabulary) if limit is None else limit
        sampler = self._sampler(m, temperature, top_k)
        end = sampler.row_end[state]
        shown = min(limit, end - lo)
        weights = np.diff(sampler.cum_np[lo:lo + shown + 1])
        tokens = table.tokens[lo:lo + shown]
        n_unseen = min(int(sampler.n_unseen[state]), limit - shown)
        if n_unseen > 0:
            unseen = self._unseen_tokens(table, lo, hi)[:n_unseen]
            tokens = np.concatenate((tokens, unseen))
            weights = np.concatenate((weights, np.full(n_unseen, sampler.unseen_weight[state])))
        return tokens.copy(), weights / sampler.total[state]

    def _unseen_tokens(self, table: _OrderTable, lo: int, hi: int) -> np.ndarray:
        return np.setdiff1d(np.arange(len(self._vocabulary)), table.tokens[lo:hi])

    def next_distribution(self, context: str | Sequence[str] = "", *, temperature: float = 1.0,
                          top_k: int | None = None) -> tuple[tuple[str, ...], np.ndarray]:
        """The next-token distribution after ``context`` (text, or a sequence of tokens), most likely first.

        Only the last ``order`` tokens matter; a context never seen backs off to its longest seen suffix. At
        temperature 1 without top-k these are the model's probabilities, (count + α) / (total + α·V); tokens
        with probability 0 are left out.
        """
        temperature, top_k = _check_temperature(temperature), _check_top_k(top_k)
        self._require_fit()
        m, state = self._longest_context(self.encode(context))
        ids, probabilities = self._distribution(m, state, temperature, top_k, None)
        return tuple(self._vocabulary[i] for i in ids), probabilities

    def context_order(self, context: str | Sequence[str]) -> int:
        """How many tokens of ``context`` the model can use: ``order``, or less after backing off."""
        self._require_fit()
        return self._longest_context(self.encode(context))[0]

    # -- generation ---------------------------------------------------------------------------------------
    def _start(self, start: str | Sequence[str] | None, rng: np.random.Generator) -> _Walk:
        walk = _Walk(history=[], state=-1, rng=rng, uniforms=array.array("d"))
        if start is None or len(start) == 0:
            # The context before a random line (or sentence) start of the corpus; it is not part of the output.
            position = int(self._line_starts[int(walk.uniform() * len(self._line_starts))])
            walk.history = self._ids[max(0, position - self.order):position].tolist()
        else:
            walk.history = self.encode(start)
        return walk

    def _walk(self, walk: _Walk, n: int, temperature: float, top_k: int | None,
              trace: list[tuple[int, int, int]] | None) -> None:
        """Append ``n`` token ids to ``walk.history``. ``trace`` (if given) gets (used order, state, entry) per
        token, entry being the index into that order's sorted table, or −1 for a never-seen token.

        The loop is the hot path: plain Python on list / ``array.array`` buffers. Anything unusual — a context with no
        continuation, a never-seen token drawn thanks to smoothing — goes to :meth:`_slow_step`.
        """
        k = self.order
        row_start, tokens, next_state = self._tables[k].buffers
        sampler = self._sampler(k, temperature, top_k)
        cum, row_end, total = sampler.cum, sampler.row_end, sampler.total
        append = walk.history.append
        state = walk.state
        uniforms, position = walk.uniforms, walk.position
        n_uniforms = len(uniforms)
        for _ in range(n):
            u = None
            if state >= 0:
                lo = row_start[state]
                end = row_end[state]
                if lo < end:  # the context was continued in the corpus
                    if position == n_uniforms:
                        uniforms, position = walk.refill(), 0
                        n_uniforms = len(uniforms)
                    u = uniforms[position]
                    position += 1
                    x = cum[lo] + u * total[state]
                    if x < cum[end]:  # a token this context was seen with (else: smoothing's turn)
                        entry = bisect_right(cum, x, lo + 1, end + 1) - 1
                        append(tokens[entry])
                        if trace is not None:
                            trace.append((k, state, entry))
                        state = next_state[entry]
                        continue
            walk.position = position
            state = self._slow_step(walk, u, temperature, top_k, trace)
            uniforms, position = walk.uniforms, walk.position
            n_uniforms = len(uniforms)
        walk.state, walk.position = state, position

    def _slow_step(self, walk: _Walk, u: float | None, temperature: float, top_k: int | None,
                   trace: list[tuple[int, int, int]] | None) -> int:
        """One token the general way: back off to the longest usable context, draw (reusing ``u`` if the fast
        path already drew it), and look the new top-order state up. Returns that state (or −1)."""
        history = walk.history
        m, state = self._longest_context(history)
        table = self._tables[m]
        lo, hi = int(table.row_start[state]), int(table.row_start[state + 1])
        u = walk.uniform() if u is None else u
        sampler = self._sampler(m, temperature, top_k)
        end = sampler.row_end[state]
        x = sampler.cum[lo] + u * sampler.total[state]
        if x < sampler.cum[end] or sampler.n_unseen[state] == 0:
            entry = min(bisect_right(sampler.cum, x, lo + 1, end + 1) - 1, end - 1)
            token = int(table.tokens[entry])
        else:  # a token this context never saw, which smoothing makes possible
            nth = min(int((x - sampler.cum[end]) / sampler.unseen_weight[state]), int(sampler.n_unseen[state]) - 1)
            entry = -1
            token = int(self._unseen_tokens(table, lo, hi)[nth])
        history.append(token)
        if trace is not None:
            trace.append((m, state, entry))
        if len(history) < self.order:
            return -1
        return self._state_of(history[len(history) - self.order:])

    def _record(self, history: Sequence[int], step: tuple[int, int, int], temperature: float,
                top_k: int | None) -> GeneratedToken:
        """The :class:`GeneratedToken` for the last token of ``history``, drawn as ``step`` says."""
        m, state, entry = step
        token = history[-1]
        table = self._tables[m]
        lo, hi = int(table.row_start[state]), int(table.row_start[state + 1])
        if entry >= 0:
            rank = entry - lo
            count = int(table.sorted_counts[entry])
        else:
            rank = (hi - lo) + int(np.searchsorted(self._unseen_tokens(table, lo, hi), token))
            count = 0
        ids, probabilities = self._distribution(m, state, temperature, top_k, N_CANDIDATES)
        probabilities.setflags(write=False)  # snapshots share the record: it must never change
        vocabulary = self._vocabulary
        context = history[len(history) - 1 - m:len(history) - 1] if m else []
        return GeneratedToken(
            token=vocabulary[token], context=tuple(vocabulary[i] for i in context), used_order=m,
            backed_off=m < self.order, candidates=tuple(vocabulary[i] for i in ids), probabilities=probabilities,
            chosen_rank=rank, probability=self._probability(count, int(table.row_total[state])))

    def _probability(self, count: int, total: int) -> float:
        alpha = self.smoothing
        return (count + alpha) / (total + alpha * len(self._vocabulary))

    def _check_generation(self, n_tokens: Any, temperature: Any, top_k: Any) -> tuple[int, float, int | None]:
        self._require_fit()
        return _check_count(n_tokens, "the number of tokens"), _check_temperature(temperature), _check_top_k(top_k)

    def generate(self, n_tokens: int, *, start: str | Sequence[str] | None = None, temperature: float = 1.0,
                 top_k: int | None = None) -> Iterator[GeneratedToken]:
        """Stream ``n_tokens`` new tokens, each with the context and candidates it was drawn from.

        ``start`` is a prompt (text or tokens) to continue; without one, generation begins where a line or
        sentence of the corpus begins. Temperature 0 always takes the most likely token; top-k draws only from
        the k most likely.
        """
        n_tokens, temperature, top_k = self._check_generation(n_tokens, temperature, top_k)
        walk = self._start(start, self.rng)
        trace: list[tuple[int, int, int]] = []
        for _ in range(n_tokens):
            self._walk(walk, 1, temperature, top_k, trace)
            yield self._record(walk.history, trace.pop(), temperature, top_k)

    def generate_text(self, n_tokens: int, *, start: str | Sequence[str] | None = None, temperature: float = 1.0,
                      top_k: int | None = None) -> str:
        """The text of ``n_tokens`` new tokens (without the prompt) — the same tokens ``generate`` would write."""
        n_tokens, temperature, top_k = self._check_generation(n_tokens, temperature, top_k)
        walk = self._start(start, self.rng)
        n_prompt = len(walk.history)
        self._walk(walk, n_tokens, temperature, top_k, None)
        vocabulary = self._vocabulary
        if self.level == "char":
            return "".join([vocabulary[i] for i in walk.history[n_prompt:]])
        joiner = TextJoiner("word")
        if start:
            for token in tokenize(start, "word") if isinstance(start, str) else start:
                joiner.piece(token)
        return "".join([joiner.piece(vocabulary[i]) for i in walk.history[n_prompt:]]).lstrip(" ")

    # -- scoring ------------------------------------------------------------------------------------------
    def score(self, text: str | Sequence[str], *, max_order: int | None = None) -> TextScore:
        """Perplexity of ``text``: exp of the mean −log P(token | context), using the same backed-off,
        smoothed distributions generation uses (``max_order`` caps the context, to compare orders).

        Every token is scored with the longest context available to it (the first ones have less), except tokens
        outside the vocabulary, which are counted in ``n_unknown``. Without smoothing, one seen context followed by
        a token it never saw makes the perplexity infinite.
        """
        tables = self._require_fit()
        top = self.order if max_order is None else min(_check_order(max_order), self.order)
        ids = np.asarray(self.encode(text), dtype=np.int64)
        known = ids >= 0
        n, V = len(ids), len(self._vocabulary)
        used_order = np.zeros(n, dtype=np.int64)
        used_state = np.zeros(n, dtype=np.int64)
        context = np.zeros(n + 1, dtype=np.int64)  # rank of the m-context before position i, i = m … n; −1 unseen
        for m in range(1, top + 1):
            previous, token = context[:-1], ids[m - 1:]
            keys = tables[m - 1].keys
            pair = previous * V + token
            where = np.minimum(np.searchsorted(keys, pair), len(keys) - 1)
            found = (previous >= 0) & (token >= 0) & (keys[where] == pair)
            context = np.where(found, where, -1)
            row_start = tables[m].row_start
            before = context[:-1]
            usable = before >= 0
            usable[usable] = row_start[before[usable] + 1] > row_start[before[usable]]
            used_order[m:][usable] = m
            used_state[m:][usable] = before[usable]
        log_p = np.empty(n)
        for m in range(top + 1):
            at = np.flatnonzero((used_order == m) & known)
            table = tables[m]
            pair = used_state[at] * V + ids[at]
            where = np.minimum(np.searchsorted(table.keys, pair), len(table.keys) - 1)
            count = np.where(table.keys[where] == pair, table.counts[where], 0)
            total = table.row_total[used_state[at]]
            with np.errstate(divide="ignore"):
                log_p[at] = np.log(count + self.smoothing) - np.log(total + self.smoothing * V)
        scored = log_p[known]
        perplexity = float(np.exp(-scored.mean())) if len(scored) else math.nan
        return TextScore(perplexity=perplexity, n_scored=len(scored), n_unknown=int(n - len(scored)))

    def perplexity(self, text: str | Sequence[str]) -> float:
        """exp(mean −log P) of ``text`` under the model (see :meth:`score`). Lower: the text surprises it less."""
        return self.score(text).perplexity

    def suffix_index(self) -> "SuffixIndex":
        """A suffix array of the training corpus (built on first use), for measuring copying."""
        self._require_fit()
        if not self._suffix_index:
            self._suffix_index.append(SuffixIndex(self._ids))
        return self._suffix_index[0]


# ---------------------------------------------------------------------------------------------------------------
# Copying or inventing? A suffix array of the corpus answers "does this run of tokens occur in it?"

class SuffixIndex:
    """The corpus's suffixes in sorted order, built by prefix doubling in numpy, deepened only as far as needed.

    After r doubling rounds the suffixes are sorted by their first 2^r tokens, which is all a binary search for a
    pattern of up to 2^r tokens needs; a longer pattern triggers more rounds. A suffix that runs out of tokens sorts
    before its extensions, exactly as Python compares sequences, so ``bisect`` over slices agrees with the order.
    """

    def __init__(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        self._n = len(ids)
        self._corpus = _array("q", ids)
        self._rank = ids.copy()       # (N,) rank of each suffix by its first `depth` tokens
        self._depth = 1
        self._order = _array("q", np.argsort(ids, kind="stable"))
        self._complete = self._n <= 1

    def _deepen(self, depth: int) -> None:
        n, rank = self._n, self._rank
        while self._depth < depth and not self._complete:
            check_stop()                            # a round sorts the whole corpus; each leaves a usable index
            h = self._depth
            following = np.full(n, -1, dtype=np.int64)
            following[:n - h] = rank[h:]
            key = rank * (n + 1) + (following + 1)  # (rank of first h, rank of next h): one sortable int64
            order = np.argsort(key)
            sorted_key = key[order]
            new_rank = np.empty(n, dtype=np.int64)
            new_rank[order] = np.concatenate(([0], np.cumsum(sorted_key[1:] != sorted_key[:-1])))
            rank = new_rank
            self._depth = 2 * h
            self._order = _array("q", order)
            self._complete = int(new_rank.max()) == n - 1  # every suffix distinct: fully sorted
            self._rank = rank

    def contains(self, pattern: array.array) -> bool:
        """Does the token-id sequence ``pattern`` (an ``array('q')``) occur in the corpus?"""
        d = len(pattern)
        if d == 0:
            return True
        self._deepen(d)
        corpus, order = self._corpus, self._order
        i = bisect_left(range(self._n), pattern, key=lambda r: corpus[order[r]:order[r] + d])
        return i < self._n and corpus[order[i]:order[i] + d] == pattern


#: The shortest verbatim run that counts as copying whatever the order: a short phrase.
_MIN_COPY_RUN = {"char": 12, "word": 5}


def default_copy_run(order: int, level: str) -> int:
    """How long a verbatim run must be before its tokens are highlighted as copied: max(order + 2, 12 characters
    or 5 words).

    A chain of order k writes every (k+1)-token window from the corpus by construction (unless it backed off), so
    only runs of k + 2 or more show it reproducing the corpus beyond what its context forced. That alone is not
    enough: at low orders nearly every token sits in some 4-character run of real text ("the ", "and ") — measured
    on the prose corpus, order + 2 flags 97–100 % of the tokens at every order, which tells the student nothing.
    A floor of a short phrase (about two words of characters, or five words) makes the highlight mean "recognisably
    lifted from the corpus": on the prose corpus at character level it flags ~0 % at orders 1–2, ~40 % at order 4
    and ~100 % from order 6 — low orders invent, high orders plagiarise.
    """
    return max(order + 2, _MIN_COPY_RUN[_check_level(level)])


class NoveltyTracker:
    """Copying statistics of a growing generated sequence, updated with about one binary search per token.

    For each new token it finds the longest run ending there that occurs verbatim in the corpus (its *match*),
    keeping the classic two-pointer invariant: the match start never moves left, because a run that is absent
    stays absent when extended. From the matches: tokens inside a run of ≥ ``min_run`` are flagged as copied,
    the longest run is kept, and an n-gram ending at a token is "seen" exactly when the match there is ≥ n long.
    """

    def __init__(self, index: SuffixIndex, *, min_run: int, ngram: int) -> None:
        if min_run < 1 or ngram < 1:
            raise ValueError("min_run and ngram must be at least 1")
        self.index, self.min_run, self.ngram = index, min_run, ngram
        self.ids = array.array("q")
        self.copied = bytearray()
        self.match_start = 0
        self.longest = (0, 0)           # (start, length) of the first longest copied run
        self.n_seen_ngrams = 0

    def add(self, token_id: int) -> int:
        """Append one token (−1 for a token outside the corpus vocabulary); returns its match length."""
        self.ids.append(token_id)
        self.copied.append(0)
        end = len(self.ids)
        if token_id < 0:
            self.match_start = end
        while self.match_start < end and not self.index.contains(self.ids[self.match_start:end]):
            self.match_start += 1
        length = end - self.match_start
        if length > self.longest[1]:
            self.longest = (self.match_start, length)
        if length >= self.min_run:
            self.copied[self.match_start:end] = b"\x01" * length
        if length >= self.ngram:
            self.n_seen_ngrams += 1
        return length

    @property
    def novel_fraction(self) -> float:
        """Fraction of generated n-grams that never occur in the corpus (NaN before the first n-gram)."""
        n_ngrams = len(self.ids) - self.ngram + 1
        return 1.0 - self.n_seen_ngrams / n_ngrams if n_ngrams > 0 else math.nan

    def copy(self) -> "NoveltyTracker":
        twin = NoveltyTracker(self.index, min_run=self.min_run, ngram=self.ngram)
        twin.ids, twin.copied = array.array("q", self.ids), bytearray(self.copied)
        twin.match_start, twin.longest, twin.n_seen_ngrams = self.match_start, self.longest, self.n_seen_ngrams
        return twin


@dataclass(frozen=True, eq=False)
class Novelty:
    copied: np.ndarray          # (n,) bool: the token lies in a verbatim run of ≥ min_run tokens
    longest_start: int
    longest_length: int
    novel_fraction: float       # fraction of the generated n-grams absent from the corpus; NaN if there are none


def _ids_against(generated: Sequence[str], corpus: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    index: dict[str, int] = {}
    corpus_ids = np.asarray([index.setdefault(token, len(index)) for token in corpus], dtype=np.int64)
    return corpus_ids, [index.get(token, -1) for token in generated]


def novelty(generated: Sequence[str], corpus: Sequence[str], *, min_run: int, ngram: int) -> Novelty:
    """Copying statistics of a token sequence (a str counts as a sequence of characters) against a corpus."""
    corpus_ids, generated_ids = _ids_against(generated, corpus)
    tracker = NoveltyTracker(SuffixIndex(corpus_ids), min_run=min_run, ngram=ngram)
    for token_id in generated_ids:
        tracker.add(token_id)
    return Novelty(copied=np.frombuffer(bytes(tracker.copied), dtype=bool).copy(),
                   longest_start=tracker.longest[0], longest_length=tracker.longest[1],
                   novel_fraction=tracker.novel_fraction)


def longest_copied_span(generated: Sequence[str], corpus: Sequence[str]) -> tuple[int, int]:
    """(start, length) of the first longest run of ``generated`` that appears verbatim in ``corpus``.
    Tokens are the sequences' items: characters of a str, or the words of a list. (0, 0) if nothing matches."""
    result = novelty(generated, corpus, min_run=1, ngram=1)
    return result.longest_start, result.longest_length


# ---------------------------------------------------------------------------------------------------------------
# Held-out perplexity against order: where more context stops helping and starts memorising

@dataclass(frozen=True, eq=False)
class PerplexityCurve:
    orders: np.ndarray          # (R,) int64
    train: np.ndarray           # (R,) perplexity of the training part
    held_out: np.ndarray        # (R,) perplexity of the held-out part (inf where smoothing is 0 and a pair is new)
    smoothing: float
    level: str
    n_unknown: int              # held-out tokens the training part never showed (not scored)


def iter_perplexity_curve(text: str, *, level: str = "char", max_order: int = 6, smoothing: float = 0.1,
                          held_out: float = 0.1) -> Iterator[float]:
    """Fit on the first (1 − held_out) of ``text``, score both parts for orders 1 … max_order. Yields the fraction
    done (for a progress bar) and returns a :class:`PerplexityCurve` (``StopIteration.value``)."""
    level, max_order = _check_level(level), _check_order(max_order)
    if not 0 < held_out < 1:
        raise ValueError(f"the held-out fraction must be between 0 and 1, not {held_out}")
    cut = int(len(text) * (1 - held_out))
    if level == "word":  # do not cut a word in two
        space = re.compile(r"\s").search(text, cut)
        cut = space.start() if space else len(text)
    train_text, test_text = text[:cut], text[cut:]
    if not tokenize(test_text, level):
        raise ValueError("the corpus is too short to hold some of it out: the held-out part would be empty")
    chain = MarkovChain(order=max_order, level=level, smoothing=smoothing)
    try:
        chain.fit(train_text)
    except ValueError as exc:
        raise ValueError(f"the training part of the corpus is too short for order {max_order}: {exc}") from None
    yield 1 / (max_order + 1)
    orders = np.arange(1, max_order + 1)
    train, test = np.empty(max_order), np.empty(max_order)
    n_unknown = 0
    for i, m in enumerate(orders):
        train[i] = chain.score(train_text, max_order=int(m)).perplexity
        score = chain.score(test_text, max_order=int(m))
        test[i], n_unknown = score.perplexity, score.n_unknown
        yield (i + 2) / (max_order + 1)
    return PerplexityCurve(orders=orders, train=train, held_out=test, smoothing=chain.smoothing, level=level,
                           n_unknown=n_unknown)


def perplexity_curve(text: str, **options: Any) -> PerplexityCurve:
    steps = iter_perplexity_curve(text, **options)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


# ---------------------------------------------------------------------------------------------------------------
# The panel's live model

@dataclass(frozen=True, kw_only=True, eq=False)
class MarkovSnapshot(Snapshot):
    """What the Markov text panel draws after ``step`` tokens."""

    tokens: tuple[str, ...]         # the generated tokens (the prompt not included)
    text: str                       # prompt + generated tokens, joined readably
    prompt_length: int              # the first prompt_length characters of `text` are the prompt
    token_starts: np.ndarray        # (N,) int64: where each generated token starts in `text`
    last: GeneratedToken | None     # how the last token was chosen: context, candidates and their probabilities
    backed_off: bool                # the last token used a shorter context than `order`
    n_backed_off: int               # how many generated tokens did
    copied: np.ndarray              # (N,) bool: inside a verbatim corpus run of ≥ copy_min_run tokens
    copy_min_run: int
    longest_copy_start: int         # the longest verbatim run: first token …
    longest_copy_length: int        # … and length in tokens (0 before any)
    longest_copy_text: str
    novelty_n: int                  # n of the n-grams below: order + 2 (every (order+1)-gram comes from the corpus)
    novel_fraction: float           # generated n-grams never seen in the corpus; NaN until there is one
    perplexity: float               # of the generated tokens under the model; NaN before the first
    n_states: int
    vocabulary_size: int
    corpus_tokens: int
    order: int
    level: str
    temperature: float
    top_k: int | None
    smoothing: float
    unknown_prompt_tokens: tuple[str, ...]   # prompt tokens the corpus never showed (the model skips past them)
    graph: TransitionGraph | None   # order-1 transitions when the vocabulary is small (≤ 50 tokens); shared, read-only


@dataclass(eq=False)
class _Generation:
    """Everything that changes as tokens are generated (cheap to copy for a checkpoint)."""

    walk: _Walk
    n_prompt: int
    joiner: TextJoiner
    pieces: list[str]
    token_starts: array.array
    text_length: int
    tracker: NoveltyTracker
    counts: array.array         # per generated token: its count after its context …
    totals: array.array         # … and that context's total, for perplexity under any smoothing
    log_likelihood: float
    n_backed_off: int
    last: GeneratedToken | None
    note: str

    def copy(self) -> "_Generation":
        return _Generation(walk=self.walk.copy(), n_prompt=self.n_prompt, joiner=self.joiner.copy(),
                           pieces=list(self.pieces), token_starts=array.array("q", self.token_starts),
                           text_length=self.text_length, tracker=self.tracker.copy(),
                           counts=array.array("q", self.counts), totals=array.array("q", self.totals),
                           log_likelihood=self.log_likelihood, n_backed_off=self.n_backed_off, last=self.last,
                           note=self.note)


class MarkovGenerator(BaseModel):
    """A Markov chain writing one token per ``step()``, with what the panel shows about each.

    Live parameters (``set_params``): ``temperature`` and ``top_k`` change the next draw; ``smoothing`` re-weights
    the same counts (the text so far stays); ``text``, ``order`` and ``level`` refit the model and ``start`` sets a
    new prompt — those start the text again from the seed. A bad value raises ValueError and the previous model
    stays.
    """

    #: Tokens on one page. A full page makes way for a fresh one that goes on from the same context: every frame
    #: copies the page (snapshot and checkpoint), so a chain left playing at full speed would otherwise grow its
    #: memory and its frame time without end (measured by the soak: +40 MB a minute alone at full speed).
    PAGE_TOKENS = 50_000
    #: … or this many characters, whichever comes first: a corpus with one enormous "word" (a minified file, an
    #: unclosed quote of 200 000 characters) would otherwise fill a page of 50 000 tokens with gigabytes of text.
    PAGE_CHARACTERS = 2_000_000

    def __init__(self, text: str, *, order: int = 2, level: str = "char", smoothing: float = 0.0,
                 temperature: float = 1.0, top_k: int | None = None, start: str = "", seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.temperature = _check_temperature(temperature)
        self.top_k = _check_top_k(top_k)
        self.start = self._check_start(start)
        self.text = text
        self.chain = MarkovChain(order=order, level=level, smoothing=smoothing, seed=seed).fit(text)
        self._graph = self.chain.transition_graph()
        self.reset()

    @staticmethod
    def _check_start(start: Any) -> str:
        if not isinstance(start, str):
            raise ValueError(f"the start prompt must be text, not {start!r}")
        return start

    @property
    def order(self) -> int:
        return self.chain.order

    @property
    def level(self) -> str:
        return self.chain.level

    @property
    def smoothing(self) -> float:
        return self.chain.smoothing

    def tunable(self) -> tuple[str, ...]:
        return ("temperature", "top_k", "smoothing", "text", "order", "level", "start")

    # -- lifecycle ----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Clear the generated text and start again from the prompt (or a random line start) and the seed."""
        super().reset()
        chain = self.chain
        walk = chain._start(self.start or None, self.rng)
        joiner = TextJoiner(chain.level)
        prompt_tokens = tokenize(self.start, chain.level) if self.start else []
        prompt_text = "".join(joiner.piece(token) for token in prompt_tokens)
        unknown = sorted({t for t, i in zip(prompt_tokens, walk.history) if i < 0})
        note = ""
        if unknown:
            listed = ", ".join(repr(t) for t in unknown[:5])
            note = (f"the prompt's {listed} never appear{'s' if len(unknown) == 1 else ''} in the corpus; "
                    "the model continues from the part of the prompt after them")
        self._unknown_prompt = tuple(unknown)
        self._prompt_text = prompt_text
        index = chain.suffix_index()
        self._gen = _Generation(
            walk=walk, n_prompt=len(walk.history), joiner=joiner,
            pieces=[prompt_text], token_starts=array.array("q"), text_length=len(prompt_text),
            tracker=NoveltyTracker(index, min_run=default_copy_run(chain.order, chain.level),
                                   ngram=chain.order + 2),
            counts=array.array("q"), totals=array.array("q"), log_likelihood=0.0, n_backed_off=0, last=None,
            note=note)

    def step(self) -> None:
        """Generate one token and update the text, the novelty statistics and the perplexity."""
        if len(self._gen.counts) >= self.PAGE_TOKENS or self._gen.text_length >= self.PAGE_CHARACTERS:
            self._turn_page()
        chain, gen = self.chain, self._gen
        trace: list[tuple[int, int, int]] = []
        chain._walk(gen.walk, 1, self.temperature, self.top_k, trace)
        history = gen.walk.history
        record = chain._record(history, trace[0], self.temperature, self.top_k)
        m, state, entry = trace[0]
        table = chain._tables[m]
        count = int(table.sorted_counts[entry]) if entry >= 0 else 0
        total = int(table.row_total[state])
        gen.counts.append(count)
        gen.totals.append(total)
        gen.log_likelihood += math.log(record.probability)
        piece = gen.joiner.piece(record.token)
        gen.token_starts.append(gen.text_length + len(piece) - len(record.token))
        gen.pieces.append(piece)
        gen.text_length += len(piece)
        gen.tracker.add(history[-1])
        gen.last = record
        if record.backed_off:
            gen.n_backed_off += 1
            gen.note = self._backoff_note(history, record)
        else:
            gen.note = ""

    def _turn_page(self) -> None:
        """A fresh page: the walk (its context and random stream) goes on; the text and its statistics start again,
        the context kept out of sight as at a random start."""
        chain, walk = self.chain, self._gen.walk
        walk.history = walk.history[-chain.order:]
        self._prompt_text, self._unknown_prompt = "", ()
        self._gen = _Generation(
            walk=walk, n_prompt=len(walk.history), joiner=TextJoiner(chain.level), pieces=[""],
            token_starts=array.array("q"), text_length=0,
            tracker=NoveltyTracker(chain.suffix_index(), min_run=default_copy_run(chain.order, chain.level),
                                   ngram=chain.order + 2),
            counts=array.array("q"), totals=array.array("q"), log_likelihood=0.0, n_backed_off=0, last=None,
            note="")

    def _backoff_note(self, history: list[int], record: GeneratedToken) -> str:
        k = self.chain.order
        full = history[max(0, len(history) - 1 - k):len(history) - 1]
        if len(full) < k:
            return f"the text is shorter than the order, so the model used {record.used_order} token(s) of context"
        shown = join_tokens([self.chain._vocabulary[i] if i >= 0 else "?" for i in full], self.chain.level)
        return (f"the corpus never continued {shown!r}, so the model backed off to the last "
                f"{record.used_order} token(s)")

    def snapshot(self) -> MarkovSnapshot:
        chain, gen = self.chain, self._gen
        tracker = gen.tracker
        tokens = tuple(chain._vocabulary[i] for i in gen.walk.history[gen.n_prompt:])
        n = len(tokens)
        start, length = tracker.longest
        return MarkovSnapshot(
            step=self.n_steps, note=gen.note,
            tokens=tokens, text="".join(gen.pieces), prompt_length=len(self._prompt_text),
            token_starts=np.frombuffer(gen.token_starts, dtype=np.int64).copy() if n else np.zeros(0, np.int64),
            last=gen.last, backed_off=bool(gen.last is not None and gen.last.backed_off),
            n_backed_off=gen.n_backed_off,
            copied=np.frombuffer(bytes(tracker.copied), dtype=bool).copy(), copy_min_run=tracker.min_run,
            longest_copy_start=start, longest_copy_length=length,
            longest_copy_text=join_tokens(tokens[start:start + length], chain.level),
            novelty_n=tracker.ngram, novel_fraction=tracker.novel_fraction,
            perplexity=math.exp(-gen.log_likelihood / n) if n else math.nan,
            n_states=chain.n_states, vocabulary_size=len(chain.vocabulary), corpus_tokens=chain.n_tokens,
            order=chain.order, level=chain.level, temperature=self.temperature, top_k=self.top_k,
            smoothing=chain.smoothing, unknown_prompt_tokens=self._unknown_prompt, graph=self._graph,
            nonfinite_ok=("novel_fraction", "perplexity"))

    # -- parameters ---------------------------------------------------------------------------------------
    def set_params(self, **params: Any) -> None:
        unknown = set(params) - set(self.tunable())
        if unknown:
            raise ValueError(f"MarkovGenerator has no live parameter(s) {', '.join(sorted(unknown))}")
        # Validate everything (including a refit) before changing anything.
        temperature = _check_temperature(params.get("temperature", self.temperature))
        top_k = _check_top_k(params.get("top_k", self.top_k))
        start = self._check_start(params.get("start", self.start))
        text = params.get("text", self.text)
        order = params.get("order", self.order)
        level = params.get("level", self.level)
        smoothing = _check_smoothing(params.get("smoothing", self.smoothing))
        refit = text != self.text or order != self.order or level != self.level
        chain = self.chain
        if refit:
            chain = MarkovChain(order=order, level=level, smoothing=smoothing, seed=self.seed).fit(text)
        elif smoothing != chain.smoothing:
            chain = chain.with_smoothing(smoothing)
        self.temperature, self.top_k = temperature, top_k
        restart = refit or start != self.start
        self.start, self.text = start, text
        if chain is not self.chain:
            self.chain = chain
            if refit:
                self._graph = chain.transition_graph()
        if restart:
            self.reset()
        elif self._gen.counts:  # same text, new smoothing: re-score what was written
            counts = np.frombuffer(self._gen.counts, dtype=np.int64)
            totals = np.frombuffer(self._gen.totals, dtype=np.int64)
            alpha, V = chain.smoothing, len(chain.vocabulary)
            with np.errstate(divide="ignore"):  # back to 0: a token only smoothing allowed has probability 0
                self._gen.log_likelihood = float(np.sum(np.log((counts + alpha) / (totals + alpha * V))))

    def perplexity_curve(self, max_order: int = 6, held_out: float = 0.1,
                         smoothing: float | None = None) -> Iterator[float]:
        """Held-out perplexity for orders 1 … max_order on the current corpus (a generator for ``Call``: yields
        progress, returns a :class:`PerplexityCurve`). Smoothing defaults to the model's."""
        smoothing = self.smoothing if smoothing is None else smoothing
        return iter_perplexity_curve(self.text, level=self.level, max_order=max_order, smoothing=smoothing,
                                     held_out=held_out)

    # -- checkpoints: the fitted chain never changes in place, so it is shared, not copied ------------------
    def checkpoint(self) -> Any:
        return dict(self.__dict__), self._gen.copy()

    def restore(self, state: Any) -> None:
        attributes, generation = state
        self.__dict__.update(attributes)
        self._gen = generation.copy()
        self.rng = self._gen.walk.rng  # after reset() the walk is the only thing that draws
