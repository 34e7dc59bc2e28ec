"""Edge cases of data handling: the sentiment vocabulary sees the training part only, and a corrupt
checkpoint means starting over, not failing."""

import numpy as np
import torch

from dlrepro.checkpoint import Checkpointer
from dlrepro.sequence.data import UNK, stratified_split, tokenize
from dlrepro.sequence.study import split_sentences

SPLIT = {"train": 0.6, "val": 0.2, "test": 0.2}


def _texts_by_part(seed):
    """Texts whose words say which part of the seeded split they land in."""
    labels = np.array([i % 2 for i in range(40)])
    parts = stratified_split(labels, SPLIT, seed)
    texts = [""] * len(labels)
    for name, idx in parts.items():
        for i in idx:
            texts[i] = f"shared {name}word{i} {'good' if labels[i] else 'bad'}"
    return texts, labels, parts


def test_the_vocabulary_is_built_from_the_training_texts_only():
    texts, labels, parts = _texts_by_part(seed=3)
    sets, vocab = split_sentences(texts, labels, split=SPLIT, min_count=1, max_vocab=1000, max_tokens=6, seed=3)
    train_words = {w for i in parts["train"] for w in tokenize(texts[i])}
    assert len(vocab) == 2 + len(train_words), "<pad>, <unk> and the training words, nothing else"
    assert set(vocab[2:]) == train_words
    assert not [w for w in vocab if w.startswith(("testword", "valword"))], "held-out words leaked into the vocabulary"
    index = {w: i for i, w in enumerate(vocab)}
    for name in ("val", "test"):
        s = sets[name]
        assert len(s.labels) == len(parts[name])
        assert (s.lengths == 3).all()
        assert (s.ids[:, 1] == UNK).all(), f"a word seen only in the {name} texts encodes as <unk>"
        assert (s.ids[:, 0] == index["shared"]).all() and (s.ids[:, 2] != UNK).all()
    assert (sets["train"].ids[:, :3] != UNK).all(), "every training word is known"


def test_a_word_frequent_in_the_test_part_does_not_push_a_training_word_out():
    texts, labels, parts = _texts_by_part(seed=0)
    for i in parts["test"]:
        texts[i] += " flood flood flood flood"  # the most frequent word overall, but only in the test part
    _, vocab = split_sentences(texts, labels, split=SPLIT, min_count=1, max_vocab=5, max_tokens=8, seed=0)
    assert vocab == ["<pad>", "<unk>", "shared", "bad", "good"]


# ---- a corrupt checkpoint ------------------------------------------------------------------------


def test_a_garbage_checkpoint_is_ignored(tmp_path):
    path = tmp_path / ".checkpoint.pt"
    path.write_bytes(b"not a checkpoint at all")
    assert Checkpointer(path, {"run": 1}).load() is None
    assert path.exists(), "load only reads; the next save replaces the file"


def test_a_truncated_checkpoint_is_ignored(tmp_path):
    path = tmp_path / ".checkpoint.pt"
    ckpt = Checkpointer(path, {"run": 1})
    ckpt.save({"weights": torch.arange(1000, dtype=torch.float32), "epoch": 3}, where="epoch 3")
    assert Checkpointer(path, {"run": 1}).load()["epoch"] == 3
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert Checkpointer(path, {"run": 1}).load() is None
    path.write_bytes(b"")
    assert Checkpointer(path, {"run": 1}).load() is None


def test_a_checkpoint_from_other_settings_or_none_at_all_is_ignored(tmp_path):
    path = tmp_path / ".checkpoint.pt"
    assert Checkpointer(path, {"run": 1}).load() is None
    Checkpointer(path, {"run": 1}).save({"epoch": 1})
    assert Checkpointer(path, {"run": 2}).load() is None
    assert Checkpointer(None).load() is None


def test_a_loadable_file_that_is_not_a_checkpoint_is_ignored(tmp_path):
    import torch

    from dlrepro.checkpoint import Checkpointer

    path = tmp_path / ".checkpoint.pt"
    ckpt = Checkpointer(path, {"lr": 1.0})
    for blob in (torch.zeros(3), {"key": ckpt.key}, [1, 2]):  # a bare tensor; the right key, no state; a list
        torch.save(blob, path)
        assert ckpt.load() is None
