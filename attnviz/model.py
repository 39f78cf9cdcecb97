"""The attention encoder–decoder: bidirectional GRU encoder, GRU decoder with attention.

Notation (Bahdanau, Cho & Bengio, 2015): annotations h_1..h_S from the encoder,
decoder state s_i, query q_i, energies e_ij = score(q_i, h_j), weights
α_i = normalize(e_i), context c_i = Σ_j α_ij h_j, previous target word y_{i-1}.

Two query placements:

* ``previous`` (Bahdanau et al., 2015): q_i = s_{i-1};
  s_i = GRU([y_{i-1}; c_i], s_{i-1}). The query has not seen y_{i-1}.
* ``conditional`` (the conditional GRU of Nematus, Sennrich et al., 2017):
  q_i = GRU₁(y_{i-1}, s_{i-1}); s_i = GRU₂(c_i, q_i). The query knows y_{i-1},
  which makes attention much closer to a word alignment.

Both read out t_i = tanh(W_o [s_i; c_i; y_{i-1}]) and logits = E_yᵀ t_i with the
output projection tied to the target embeddings (Press & Wolf, 2017); the
initial state is s_0 = tanh(W_init · mean_j h_j) (Sennrich et al., 2017).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Callable, NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .normalizers import soft
from .scorers import check_sizes, make_scorer

PLACEMENTS = ("conditional", "previous")
PAD, UNK, BOS, EOS = 0, 1, 2, 3  # fixed ids of the special tokens in every vocabulary


@dataclass
class ModelConfig:
    """Architecture of a model; everything needed to rebuild it before loading weights.

    Attributes:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (special tokens included).
        scorer: one of ``scorers.SCORER_NAMES``.
        placement: one of ``PLACEMENTS``.
        embedding_size: source and target embedding width (also the readout width,
            because the output projection is tied to the target embeddings).
        encoder_size: GRU width per direction; annotations (keys) are 2 × this.
        decoder_size: decoder state width (the query size).
        attention_size: hidden width of the additive scorer.
        dropout: on embeddings and readout during training.

    Raises:
        ValueError: unknown scorer or placement, or a dot-product scorer whose
            query size (decoder_size) differs from the key size (2 × encoder_size).
    """

    src_vocab_size: int
    tgt_vocab_size: int
    scorer: str = "additive"
    placement: str = "conditional"
    embedding_size: int = 256
    encoder_size: int = 128
    decoder_size: int = 256
    attention_size: int = 256
    dropout: float = 0.2

    def __post_init__(self):
        if self.placement not in PLACEMENTS:
            raise ValueError(f"unknown placement {self.placement!r}; choose one of {', '.join(PLACEMENTS)}")
        check_sizes(self.scorer, self.decoder_size, self.key_size)

    @property
    def key_size(self) -> int:
        """Size of an annotation h_j (forward and backward GRU states concatenated)."""
        return 2 * self.encoder_size

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        """Build from a dict, ignoring keys that are not fields (e.g. training metadata)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


class Encoded(NamedTuple):
    """The encoder's output for a batch of B sentences of (padded) length S.

    annotations: (B, S, 2E) keys and values h_j.
    prepared: (B, S, d') keys after the scorer's query-independent projection.
    mask: (B, S) bool, True at real positions.
    state: (B, D) initial decoder state s_0.
    """

    annotations: torch.Tensor
    prepared: torch.Tensor
    mask: torch.Tensor
    state: torch.Tensor


class Step(NamedTuple):
    """One decoder step for B hypotheses.

    state: (B, D) s_i.  weights: (B, S) α_i.  energies: (B, S) e_i (-inf at padding).
    readout: (B, R) t_i, turned into logits by ``Seq2Seq.logits``.
    """

    state: torch.Tensor
    weights: torch.Tensor
    energies: torch.Tensor
    readout: torch.Tensor


# A normalizer maps energies (B, S) and mask (B, S) to weights (B, S).
NormalizeFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Seq2Seq(nn.Module):
    """Bidirectional-GRU encoder and attentional GRU decoder (see the module docstring)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = self.config = config
        self.src_embed = nn.Embedding(c.src_vocab_size, c.embedding_size, padding_idx=PAD)
        self.encoder = nn.GRU(c.embedding_size, c.encoder_size, batch_first=True, bidirectional=True)
        self.init_state = nn.Linear(c.key_size, c.decoder_size)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.embedding_size, padding_idx=PAD)
        self.scorer = make_scorer(c.scorer, c.decoder_size, c.key_size, c.attention_size)
        if c.placement == "previous":
            self.gru = nn.GRUCell(c.embedding_size + c.key_size, c.decoder_size)
        else:
            self.gru1 = nn.GRUCell(c.embedding_size, c.decoder_size)
            self.gru2 = nn.GRUCell(c.key_size, c.decoder_size)
        self.readout = nn.Linear(c.decoder_size + c.key_size + c.embedding_size, c.embedding_size)
        self.output_bias = nn.Parameter(torch.zeros(c.tgt_vocab_size))
        self.dropout = nn.Dropout(c.dropout)
        # decoding's cached (emb, V) copy of the tied output matrix, see ``logits``
        self._output_t: torch.Tensor | None = None
        self._output_key: tuple[int, int] | None = None
        for embedding in (self.src_embed, self.tgt_embed):
            # N(0, 1/emb) keeps the tied output logits near unit scale at the start
            nn.init.normal_(embedding.weight, std=c.embedding_size**-0.5)
            embedding.weight.data[PAD].zero_()

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """Run the encoder.

        Args:
            src: (B, S) long source ids, padded with PAD.
            lengths: (B,) long, real lengths (≥ 1).

        Returns:
            Encoded with annotations (B, S, 2E), prepared keys, mask (B, S), s_0 (B, D).
        """
        S = src.size(1)
        mask = torch.arange(S, device=src.device).unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)
        embedded = self.dropout(self.src_embed(src))
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        annotations, _ = self.encoder(packed)
        annotations, _ = pad_packed_sequence(annotations, batch_first=True, total_length=S)  # (B, S, 2E)
        mean = annotations.sum(1) / lengths.unsqueeze(1).to(annotations.dtype)  # (B, 2E)
        state = torch.tanh(self.init_state(mean))  # s_0: (B, D)
        return Encoded(annotations, self.scorer.prepare_keys(annotations), mask, state)

    def query(self, y: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """The query q_i: s_{i-1} (``previous``) or GRU₁(y_{i-1}, s_{i-1}) (``conditional``).

        Args:
            y: (B, emb) embedded y_{i-1}; state: (B, D) s_{i-1}. Returns (B, D).
        """
        return state if self.config.placement == "previous" else self.gru1(y, state)

    def step(
        self,
        y_prev: torch.Tensor,
        state: torch.Tensor,
        encoded: Encoded,
        normalize: NormalizeFn = soft,
    ) -> Step:
        """One decoder step i.

        Args:
            y_prev: (B,) long, y_{i-1} (BOS at the first step).
            state: (B, D) s_{i-1}.
            encoded: the encoder output, batch B (expand it for beams).
            normalize: energies (B, S), mask (B, S) -> weights (B, S); softmax by default.

        Returns:
            Step with s_i, α_i, e_i and the readout t_i.
        """
        y = self.dropout(self.tgt_embed(y_prev))  # (B, emb)
        query = self.query(y, state)  # q_i: (B, D)
        energies = self.scorer.score(query, encoded.prepared).masked_fill(~encoded.mask, float("-inf"))
        weights = normalize(energies, encoded.mask)  # α_i: (B, S)
        context = torch.bmm(weights.unsqueeze(1), encoded.annotations).squeeze(1)  # c_i: (B, 2E)
        if self.config.placement == "previous":
            state = self.gru(torch.cat([y, context], dim=1), state)
        else:
            state = self.gru2(context, query)
        readout = torch.tanh(self.readout(torch.cat([state, context, y], dim=1)))  # t_i: (B, emb)
        return Step(state, weights, energies, readout)

    def logits(self, readout: torch.Tensor) -> torch.Tensor:
        """Output layer, tied to the target embeddings: (..., emb) -> (..., V_tgt)."""
        if self.training or torch.is_grad_enabled():
            return nn.functional.linear(self.dropout(readout), self.tgt_embed.weight, self.output_bias)
        # Decoding multiplies one row at a time by the (V, emb) embedding matrix; on
        # CPU that product is ~1.6x faster against a contiguous (emb, V) copy (measured
        # 134 vs 213 µs per step), so keep one, refreshed whenever the weights change.
        weight = self.tgt_embed.weight
        key = (weight.data_ptr(), weight._version)
        if self._output_key != key:
            self._output_t, self._output_key = weight.detach().t().contiguous(), key
        return torch.matmul(readout, self._output_t) + self.output_bias

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher-forced pass with soft attention (training).

        Args:
            src: (B, S) long; lengths: (B,) long.
            tgt_in: (B, T) long, BOS followed by the target (the decoder inputs).

        Returns:
            logits: (B, T, V_tgt) float; weights: (B, T, S) float.
        """
        encoded = self.encode(src, lengths)
        state, readouts, weights = encoded.state, [], []
        for i in range(tgt_in.size(1)):
            out = self.step(tgt_in[:, i], state, encoded)
            state = out.state
            readouts.append(out.readout)
            weights.append(out.weights)
        # one output projection for the whole batch rather than one per step
        return self.logits(torch.stack(readouts, 1)), torch.stack(weights, 1)
