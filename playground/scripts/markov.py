"""Copy as Python for the Markov text panel: the corpus, the order, the sampling settings and the seed."""
from __future__ import annotations

from typing import Any

from playground.models.markov import MarkovSnapshot
from playground.scripts.writing import MAX_EMBEDDED_TEXT_BYTES, Code, call, literal, plural, script, text_assignment

FALLBACK_CORPUS = "nursery"


def markov_script(settings: dict[str, Any], seed: int, snapshot: MarkovSnapshot | None, *, corpus_name: str,
                  corpus_source: str = "") -> str:
    """``settings`` are the ones the model uses (the panel's ``applied``: text, level, order, temperature, top_k,
    smoothing, start); ``corpus_name`` the built-in corpus they came from, or "" for the user's own text (typed, or
    read from the file ``corpus_source``)."""
    steps = snapshot.step if snapshot is not None else 0
    text = settings["text"]
    imports = ["from playground.models.markov import MarkovGenerator"]
    if corpus_name:
        body = [f"text = load_corpus({literal(corpus_name)})  # a built-in corpus"]
        imports.append("from playground.models.datasets.text import load_corpus")
    elif len(text.encode("utf-8")) <= MAX_EMBEDDED_TEXT_BYTES:
        origin = f"read from {corpus_source}" if corpus_source else "typed into the panel"
        body = [f"# Your text ({len(text):,} characters, {origin}).", text_assignment("text", text)]
    else:
        body = [f"# Your text ({len(text.encode('utf-8')) / 1000:.0f} kB"
                + (f", from {corpus_source}" if corpus_source else "") + ") is too long to write out here (at most "
                f"{MAX_EMBEDDED_TEXT_BYTES // 1000} kB).",
                "# Read it with  text = load_text_file(\"path/to/your.txt\").text  (from "
                "playground.models.datasets.text);",
                f"# until then this script learns the built-in {literal(FALLBACK_CORPUS)} corpus, so its text differs "
                "from the panel's.",
                f"text = load_corpus({literal(FALLBACK_CORPUS)})"]
        imports.append("from playground.models.datasets.text import load_corpus")
    order, level = int(settings["order"]), settings["level"]
    body += ["",
             f"# P(next token | the last {plural(order, level if level == 'word' else 'character')}), from counts in "
             "the text.",
             call("MarkovGenerator", Code("text"), order=order, level=level,
                  smoothing=float(settings["smoothing"]), temperature=float(settings["temperature"]),
                  top_k=settings["top_k"] or None, start=settings["start"], seed=int(seed), prefix="model = ")]
    if steps:
        body += [f"for _ in range({steps}):  # one token per step", "    model.advance()"]
    body += ["snap = model.snapshot()"]

    printing = "\n".join([
        'print("generated text:")',
        "print(snap.text)",
        "print()",
        'print("perplexity of the generated tokens:", snap.perplexity)',
        'print("share of new n-grams (not copied from the corpus):", snap.novel_fraction)',
        'print("tokens that backed off to a shorter context:", snap.n_backed_off)',
    ])
    return script(
        title="Markov text",
        about=f"An order-{order} {level}-level Markov chain writing {plural(steps, 'token')} at temperature "
              f"{float(settings['temperature']):g}, seed {seed} — the Markov text panel's run replayed with "
              "playground.models.markov.",
        imports=imports, body="\n".join(body), printing=printing,
        plotting=PLOT.replace("SEPARATOR", literal("" if level == "char" else " ")))


PLOT = """\
# How the last token was chosen: the most likely next tokens after its context, and their probabilities.
last = snap.last
if last is not None:
    labels = [repr(token) for token in last.candidates]
    plt.barh(labels[::-1], last.probabilities[::-1])
    plt.xlabel("probability")
    context = SEPARATOR.join(last.context)
    plt.title(f"After {context!r} the model drew {last.token!r}")
    plt.tight_layout()
"""
