"""The sequence study's three models as names and numbers: vanilla RNN, LSTM and pre-norm Transformer.

Their names in reading order, their labels in tables and figures, their shared architecture settings
(`SeqModelConfig`) and the dependent steps of one forward pass (`sequential_steps`). Pure Python: the
summary, report and figure rules (which run without torch) read it; the torch modules themselves are
in `dlrepro.sequence.networks`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlrepro.config_errors import check_known_keys

__all__ = ["SEQ_MODELS", "RECURRENT", "LABELS", "BASELINES", "SeqModelConfig", "sequential_steps"]

SEQ_MODELS = ("rnn", "lstm", "transformer")  # the models' reading order (JSON files sort their keys)
RECURRENT = ("rnn", "lstm")
LABELS = {"rnn": "vanilla RNN (tanh)", "lstm": "LSTM", "transformer": "Transformer (pre-norm)"}
# the sentiment baselines (dlrepro.sequence.baseline) in reading order, with their short names
BASELINES = {"bow": "bag-of-words LR", "nblr": "NB-LR"}


@dataclass(frozen=True)
class SeqModelConfig:
    """The architecture both tasks share (the config's `sequence.model` block) and a task's dropout.

    Its defaults are the schema's: the default config's architecture, which the benchmarks and the
    parameter-count test build. A training run builds it from its settings and sets `dropout` from
    its task's `optim` block; the throughput measurement keeps the default dropout."""

    width: int = 64  # embedding width = the backbone's input and output width, all models
    rnn_layers: int = 2  # stacked tanh RNN layers
    rnn_hidden: int = 128  # hidden units of each RNN layer (wider: an RNN cell has 1/4 of an LSTM's weights)
    lstm_layers: int = 2  # stacked LSTM layers
    lstm_hidden: int = 64  # hidden units of each LSTM layer
    transformer_layers: int = 2  # pre-norm encoder layers
    heads: int = 4  # attention heads (width must divide by it)
    ff_width: int = 128  # hidden units of each Transformer feed-forward block
    dropout: float = 0.1  # dropout on embeddings and inside the backbones

    @classmethod
    def from_dict(cls, d: dict) -> SeqModelConfig:
        check_known_keys(cls, d, "sequence models")
        return cls(**d)


def sequential_steps(kind: str, config: SeqModelConfig, length: int) -> int:
    """Dependent steps on the critical path of one forward pass over `length` positions, counted from the
    architecture: a recurrent layer must finish position t before t + 1, and layer l + 1 can start at
    position t once layer l has finished it, so a stack of n layers needs length + n - 1 dependent cell
    updates (the best a recurrent stack can do); a Transformer block computes every position at once
    (attention, then feed-forward: 2 dependent steps per block, whatever the length)."""
    if kind == "rnn":
        return length + config.rnn_layers - 1
    if kind == "lstm":
        return length + config.lstm_layers - 1
    if kind == "transformer":
        return 2 * config.transformer_layers
    raise ValueError(f"unknown sequence model {kind!r}; expected one of {', '.join(SEQ_MODELS)}")
