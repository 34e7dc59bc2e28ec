"""Text data for the sequence study: tokens, vocabularies, the seeded split, bucketed batches, LM windows.

Task A (classification) keeps every sentence as a row of one pre-padded (N, max_tokens) id tensor;
an epoch is a permutation, cut into batches of similar length (bucketed within chunks) and each
batch trimmed to its own longest sentence, so no Python touches single examples inside the loop.
Task B (character LM) keeps the corpus as one id tensor; a batch is random windows sliced by indexing.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "PAD",
    "UNK",
    "tokenize",
    "build_vocab",
    "encode",
    "stratified_split",
    "load_labelled_texts",
    "SentenceSet",
    "make_sentence_set",
    "bucketed_batches",
    "CharCorpus",
    "char_corpus",
    "min_corpus_chars",
    "read_text_corpus",
]

PAD, UNK = 0, 1  # reserved ids of every word vocabulary
_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes and hyphens) and single punctuation marks."""
    return _TOKEN.findall(text.lower())


def build_vocab(token_lists, *, min_count: int, max_size: int) -> list[str]:
    """Words seen at least `min_count` times, most frequent first (ties alphabetical), after <pad>, <unk>."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return ["<pad>", "<unk>", *words[: max(0, max_size - 2)]]


def encode(token_lists, vocab: list[str], max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, max_tokens) int64 ids, right-padded with PAD and truncated, and (N,) lengths (at least 1)."""
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.full((len(token_lists), max_tokens), PAD, dtype=np.int64)
    lengths = np.zeros(len(token_lists), dtype=np.int64)
    for i, tokens in enumerate(token_lists):
        row = [index.get(t, UNK) for t in tokens[:max_tokens]] or [UNK]  # an empty text is one unknown word
        ids[i, : len(row)] = row
        lengths[i] = len(row)
    return ids, lengths


def stratified_split(labels: np.ndarray, fractions: dict[str, float], seed: int) -> dict[str, np.ndarray]:
    """Indices per part, each class shuffled (seeded) and cut by the same `fractions` (they sum to 1)."""
    assert abs(sum(fractions.values()) - 1.0) < 1e-9, f"split fractions must sum to 1, got {fractions}"
    rng = np.random.default_rng(seed)
    parts = {name: [] for name in fractions}
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        cuts = np.rint(np.cumsum(list(fractions.values())) * len(idx)).astype(int)
        for name, chunk in zip(fractions, np.split(idx, cuts[:-1])):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def load_labelled_texts(
    *, source: str, cache: str | None = None, csv_spec: dict | None = None
) -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, integer labels, class names) from the rt_polarity cache or from any CSV file.

    A CSV's label column may hold any values; classes are its distinct values, sorted.
    """
    if source == "rt_polarity":
        from dlrepro.data.prepare import decode_texts, load_cache

        c = load_cache(cache)
        return decode_texts(c["text"], c["offsets"]), c["labels"].astype(np.int64), ["negative", "positive"]
    if source != "csv":
        raise ValueError(f"unknown text source {source!r}; use rt_polarity or csv")
    with open(Path(csv_spec["path"]), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for column in (csv_spec["text_column"], csv_spec["label_column"]):
        if rows and column not in rows[0]:
            raise ValueError(f"{csv_spec['path']}: no column {column!r} (columns: {', '.join(rows[0])})")
    raw = [r[csv_spec["label_column"]].strip() for r in rows]
    classes = sorted(set(raw))
    if len(classes) < 2:
        raise ValueError(
            f"{csv_spec['path']}: column {csv_spec['label_column']!r} needs at least two classes, got {classes}"
        )
    index = {c: i for i, c in enumerate(classes)}
    return [r[csv_spec["text_column"]] for r in rows], np.array([index[v] for v in raw], dtype=np.int64), classes


@dataclass
class SentenceSet:
    ids: np.ndarray  # (N, max_tokens) int64, right-padded with PAD
    lengths: np.ndarray  # (N,) tokens per sentence
    labels: np.ndarray  # (N,) int64 classes


def make_sentence_set(texts, labels, vocab, max_tokens) -> SentenceSet:
    ids, lengths = encode([tokenize(t) for t in texts], vocab, max_tokens)
    return SentenceSet(ids, lengths, np.asarray(labels, dtype=np.int64))


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None, *, chunk_batches: int = 32):
    """One epoch's batches as (indices, padded length): shuffled, then sorted by length within chunks.

    `rng=None` gives the fixed evaluation order (sorted by length). Batch order is shuffled again so
    that lengths do not follow a pattern within the epoch.
    """
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    else:
        perm = rng.permutation(len(lengths))
        chunk = batch_size * chunk_batches
        batches = []
        for start in range(0, len(perm), chunk):
            part = perm[start : start + chunk]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return [(b, int(lengths[b].max())) for b in batches]


@dataclass
class CharCorpus:
    train: np.ndarray  # (n_train,) int64 ids
    test: np.ndarray  # (n_test,) int64 ids, the held-out tail of the corpus
    alphabet: str  # id i is character alphabet[i - 1]; id 0 is the unknown symbol
    unknown_test_chars: int = 0  # held-out characters the training part never had (scored as the unknown symbol)


def char_corpus(text: np.ndarray | str, *, test_fraction: float) -> CharCorpus:
    """Split the corpus (UTF-8 bytes or a str) into a training head and a held-out tail, by characters;
    the alphabet is the training part's characters, and every other character is one unknown symbol."""
    if not isinstance(text, str):
        text = np.asarray(text, dtype=np.uint8).tobytes().decode("utf-8")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)
    cut = int(round(len(codes) * (1.0 - test_fraction)))
    alphabet = np.unique(codes[:cut])
    at = np.minimum(np.searchsorted(alphabet, codes), len(alphabet) - 1)
    ids = np.where(alphabet[at] == codes, at + 1, 0)  # sorted alphabet: id = rank + 1, unseen: 0
    return CharCorpus(ids[:cut], ids[cut:], "".join(map(chr, alphabet)), int((ids[cut:] == 0).sum()))


def min_corpus_chars(longest_context: int, test_fraction: float) -> int:
    """The shortest corpus whose training head and held-out tail each hold one window of the longest context."""
    need = longest_context + 1
    return max(math.ceil(need / test_fraction), math.ceil(need / (1.0 - test_fraction)))


def read_text_corpus(
    path: str | Path, *, longest_context: int, test_fraction: float, key: str = "sequence.char_lm.data.path"
) -> str:
    """A user's UTF-8 text file as the character LM's corpus; a clear error (naming `key` and the file) for
    a missing, empty, binary or too-short file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{key}: {path} does not exist or is not a file")
    raw = path.read_bytes()
    if b"\0" in raw:
        raise ValueError(f"{key}: {path} holds NUL bytes: a binary file, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{key}: {path} is not UTF-8 text ({e})") from None
    need = min_corpus_chars(longest_context, test_fraction)
    if len(text) < need:
        raise ValueError(
            f"{key}: {path} has {len(text):,} characters; the longest context ({longest_context}) with "
            f"test_fraction {test_fraction:g} needs at least {need:,}"
        )
    return text
