"""Vanilla RNN, LSTM and pre-norm Transformer encoder behind one shared embedding and output head.

Follows pytorch/examples' `word_language_model/model.py`: one module picks its backbone by name
(`getattr(nn, "RNN"|"LSTM")` for the recurrent ones), so a single `seq_model` wildcard chooses.
The same class serves both tasks:

- classification (`causal=False`): masked mean over the valid positions -> linear head to classes;
- language modelling (`causal=True`): the head maps every position to next-token logits; the
  Transformer gets a causal mask, the recurrent models are causal by construction.

Positions enter the Transformer as rotary embeddings of the queries and keys (RoPE, Su et al. 2021:
channel pairs turned by an angle proportional to the position, so attention scores depend on positions
only through their distance), not as sinusoids added to the token embeddings (Vaswani et al. 2017).
Measured in `docs/lm_context.md`: with added sinusoids the character LM at context 256 barely learns
to attend to recent characters within the CPU budget (3.22 bpc against 2.88 at context 64, x4, three
seeds); with RoPE it reaches 2.71 against 2.68, no parameter added, the fused attention kept.
Its blocks are pre-norm (x + attn(LN(x)), x + ff(LN(x)), a final LayerNorm) and attend with
`F.scaled_dot_product_attention`, which takes the fused kernels; dropout acts on the residual
branches, not on the attention weights (that would force the unfused path, ~5x slower on CPU).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from dlrepro.sequence.models import SEQ_MODELS, SeqModelConfig

__all__ = ["SequenceModel", "parameter_counts", "rotary_angles", "rotary"]


def rotary_angles(length: int, head_width: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(T, d/2) cosines and sines of the rotary angles t * 10000^(-2i/d), computed once per forward pass."""
    freq = 10_000.0 ** (-torch.arange(0, head_width, 2, dtype=torch.float32, device=device) / head_width)
    angle = torch.arange(length, dtype=torch.float32, device=device)[:, None] * freq  # (T, d/2)
    return angle.cos(), angle.sin()


def rotary(x: torch.Tensor, angles: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """(B, H, T, d) queries or keys with each channel pair (2i, 2i + 1) at position t turned by its angle."""
    cos, sin = angles
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class PreNormBlock(nn.Module):
    """x + attention(LN(x)), then x + feed-forward(LN(x)); `heads` heads of width `width // heads`."""

    def __init__(self, width: int, heads: int, ff_width: int, dropout: float):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ff = nn.Sequential(nn.Linear(width, ff_width), nn.GELU(), nn.Linear(ff_width, width))

    def forward(self, x: torch.Tensor, angles, *, causal: bool, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """`angles`: `rotary_angles(T, width // heads)`, the positions of the queries and keys."""
        b, t, w = x.shape
        q, k, v = (
            self.qkv(self.norm1(x)).view(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        )  # 3 x (B, H, T, w/H)
        q, k = rotary(q, angles), rotary(k, angles)
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]  # (B, 1, 1, T): attend to valid keys
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=causal)  # (B, H, T, w/H)
        x = x + F.dropout(self.proj(a.transpose(1, 2).reshape(b, t, w)), self.dropout, self.training)
        return x + F.dropout(self.ff(self.norm2(x)), self.dropout, self.training)


class SequenceModel(nn.Module):
    """Embedding -> backbone (`rnn` | `lstm` | `transformer`) -> head, for classification or LM."""

    def __init__(
        self, kind: str, *, vocab_size: int, n_outputs: int, config: SeqModelConfig, causal: bool, pad_index: int = 0
    ):
        super().__init__()
        assert kind in SEQ_MODELS, f"unknown sequence model {kind!r}; known: {SEQ_MODELS}"
        c = config
        self.kind, self.causal, self.width = kind, causal, c.width
        self.embed = nn.Embedding(vocab_size, c.width, padding_idx=pad_index)
        self.drop = nn.Dropout(c.dropout)
        if kind == "transformer":
            if c.width % c.heads or (c.width // c.heads) % 2:
                raise ValueError(
                    f"sequence.model: width {c.width} / heads {c.heads} must be an even whole number "
                    "(rotary positions turn pairs of each head's channels)"
                )
            blocks = [PreNormBlock(c.width, c.heads, c.ff_width, c.dropout) for _ in range(c.transformer_layers)]
            self.backbone = nn.ModuleList([*blocks, nn.LayerNorm(c.width)])
            out_width = c.width
        else:
            layers, hidden = (c.rnn_layers, c.rnn_hidden) if kind == "rnn" else (c.lstm_layers, c.lstm_hidden)
            extra = {"nonlinearity": "tanh"} if kind == "rnn" else {}
            self.backbone = getattr(nn, kind.upper())(
                c.width, hidden, layers, batch_first=True, dropout=c.dropout if layers > 1 else 0.0, **extra
            )
            out_width = hidden
        self.head = nn.Linear(out_width, n_outputs)

    def features(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) token ids -> (B, T, out_width); `mask` (B, T) is True at valid positions."""
        x = self.drop(self.embed(tokens))  # (B, T, width)
        if self.kind != "transformer":
            return self.drop(self.backbone(x)[0])  # (B, T, hidden)
        *blocks, final_norm = self.backbone
        angles = rotary_angles(tokens.shape[1], self.width // blocks[0].heads, tokens.device)
        for block in blocks:
            x = block(x, angles, causal=self.causal, key_mask=None if self.causal else mask)
        return final_norm(x)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """LM: (B, T) -> (B, T, vocab) logits. Classification: (B, T), mask (B, T) -> (B, classes)."""
        h = self.features(tokens, mask)
        if self.causal:
            return self.head(h)
        if mask is None:
            return self.head(h.mean(dim=1))
        m = mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1)
        pooled = (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)  # (B, out_width): masked mean
        return self.head(pooled)


def parameter_counts(model: SequenceModel) -> dict[str, int]:
    """Parameters of the backbone alone, of the shared embedding + head, and in all."""
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return {
        "backbone": count(model.backbone),
        "embedding_head": count(model.embed) + count(model.head),
        "total": count(model),
    }
