"""The sequence models: shapes, causality, padding invariance, and that a few steps learn."""

import pytest
import torch
from torch.nn import functional as F

from dlrepro.sequence.models import SEQ_MODELS, SeqModelConfig
from dlrepro.sequence.networks import SequenceModel, parameter_counts

torch.set_num_threads(1)
CFG = SeqModelConfig(
    width=16,
    rnn_layers=1,
    rnn_hidden=16,
    lstm_layers=1,
    lstm_hidden=8,
    transformer_layers=1,
    heads=2,
    ff_width=16,
    dropout=0.0,
)


@pytest.mark.parametrize("kind", SEQ_MODELS)
def test_output_shapes(kind):
    torch.manual_seed(0)
    lm = SequenceModel(kind, vocab_size=11, n_outputs=11, config=CFG, causal=True)
    assert lm(torch.randint(1, 11, (3, 7))).shape == (3, 7, 11), "LM: (B, T) -> (B, T, vocab)"
    clf = SequenceModel(kind, vocab_size=11, n_outputs=2, config=CFG, causal=False)
    x = torch.randint(1, 11, (3, 7))
    assert clf(x, x != 0).shape == (3, 2), "classifier: (B, T) -> (B, classes)"


@pytest.mark.parametrize("kind", SEQ_MODELS)
def test_language_model_is_causal(kind):
    torch.manual_seed(0)
    model = SequenceModel(kind, vocab_size=11, n_outputs=11, config=CFG, causal=True).eval()
    x = torch.randint(1, 11, (2, 9))
    y = x.clone()
    y[:, 5:] = torch.randint(1, 11, (2, 4))  # change the future only
    with torch.no_grad():
        a, b = model(x), model(y)
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:]), "later positions must see the changed tokens"


@pytest.mark.parametrize("kind", SEQ_MODELS)
def test_classifier_ignores_padding(kind):
    torch.manual_seed(0)
    model = SequenceModel(kind, vocab_size=11, n_outputs=2, config=CFG, causal=False).eval()
    x = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
    padded = F.pad(x, (0, 5))  # five more pad positions
    with torch.no_grad():
        torch.testing.assert_close(model(x, x != 0), model(padded, padded != 0))


@pytest.mark.parametrize("kind", SEQ_MODELS)
def test_a_few_steps_lower_the_loss_on_a_fixed_batch(kind):
    torch.manual_seed(0)
    model = SequenceModel(kind, vocab_size=11, n_outputs=11, config=CFG, causal=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randint(1, 11, (4, 12))
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], f"{kind}: loss {losses[0]:.3f} -> {losses[-1]:.3f}"


def test_default_backbones_have_comparable_parameter_counts():
    counts = {
        k: parameter_counts(SequenceModel(k, vocab_size=66, n_outputs=66, config=SeqModelConfig(), causal=True))[
            "backbone"
        ]
        for k in SEQ_MODELS
    }
    assert max(counts.values()) / min(counts.values()) < 1.25, counts


def test_unknown_model_and_config_key_fail_loudly():
    with pytest.raises(AssertionError, match="gru"):
        SequenceModel("gru", vocab_size=5, n_outputs=2, config=CFG, causal=False)
    with pytest.raises(ValueError, match="widht"):
        SeqModelConfig.from_dict({"widht": 3})


def test_rotary_positions_make_attention_scores_depend_on_distance_only():
    from dlrepro.sequence.networks import rotary, rotary_angles

    torch.manual_seed(0)
    q, k = torch.randn(16), torch.randn(16)
    angles = rotary_angles(40, 16)
    at = lambda v, t: rotary(v.expand(1, 1, 40, 16), angles)[0, 0, t]  # noqa: E731
    score = lambda t, s: float(at(q, t) @ at(k, s))  # noqa: E731
    assert score(7, 3) == pytest.approx(score(30, 26), rel=1e-4) and score(7, 3) != pytest.approx(score(7, 4), rel=1e-3)
    assert float(at(q, 33).norm()) == pytest.approx(float(q.norm()), rel=1e-5), "a rotation keeps lengths"


def test_a_head_width_that_rotary_positions_cannot_pair_is_refused():
    from dlrepro.sequence.models import SeqModelConfig
    from dlrepro.sequence.networks import SequenceModel

    with pytest.raises(ValueError, match="even whole number"):
        SequenceModel("transformer", vocab_size=10, n_outputs=10, config=SeqModelConfig(width=36, heads=4), causal=True)
