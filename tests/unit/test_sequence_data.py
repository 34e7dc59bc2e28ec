"""Text data of the sequence study: tokens, vocabularies, the stratified split, batches, CSV input and its checks."""

import numpy as np
import pytest

from dlrepro.sequence.data import (
    PAD,
    UNK,
    bucketed_batches,
    build_vocab,
    char_corpus,
    check_labelled_csv,
    encode,
    load_labelled_texts,
    min_rows_per_class,
    read_labelled_csv,
    split_sizes,
    stratified_split,
    tokenize,
)


def test_tokenize_keeps_inner_apostrophes_and_splits_punctuation():
    assert tokenize("It's a  MUST-see, isn't it?") == ["it's", "a", "must-see", ",", "isn't", "it", "?"]


def test_vocabulary_counts_and_encoding():
    vocab = build_vocab([["a", "b", "a"], ["c", "a", "b"]], min_count=2, max_size=10)
    assert vocab == ["<pad>", "<unk>", "a", "b"]
    ids, lengths = encode([["a", "zzz"], [], ["b"] * 5], vocab, max_tokens=3)
    assert ids.tolist() == [[2, UNK, PAD], [UNK, PAD, PAD], [3, 3, 3]]
    assert lengths.tolist() == [2, 1, 3]


def test_stratified_split_is_disjoint_complete_seeded_and_keeps_class_shares():
    labels = np.array([0] * 70 + [1] * 30)
    parts = stratified_split(labels, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=3)
    joined = np.concatenate(list(parts.values()))
    assert sorted(joined.tolist()) == list(range(100)), "every example in exactly one part"
    assert [int(labels[parts["test"]].sum()), len(parts["test"])] == [3, 10], "30% positives in the test part too"
    again = stratified_split(labels, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=3)
    other = stratified_split(labels, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=4)
    assert np.array_equal(parts["test"], again["test"]) and not np.array_equal(parts["test"], other["test"])


def test_bucketed_batches_cover_each_example_once_with_their_own_padded_length():
    lengths = np.random.default_rng(0).integers(1, 40, size=203)
    batches = bucketed_batches(lengths, 16, np.random.default_rng(1), chunk_batches=4)
    idx = np.concatenate([b for b, _ in batches])
    assert sorted(idx.tolist()) == list(range(203))
    assert all(length == lengths[b].max() for b, length in batches)
    padded = sum(len(b) * length for b, length in batches)
    assert padded < 16 * 13 * lengths.max() * 0.8, "bucketing pads far less than padding every batch to the maximum"
    fixed = bucketed_batches(lengths, 16, None)
    assert [b.tolist() for b, _ in fixed] == [b.tolist() for b, _ in bucketed_batches(lengths, 16, None)]


def test_char_corpus_maps_characters_to_the_training_alphabet():
    text = np.frombuffer(b"abcabcabcz", dtype=np.uint8)
    c = char_corpus(text, test_fraction=0.2)
    assert c.alphabet == "abc" and c.train.tolist() == [1, 2, 3] * 2 + [1, 2]
    assert c.test.tolist() == [3, 0] and c.unknown_test_chars == 1, "a character the training part never had maps to 0"


def test_char_corpus_counts_characters_not_bytes():
    c = char_corpus("äöüäöüäöü€€", test_fraction=2 / 11)  # two-byte and three-byte characters
    assert c.alphabet == "äöü" and len(c.train) == 9 and c.test.tolist() == [0, 0] and c.unknown_test_chars == 2


def test_any_csv_with_text_and_label_columns(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text('id,review,stars\n1,"great, fun",good\n2,dull,bad\n3,"a ""classic""",good\n', encoding="utf-8")
    texts, labels, classes = load_labelled_texts(
        source="csv", csv_spec={"path": path, "text_column": "review", "label_column": "stars"}
    )
    assert (
        texts == ["great, fun", "dull", 'a "classic"'] and classes == ["bad", "good"] and labels.tolist() == [1, 0, 1]
    )
    with pytest.raises(ValueError, match="no column 'text'"):
        load_labelled_texts(source="csv", csv_spec={"path": path, "text_column": "text", "label_column": "stars"})


def _csv(tmp_path, rows, name="reviews.csv"):
    path = tmp_path / name
    path.write_text("review,stars\n" + "".join(f"{text},{label}\n" for text, label in rows), encoding="utf-8")
    return {"path": str(path), "text_column": "review", "label_column": "stars"}


SPLIT = {"train": 0.6, "val": 0.2, "test": 0.2}


def test_a_blank_label_is_refused_naming_the_key_the_file_and_the_row(tmp_path):
    spec = _csv(tmp_path, [("great", "good"), ("dull", "bad"), ("fine", "  "), ("awful", "bad")])
    with pytest.raises(ValueError) as err:
        check_labelled_csv(spec, SPLIT)
    message = str(err.value)
    assert "sequence.sentiment.data.csv.path" in message and spec["path"] in message
    assert "row 3 (line 4 of the file) has a blank label (column 'stars')" in message
    with pytest.raises(ValueError, match="row 3 "):
        load_labelled_texts(source="csv", csv_spec=spec)  # the job refuses it too, not a class ""


def test_a_row_without_its_text_cell_is_refused(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("stars,review\ngood,great\nbad\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2 \(line 3 of the file\) has no text \(column 'review'\)"):
        read_labelled_csv(path, text_column="review", label_column="stars")


def test_a_csv_too_small_for_the_split_is_refused_naming_the_rows_each_class_needs(tmp_path):
    assert min_rows_per_class(SPLIT) == 4 and split_sizes(3, SPLIT) == [2, 0, 1] and split_sizes(4, SPLIT) == [2, 1, 1]
    rows = [(f"good {i}", "good") for i in range(4)] + [(f"bad {i}", "bad") for i in range(3)]
    spec = _csv(tmp_path, rows)
    with pytest.raises(ValueError) as err:
        check_labelled_csv(spec, SPLIT)
    message = str(err.value)
    assert "sequence.sentiment.data.csv.path" in message and spec["path"] in message
    assert "class 'bad' has 3 rows" in message and "cuts into 2/0/1" in message
    assert "at least 4 rows" in message and "sequence.sentiment.data.split" in message
    check_labelled_csv(_csv(tmp_path, [*rows, ("bad 3", "bad")]), SPLIT)  # one more row of 'bad' is enough


@pytest.mark.parametrize(
    "split", [SPLIT, {"train": 0.8, "val": 0.1, "test": 0.1}, {"train": 0.5, "val": 0.3, "test": 0.2}]
)
def test_from_the_minimum_on_every_part_gets_an_example_of_each_class(split):
    n = min_rows_per_class(split)
    assert min(split_sizes(n - 1, split)) == 0
    assert all(min(split_sizes(k, split)) >= 1 for k in range(n, 10 * n))
    labels = np.repeat([0, 1], [n, n + 3])
    parts = stratified_split(labels, split, seed=0)
    assert all(set(labels[idx]) == {0, 1} for idx in parts.values()), "what the check promises, the split does"


def test_a_missing_csv_file_is_refused_naming_the_key(tmp_path):
    spec = {"path": str(tmp_path / "nowhere.csv"), "text_column": "text", "label_column": "label"}
    with pytest.raises(ValueError, match="sequence.sentiment.data.csv.path: .*nowhere.csv does not exist"):
        check_labelled_csv(spec, SPLIT)


def test_the_split_does_not_depend_on_the_order_its_parts_are_listed_in():
    """Run settings come with sorted keys (test, train, val): the cut is made in train, val, test order."""
    from dlrepro.sequence.data import stratified_split

    labels = np.repeat([0, 1], 50)
    given = stratified_split(labels, {"train": 0.6, "val": 0.2, "test": 0.2}, seed=3)
    sorted_keys = stratified_split(labels, {"test": 0.2, "train": 0.6, "val": 0.2}, seed=3)
    assert all(np.array_equal(given[k], sorted_keys[k]) for k in ("train", "val", "test"))
    assert len(given["train"]) == 60 and len(given["test"]) == 20
