"""The ``bottleneck`` family: an encoder–decoder without attention, the baseline attention was invented to beat.

The encoder reads the sentence with the zoo's bidirectional GRU and keeps one
fixed vector c = [→h_S; ←h_1] (the last forward and the first backward state).
The decoder sees only c: s_0 = tanh(W_init c), s_i = GRU([y_{i-1}; c], s_{i-1}),
t_i = tanh(W_o [s_i; c; y_{i-1}]) and logits = E_yᵀ t_i (the RNN encoder–decoder
of Cho et al., 2014, which feeds c at every step; Sutskever et al., 2014, pass it
only as the initial state). Every target word is written from the same c however
long the sentence is: Bahdanau et al. (2015, Fig. 2) show the BLEU of such models
falling with source length, and attention fixing it.

It has no attention map: its attention records are empty, (layers 0, heads 0, T, S).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ..data.tokenization import PAD
from .base import FAMILIES, FamilyConfig, Step, TranslationModel


@dataclass
class BottleneckConfig(FamilyConfig):
    """Architecture of a ``bottleneck`` model (the zoo's ``rnn`` sizes, without the attention).

    Attributes:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (special tokens included).
        embedding_size: embedding and readout width (output tied to the target embeddings).
        encoder_size: GRU width per direction; the fixed vector c has 2 × this.
        decoder_size: decoder state width.
        dropout: on embeddings and readout during training, in [0, 1).

    Raises:
        ValueError: a size outside 1..4096, a vocabulary outside 5..1,000,000, a dropout outside [0, 1).
    """

    embedding_size: int = 256
    encoder_size: int = 128
    decoder_size: int = 256
    dropout: float = 0.2

    def __post_init__(self):
        super().__post_init__()
        self.check_range("dropout", 0, 1, high_open=True)
        for name in ("embedding_size", "encoder_size", "decoder_size"):
            self.check_range(name, 1, 4096)


class Encoded(NamedTuple):
    """The encoder's output for B sentences: summary (B, 2E) the fixed vector c, mask (B, S), state (B, D) s_0."""

    summary: torch.Tensor
    mask: torch.Tensor
    state: torch.Tensor


@FAMILIES.register
class BottleneckSeq2Seq(TranslationModel):
    """GRU encoder–decoder whose decoder sees one fixed vector (see the module docstring)."""

    family = "bottleneck"
    display_name = "GRU encoder–decoder without attention"
    config_class = BottleneckConfig

    def __init__(self, config: BottleneckConfig):
        super().__init__()
        c = self.config = config
        summary = 2 * c.encoder_size
        self.src_embed = nn.Embedding(c.src_vocab_size, c.embedding_size, padding_idx=PAD)
        self.encoder = nn.GRU(c.embedding_size, c.encoder_size, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(summary, c.decoder_size)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.embedding_size, padding_idx=PAD)
        self.gru = nn.GRUCell(c.embedding_size + summary, c.decoder_size)
        self.readout = nn.Linear(c.decoder_size + summary + c.embedding_size, c.embedding_size)
        self.output_bias = nn.Parameter(torch.zeros(c.tgt_vocab_size))
        self.dropout = nn.Dropout(c.dropout)
        for embedding in (self.src_embed, self.tgt_embed):
            nn.init.normal_(embedding.weight, std=c.embedding_size**-0.5)
            embedding.weight.data[PAD].zero_()

    def attention_shape(self) -> tuple[int, int]:
        """No attention: (0 layers, 0 heads)."""
        return 0, 0

    def attention_maps(self) -> tuple[str, ...]:
        """None."""
        return ()

    def describe(self) -> str:
        """The one-line label."""
        return "no attention: one fixed vector (Cho et al. 2014)"

    def architecture(self, source_language: str, target_language: str) -> str:
        """The model card's architecture paragraph."""
        c = self.config
        return (
            f"Embeddings {c.embedding_size}, bidirectional GRU encoder {c.encoder_size} per direction; the decoder\n"
            f"(GRU {c.decoder_size}) sees only the fixed vector c = [last forward; first backward state]\n"
            f"({2 * c.encoder_size} numbers) at every step: **no attention, so no attention map**. Dropout {c.dropout},\n"
            f"vocabularies {c.src_vocab_size} ({source_language}) / {c.tgt_vocab_size} ({target_language}) lowercased\n"
            "tokens; output layer tied to the target embeddings."
        )

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """The fixed vector c (B, 2E) of each sentence, its mask (B, S) and s_0 (B, D).

        Args:
            src: (B, S) long, padded with PAD; lengths: (B,) long, each ≥ 1.
        """
        S = src.size(1)
        mask = torch.arange(S, device=src.device).unsqueeze(0) < lengths.unsqueeze(1)
        packed = pack_padded_sequence(
            self.dropout(self.src_embed(src)), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, final = self.encoder(packed)  # (2, B, E): the forward GRU's last state, the backward GRU's first
        summary = torch.cat([final[0], final[1]], dim=-1)  # c: (B, 2E)
        return Encoded(summary, mask, torch.tanh(self.init_state(summary)))

    @torch.inference_mode()
    def context_vectors(self, source_ids: list[int], weights: np.ndarray) -> np.ndarray:
        """The fixed vector c at every one of the T steps (``weights`` (T, S) only gives T): (T, 2E)."""
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        return np.repeat(encoded.summary.numpy(), len(weights), axis=0)

    def initial_state(self, encoded: Encoded) -> torch.Tensor:
        """s_0: (B, D)."""
        return encoded.state

    def _step(self, y_prev: torch.Tensor, state: torch.Tensor, summary: torch.Tensor):
        y = self.dropout(self.tgt_embed(y_prev))
        state = self.gru(torch.cat([y, summary], dim=1), state)
        readout = torch.tanh(self.readout(torch.cat([state, summary, y], dim=1)))
        return state, readout

    def logits(self, readout: torch.Tensor) -> torch.Tensor:
        """Output layer tied to the target embeddings: (..., emb) → (..., V_tgt)."""
        return nn.functional.linear(self.dropout(readout), self.tgt_embed.weight, self.output_bias)

    def decode_step(self, y_prev: torch.Tensor, state: torch.Tensor, encoded: Encoded, normalize=None) -> Step:
        """One step: logits (B, V), s_i, and empty attention records (B, 0, 0, S); ``normalize`` is unused."""
        state, readout = self._step(y_prev, state, encoded.summary)
        empty = encoded.summary.new_zeros(y_prev.size(0), 0, 0, encoded.mask.size(1))
        return Step(self.logits(readout), state, empty, empty)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher-forced pass: logits (B, T, V_tgt) and empty attention (B, 0, 0, T, S)."""
        encoded = self.encode(src, lengths)
        state, readouts = encoded.state, []
        for i in range(tgt_in.size(1)):
            state, readout = self._step(tgt_in[:, i], state, encoded.summary)
            readouts.append(readout)
        B, T, S = src.size(0), tgt_in.size(1), src.size(1)
        return self.logits(torch.stack(readouts, 1)), encoded.summary.new_zeros(B, 0, 0, T, S)
