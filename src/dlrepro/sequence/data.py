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
    "validation_corpus",
    "check_tuning_share",
    "read_labelled_csv",
    "check_labelled_csv",
    "split_sizes",
    "min_rows_per_class",
    "SentenceSet",
    "make_sentence_set",
    "bucketed_batches",
    "epoch_rng",
    "CharCorpus",
    "char_corpus",
    "min_corpus_chars",
    "read_text_corpus",
]

PAD, UNK = 0, 1  # reserved ids of every word vocabulary
CSV_KEY = "sequence.sentiment.data.csv"  # the config block of a CSV source, named in its errors
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


# the order in which each class's shuffled examples are cut into the parts of the split
SPLIT_ORDER = ("train", "val", "test")


def _ordered(fractions: dict[str, float]) -> dict[str, float]:
    """The split's parts in `SPLIT_ORDER` (others after, as given): the cut must not depend on the order
    in which the config files (or a canonical key sort) listed them."""
    known = [name for name in SPLIT_ORDER if name in fractions]
    return {name: fractions[name] for name in [*known, *(n for n in fractions if n not in SPLIT_ORDER)]}


def _cuts(n: int, fractions: dict[str, float]) -> np.ndarray:
    """Where the split cuts `n` shuffled examples of one class: after each part but the last."""
    return np.rint(np.cumsum(list(_ordered(fractions).values())) * n).astype(int)[:-1]


def stratified_split(labels: np.ndarray, fractions: dict[str, float], seed: int) -> dict[str, np.ndarray]:
    """Indices per part, each class shuffled (seeded) and cut by the same `fractions` (they sum to 1)."""
    assert abs(sum(fractions.values()) - 1.0) < 1e-9, f"split fractions must sum to 1, got {fractions}"
    fractions = _ordered(fractions)
    rng = np.random.default_rng(seed)
    parts = {name: [] for name in fractions}
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        for name, chunk in zip(fractions, np.split(idx, _cuts(len(idx), fractions))):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def split_sizes(n: int, fractions: dict[str, float]) -> list[int]:
    """How many of a class's `n` examples each part of `stratified_split` gets."""
    return np.diff([0, *_cuts(n, fractions), n]).tolist()  # in SPLIT_ORDER


def min_rows_per_class(fractions: dict[str, float]) -> int:
    """The fewest examples of a class from which on every part of the split gets at least one of them.

    Rounding lets some smaller counts work too; from 2 / (smallest fraction) on, every part's share
    exceeds one example and all counts work, so the search ends there."""
    last = math.ceil(2 / min(fractions.values())) + 1
    failing = [n for n in range(1, last) if min(split_sizes(n, fractions)) < 1]
    return failing[-1] + 1 if failing else 1


def load_labelled_texts(
    *, source: str, cache: str | None = None, csv_spec: dict | None = None
) -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, integer labels, class names) from the rt_polarity cache or from any CSV file.

    A CSV's label column may hold any values; classes are its distinct values, sorted (`read_labelled_csv`).
    """
    if source == "rt_polarity":
        from dlrepro.data.prepare import decode_texts, load_cache

        c = load_cache(cache)
        return decode_texts(c["text"], c["offsets"]), c["labels"].astype(np.int64), ["negative", "positive"]
    if source != "csv":
        raise ValueError(f"unknown text source {source!r}; use rt_polarity or csv")
    texts, raw = read_labelled_csv(
        csv_spec["path"], text_column=csv_spec["text_column"], label_column=csv_spec["label_column"]
    )
    classes = sorted(set(raw))
    index = {c: i for i, c in enumerate(classes)}
    return texts, np.array([index[v] for v in raw], dtype=np.int64), classes


def read_labelled_csv(
    path: str | Path, *, text_column: str, label_column: str, key: str = CSV_KEY
) -> tuple[list[str], list[str]]:
    """The texts and the labels (stripped of spaces) of a CSV file with a header row.

    A clear error naming `key` and the file for a missing file or column, a row without a text or
    with a blank label (naming the row: a blank would be a class of its own), and fewer than two classes.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{key}.path: {path} does not exist or is not a file")
    texts, labels = [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for column in (text_column, label_column):
            if column not in (reader.fieldnames or []):
                raise ValueError(
                    f"{key}.path: {path} has no column {column!r} (columns: {', '.join(reader.fieldnames or [])})"
                )
        for row_number, row in enumerate(reader, start=1):
            label, text = (row[label_column] or "").strip(), row[text_column]
            if not label or text is None:
                what = f"a blank label (column {label_column!r})" if not label else f"no text (column {text_column!r})"
                where = f"{key}.path: {path}: row {row_number} (line {reader.line_num} of the file)"
                raise ValueError(f"{where} has {what}; fill it in or drop the row")
            texts.append(text)
            labels.append(label)
    if len(set(labels)) < 2:
        raise ValueError(
            f"{key}.path: {path}: column {label_column!r} needs at least two classes, got {sorted(set(labels))}"
        )
    return texts, labels


def check_labelled_csv(csv_spec: dict, split: dict[str, float], *, key: str = CSV_KEY) -> None:
    """Refuse, before any job runs, a CSV that `read_labelled_csv` rejects or that is too small for the
    split: every part of the stratified split (train, val, test) must get at least one row of every
    class, or a class is never learned or never scored (and an empty part stops training with a
    division by zero). The message names the class, its rows, their split and the rows it needs."""
    _, labels = read_labelled_csv(
        csv_spec["path"], text_column=csv_spec["text_column"], label_column=csv_spec["label_column"], key=key
    )
    counts, split = Counter(labels), _ordered(split)
    for cls in sorted(counts):
        sizes = split_sizes(counts[cls], split)
        if min(sizes) < 1:
            shares = "/".join(f"{f:g}" for f in split.values())
            raise ValueError(
                f"{key}.path: {csv_spec['path']}: class {cls!r} has {counts[cls]} rows, which the split "
                f"{'/'.join(split)} {shares} (sequence.sentiment.data.split) cuts into {'/'.join(map(str, sizes))}; "
                f"every part needs a row of each class: give each class at least {min_rows_per_class(split)} rows"
            )


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


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The random draws of training epoch `epoch` (1-based) of the run with `seed`: its batches (`bucketed_batches`)."""
    return np.random.default_rng([seed, epoch])


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


def check_tuning_share(n_chars: int, *, test_fraction: float, val_fraction: float, longest_context: int) -> None:
    """Refuse, naming the key, a tuning share of the training text too short for one window of the longest
    context (checked when the workflow is parsed, before any job)."""
    train = int(round(n_chars * (1.0 - test_fraction)))
    held = train - int(round(train * (1.0 - val_fraction)))
    if held < longest_context + 1:
        raise ValueError(
            f"sequence.char_lm.tune.val_fraction: {val_fraction:g} of the {train:,} training characters holds "
            f"{held:,}, fewer than one window of the longest context ({longest_context} + 1); raise it, or set tune: false"
        )


def validation_corpus(corpus: CharCorpus, fraction: float) -> CharCorpus:
    """The training part alone, its last `fraction` held out in place of the test tail (for tuning: the
    test tail is dropped). The alphabet stays the corpus's; the held-out share needs two characters."""
    cut = int(round(len(corpus.train) * (1.0 - fraction)))
    if cut < 2 or len(corpus.train) - cut < 2:
        raise ValueError(
            f"a validation share of {fraction} leaves too little of {len(corpus.train)} training characters"
        )
    return CharCorpus(corpus.train[:cut], corpus.train[cut:], corpus.alphabet, 0)


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
