"""The ``classifier`` family: a bidirectional GRU over a text, pooled into one vector by attention.

The seed notes' IMDB models: word embeddings → bidirectional GRU → annotations
h_1..h_S (2E each) → attention pooling → one vector c → logits over the labels.

- ``pooling="self_attention"`` (the seed's "self-attention" model, additive scoring; Yang et al. 2016, Lin
  et al. 2017 with one hop): e_j = vᵀ tanh(W h_j), α = softmax(e) over the words,
  c = Σ_j α_j h_j.
- ``pooling="multihead"``: H learned queries q_h read the words in parallel, as the
  heads of a Transformer (Vaswani et al. 2017): K = H W_K, V = H W_V split into H
  heads of d/H, α_h = softmax(q_h K_hᵀ / √(d/H)), c = [Σ_j α_hj V_hj]_h W_O.

Attention records are (layers 1, heads H, T 1, S): one query (the pooling) over the
S words; self-attention pooling has H = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..data.tokenization import PAD
from .base import FAMILIES, FamilyConfig

POOLINGS = {
    "self_attention": "self-attention pooling vᵀtanh(W h_j)",
    "multihead": "multi-head attention pooling (learned queries, scaled dot-product)",
}


@dataclass
class ClassifierConfig(FamilyConfig):
    """Architecture of a ``classifier`` model.

    Attributes:
        src_vocab_size: vocabulary size, special tokens included.
        tgt_vocab_size: the number of labels (a classifier has no target vocabulary).
        embedding_size: word embedding width.
        encoder_size: GRU width per direction; annotations have 2 × this.
        attention_size: width of W in self-attention pooling, of the keys and values in multi-head pooling.
        pooling: a key of ``POOLINGS``.
        heads: attention heads of multi-head pooling (1 for self_attention); divides attention_size.
        dropout: on embeddings and the pooled vector during training, in [0, 1).
        max_tokens: texts are cut to their first max_tokens tokens, in training and use.

    Raises:
        ValueError (on construction): a field out of range, naming it.
    """

    embedding_size: int = 128
    encoder_size: int = 64  # a 2-core CPU trains 128 per direction 2.3× slower per epoch (measured)
    attention_size: int = 128
    pooling: str = "self_attention"
    heads: int = 1
    dropout: float = 0.3
    max_tokens: int = 400

    def __post_init__(self):
        # checked before anything is allocated: a hostile config must not ask for gigabytes
        self.check_range("src_vocab_size", 5, 1_000_000)
        self.check_range("tgt_vocab_size", 2, 100)
        for name in ("embedding_size", "encoder_size", "attention_size"):
            self.check_range(name, 1, 4096)
        self.check_range("heads", 1, 64)
        self.check_range("dropout", 0.0, 1.0, high_open=True)
        self.check_range("max_tokens", 1, 100_000)
        if self.pooling not in POOLINGS:
            raise ValueError(f"field 'pooling' is {self.pooling!r}; expected one of {', '.join(POOLINGS)}")
        if self.pooling == "self_attention" and self.heads != 1:
            raise ValueError("field 'heads' must be 1 for self_attention pooling")
        if self.attention_size % self.heads:
            raise ValueError(
                f"field 'attention_size' ({self.attention_size}) must be divisible by 'heads' ({self.heads})"
            )


@FAMILIES.register
class AttentionClassifier(nn.Module):
    """BiGRU encoder with attention pooling (see the module docstring)."""

    family = "classifier"
    task = "classification"
    display_name = "BiGRU text classifier with attention pooling"
    config_class = ClassifierConfig

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        c = config
        d = 2 * c.encoder_size
        self.embed = nn.Embedding(c.src_vocab_size, c.embedding_size, padding_idx=PAD)
        self.encoder = nn.GRU(c.embedding_size, c.encoder_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(c.dropout)
        if c.pooling == "self_attention":
            self.W = nn.Linear(d, c.attention_size)
            self.v = nn.Linear(c.attention_size, 1, bias=False)
            pooled = d
        else:
            self.queries = nn.Parameter(torch.randn(c.heads, c.attention_size // c.heads) / math.sqrt(c.attention_size))
            self.W_K = nn.Linear(d, c.attention_size)
            self.W_V = nn.Linear(d, c.attention_size)
            self.W_O = nn.Linear(c.attention_size, c.attention_size)
            pooled = c.attention_size
        self.output = nn.Linear(pooled, c.tgt_vocab_size)

    @property
    def device(self) -> torch.device:
        """Where the parameters live."""
        return next(self.parameters()).device

    def attention_shape(self) -> tuple[int, int]:
        """(layers, heads) of the pooling attention records."""
        return 1, self.config.heads

    def attention_maps(self) -> tuple[str, ...]:
        """The one map: the pooling over the words."""
        return ("pooling",)

    def describe(self) -> str:
        """A one-line label, e.g. 'BiGRU · multi-head attention pooling (learned queries, scaled dot), 4 heads'."""
        heads = f", {self.config.heads} heads" if self.config.pooling == "multihead" else ""
        return f"BiGRU · {POOLINGS[self.config.pooling]}{heads}"

    def architecture(self, source_language: str) -> str:
        """The model card's architecture paragraph."""
        c = self.config
        return (
            f"Embeddings {c.embedding_size}, bidirectional GRU {c.encoder_size} per direction (annotations "
            f"{2 * c.encoder_size}), {POOLINGS[c.pooling]}"
            + (
                f" with {c.heads} heads of {c.attention_size // c.heads}"
                if c.pooling == "multihead"
                else f" of width {c.attention_size}"
            )
            + f", dropout {c.dropout}, vocabulary {c.src_vocab_size} lowercased Moses tokens; texts cut to "
            f"their first {c.max_tokens} tokens."
        )

    def annotations(
        self, src: torch.Tensor, lengths: torch.Tensor, embedded: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(B, S, 2E) annotations of token ids ``src`` (B, S) with ``lengths`` (B,) ≥ 1, or of their
        ``embedded`` (B, S, emb) vectors when given."""
        embedded = self.dropout(self.embed(src) if embedded is None else embedded)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, _ = self.encoder(packed)
        return pad_packed_sequence(output, batch_first=True, total_length=src.size(1))[0]

    def pool(self, annotations: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Attention pooling.

        Args:
            annotations: (B, S, 2E); mask: (B, S) bool, True at real words.

        Returns:
            pooled: (B, d) the vector the output layer reads; weights: (B, H, S) float,
            each head's row sums to 1 over the real words.
        """
        if self.config.pooling == "self_attention":
            energies = self.v(torch.tanh(self.W(annotations))).transpose(1, 2)  # (B, 1, S)
            weights = torch.softmax(energies.masked_fill(~mask[:, None], float("-inf")), dim=-1)
            return (weights @ annotations).squeeze(1), weights
        B, S, _ = annotations.shape
        H = self.config.heads
        keys = self.W_K(annotations).view(B, S, H, -1).transpose(1, 2)  # (B, H, S, d_h)
        values = self.W_V(annotations).view(B, S, H, -1).transpose(1, 2)
        energies = torch.einsum("hd,bhsd->bhs", self.queries, keys) / math.sqrt(keys.size(-1))
        weights = torch.softmax(energies.masked_fill(~mask[:, None], float("-inf")), dim=-1)  # (B, H, S)
        heads = torch.einsum("bhs,bhsd->bhd", weights, values)  # (B, H, d_h)
        return self.W_O(heads.reshape(B, -1)), weights

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, embedded: torch.Tensor | None = None):
        """Classify a batch.

        Args:
            src: (B, S) long token ids padded with PAD; lengths: (B,) long, each ≥ 1.
            embedded: (B, S, emb) embeddings to use instead of looking ``src`` up (for
                gradient × input attributions); None in training and use.

        Returns:
            logits: (B, labels) float; attention: (B, 1, H, 1, S) float, the pooling weights.
        """
        mask = torch.arange(src.size(1), device=src.device)[None] < lengths[:, None].to(src.device)
        pooled, weights = self.pool(self.annotations(src, lengths, embedded), mask)
        return self.output(self.dropout(pooled)), weights[:, None, :, None, :]
