"""Text for the Markov text panel: the built-in corpora, and a loader for any UTF-8 text file the user opens.

The loader refuses what it cannot use with a message that says what to do (no such file, a folder, too big, a
binary file such as a PDF or an image) and reads what it can: bytes that are not valid UTF-8 become "�" and are
counted, line endings become "\\n".
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...resources import asset_text

__all__ = ["MAX_TEXT_BYTES", "TextFile", "load_text_file", "CorpusInfo", "CORPORA", "corpus_names", "corpus_info",
           "load_corpus", "python_source"]

MAX_TEXT_BYTES = 20 * 1024 * 1024

#: Starts of common binary formats, named so the message can say what the file is.
_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or a Word/LibreOffice document, which is one)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Control characters other than tab, line feed, form feed and carriage return: rare in text, common in binaries.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
_SAMPLE_CHARS = 1 << 16


@dataclass(frozen=True)
class TextFile:
    text: str
    name: str
    n_bytes: int
    #: How many invalid byte sequences were replaced by "�" (U+FFFD).
    n_replaced: int

    @property
    def note(self) -> str:
        if not self.n_replaced:
            return ""
        return (f"{self.n_replaced} part{'s' if self.n_replaced > 1 else ''} of {self.name} could not be read as "
                f"UTF-8 and {'were' if self.n_replaced > 1 else 'was'} replaced by �")


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def load_text_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_TEXT_BYTES) -> TextFile:
    """Read a text file for the Markov panel. Raises ValueError with a message for the user when it can't."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise ValueError(f"there is no file at {path}")
    if path.is_dir():
        raise ValueError(f"{name} is a folder; choose a text file (.txt) inside it")
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{name} is {_megabytes(size)}; the limit is {_megabytes(max_bytes)}. "
                         "Open a shorter excerpt of it instead.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{name} could not be read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ValueError(f"{name} is empty — there is no text in it to learn from")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise ValueError(f"{name} looks like {kind}, not plain text. Save or export it as a .txt file first.")
    encoding = "utf-16" if data.startswith(_UTF16_BOMS) else "utf-8-sig"
    if encoding == "utf-8-sig" and b"\x00" in data:
        raise ValueError(f"{name} looks like a binary file (it contains zero bytes), not text")
    text = data.decode(encoding, errors="replace")
    # Each replacement inserts exactly one "�", so decoding again with the bad bytes dropped counts them
    # (a "�" that was genuinely in the file is not counted).
    n_replaced = len(text) - len(data.decode(encoding, errors="ignore")) if "\ufffd" in text else 0
    if n_replaced > 0.1 * len(text):
        raise ValueError(f"{name} does not look like UTF-8 text: {n_replaced} of its {len(text)} characters could "
                         "not be decoded. Is it a binary file, or text in another encoding? Re-save it as UTF-8.")
    sample = text[:_SAMPLE_CHARS]
    if len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise ValueError(f"{name} looks like a binary file (it is full of control characters), not text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(text=text, name=name, n_bytes=size, n_replaced=n_replaced)


# ---------------------------------------------------------------------------------------------------------------
# The built-in corpora

@dataclass(frozen=True)
class CorpusInfo:
    name: str
    title: str
    description: str
    #: Settings that show the corpus off well in the panel.
    level: str
    order: int


CORPORA = (
    CorpusInfo("nursery", "Nursery rhymes", "Short, repetitive sentences about a cat on a mat — few enough words "
               "to draw the whole transition graph.", level="word", order=2),
    CorpusInfo("prose", "A short story", "A few pages of prose about a clockmaker's winter.", level="char", order=4),
    CorpusInfo("names", "Invented names", "Over 600 made-up names, one per line: the model invents new ones.",
               level="char", order=3),
    CorpusInfo("weather", "Weather reports", "Formulaic forecasts for invented regions: easy to imitate, "
               "knowing nothing.", level="word", order=2),
    CorpusInfo("python", "Python source", "This program's own source code, read when you choose it.",
               level="char", order=6),
)


def corpus_names() -> tuple[str, ...]:
    return tuple(info.name for info in CORPORA)


def corpus_info(name: str) -> CorpusInfo:
    for info in CORPORA:
        if info.name == name:
            return info
    raise ValueError(f"there is no corpus called {name!r}; choose one of {', '.join(corpus_names())}")


def load_corpus(name: str) -> str:
    """The text of a built-in corpus."""
    info = corpus_info(name)
    if info.name == "python":
        return python_source()
    return asset_text("corpora", f"{info.name}.txt")


def python_source() -> str:
    """The playground's own Python files, concatenated (read now, so it is always the current code)."""
    package = Path(__file__).resolve().parents[2]
    parts = []
    for path in sorted(package.rglob("*.py")):
        if "_assets" in path.parts:
            continue
        parts.append(f"# --- {path.relative_to(package.parent).as_posix()} ---\n"
                     f"{path.read_text(encoding='utf-8', errors='replace')}")
    return "\n\n".join(parts)
