"""The ``rnn`` family: bidirectional GRU encoder, GRU decoder with attention.

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
Attention records are (1 layer, 1 head, T, S).

With ``alignment_attention`` the decoder has a second head that only aligns:
once y_i is written, q̃_i = GRU₁(y_i, s_i) (the query the next step would form,
which has read y_i) scores the annotations with its own scorer. It feeds no
context vector; guided training supervises it (the alignment is conditioned
on the written word, as Garg et al., 2019 condition theirs on the full target).
Records are then (1, 2, T, S): head 1 the attention the translation used,
head 2 the alignment attention. With ``alignment_full_context`` its query also
reads the words written after y_i: q̃_i = GRU₁(y_i, s_i) + W_f f_{i+1}, where
f_{i+1} is a backward GRU's summary of y_{i+1}..y_n (the alignment layers of
Garg et al., 2019 and Zenkel et al., 2020 see the whole target too); W_f starts
at zero, so a warm start begins with the head it extends.

With ``lexicon_pointer`` the attention also writes words: a source word x_j
with an entry lex(x_j) in a bilingual lexicon (CC-CEDICT's proper nouns,
北京 → beijing) can be copied through its attention weight, and a gate
g_i = σ(w_g · t_i + b_g) decides between generating and copying
(``copy_mixture``; the pointer-generator of See et al., 2017, with a
lexicon's entry as what is copied, as in Arthur et al., 2016). A name the
model saw once in training can then be written whenever attention finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..attention.normalizers import DEFAULT_NORMALIZER, NORMALIZERS, Normalizer
from ..attention.scorers import DEFAULT_SCORER, SCORERS, check_sizes, make_scorer, mask_energies
from ..data.tokenization import BOS, EOS, PAD
from .base import FAMILIES, FamilyConfig, Step, StepTrace, TrainFlag, TranslationModel

# query placement → its label in the app
PLACEMENTS = {"conditional": "conditional GRU (Nematus)", "previous": "previous state (Bahdanau)"}
DEFAULT_PLACEMENT = "conditional"
CONTEXT_FORMULA = r"c_i = \sum_{j=1}^{S} \alpha_{ij}\, h_j"


@dataclass
class RNNConfig(FamilyConfig):
    """Architecture of an ``rnn`` model; everything needed to rebuild it before loading weights.

    Attributes:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (special tokens included).
        scorer: one of ``scorers.SCORERS.names()``.
        placement: one of ``PLACEMENTS``.
        embedding_size: source and target embedding width (also the readout width,
            because the output projection is tied to the target embeddings).
        encoder_size: GRU width per direction; annotations (keys) are 2 × this.
        decoder_size: decoder state width (the query size).
        attention_size: hidden width of the additive scorer.
        dropout: on embeddings and readout during training, in [0, 1).
        normalizer: the normalizer the attention is trained with: ``soft``,
            ``sparsemax`` or ``entmax15`` (differentiable), or ``sample``: stochastic
            hard attention, one sampled position per step, trained with REINFORCE
            (Xu et al., 2015; see ``HardAttentionPolicy``). Decoding uses it unless
            told otherwise (argmax for ``sample``).
        alignment_attention: add the alignment head (see the module docstring); needs the
            ``conditional`` placement, whose GRU₁ reads the written word.
        alignment_full_context: the alignment head's query also reads the words written
            after y_i (a backward GRU over the target); needs ``alignment_attention``.
        lexicon_pointer: mix each step's output distribution with copies of the
            lexicon entries of the attended source words (``copy_mixture``); the
            lexicon, source id → target id, is the buffer ``lexicon`` (filled by
            training from ``dictionary.lexicon_table``, saved with the weights).

    Raises:
        ValueError: unknown scorer, placement or normalizer, a hard normalizer other than ``sample``, a size outside 1..4096, a
            vocabulary outside 5..1,000,000, a dropout outside [0, 1), or a scorer
            that compares query (decoder_size) and key (2 × encoder_size) directly
            with different sizes.
    """

    scorer: str = DEFAULT_SCORER
    placement: str = DEFAULT_PLACEMENT
    embedding_size: int = 256
    encoder_size: int = 128
    decoder_size: int = 256
    attention_size: int = 256
    dropout: float = 0.2
    normalizer: str = DEFAULT_NORMALIZER
    lexicon_pointer: bool = False
    alignment_attention: bool = False
    alignment_full_context: bool = False

    @property
    def copies(self) -> bool:
        """A lexicon pointer copies entries (``FamilyConfig.copies``)."""
        return self.lexicon_pointer

    def __post_init__(self):
        super().__post_init__()
        if self.alignment_attention and self.placement != "conditional":
            raise ValueError("alignment_attention needs the conditional placement (its GRU₁ reads the written word)")
        if self.alignment_full_context and not self.alignment_attention:
            raise ValueError("alignment_full_context extends the alignment head: it needs alignment_attention")
        if NORMALIZERS.get(self.normalizer).hard and self.normalizer != "sample":  # raises naming the known ones
            raise ValueError(
                f"normalizer {self.normalizer!r} is hard and deterministic: it cannot be trained "
                "(train 'sample', stochastic hard attention, instead)"
            )
        self.check_range("dropout", 0, 1, high_open=True)
        for name in ("embedding_size", "encoder_size", "decoder_size", "attention_size"):
            self.check_range(name, 1, 4096)
        if self.placement not in PLACEMENTS:
            raise ValueError(f"unknown placement {self.placement!r}; choose one of {', '.join(PLACEMENTS)}")
        check_sizes(self.scorer, self.decoder_size, self.key_size)

    def check_weights(self, weights: dict[str, torch.Tensor]) -> None:
        """Refuse a lexicon that names ids outside the target vocabulary (decoding would index out of range).

        Raises:
            ValueError: ``lexicon`` holds an id outside 0..tgt_vocab_size − 1.
        """
        lexicon = weights.get("lexicon")
        if (
            lexicon is not None
            and lexicon.numel()
            and not 0 <= int(lexicon.min()) <= int(lexicon.max()) < self.tgt_vocab_size
        ):
            raise ValueError(f"lexicon holds target ids outside 0..{self.tgt_vocab_size - 1}")

    @property
    def key_size(self) -> int:
        """Size of an annotation h_j (forward and backward GRU states concatenated)."""
        return 2 * self.encoder_size


class Encoded(NamedTuple):
    """The encoder's output for a batch of B sentences of (padded) length S.

    annotations: (B, S, 2E) keys and values h_j.
    prepared: (B, S, d') keys after the scorer's query-independent projection.
    mask: (B, S) bool, True at real positions.
    state: (B, D) initial decoder state s_0.
    copies: (B, S) long, the target id of each source word's lexicon entry (PAD where it
        has none), or None for a model without ``lexicon_pointer``.
    align_prepared: (B, S, d') keys for the alignment head's scorer, or None without
        ``alignment_attention``.
    """

    annotations: torch.Tensor
    prepared: torch.Tensor
    mask: torch.Tensor
    state: torch.Tensor
    copies: torch.Tensor | None = None
    align_prepared: torch.Tensor | None = None


def copy_mixture(
    p_vocab: torch.Tensor, generate: torch.Tensor, weights: torch.Tensor, copies: torch.Tensor
) -> torch.Tensor:
    """The pointer-generator's output distribution over a lexicon (See et al., 2017, eq. 9; Arthur et al., 2016).

    p(y) = (1 − (1 − g)·m)·P_vocab(y) + (1 − g)·Σ_j α_j·[lex(x_j) = y], where m = Σ_{j with an entry} α_j:
    attention on a word with a lexicon entry may copy it (with probability 1 − g), attention on
    any other word generates, so p sums to 1.

    Args:
        p_vocab: (..., V) float, rows sum to 1 (the generator's softmax).
        generate: (..., 1) float in [0, 1], g, the probability of generating.
        weights: (..., S) float, α, rows sum to 1.
        copies: (B, S) long, target ids of the source words' entries, PAD where none; the
            leading dimension matches the first of ``weights`` ((B, S) or (B, T, S)).

    Returns:
        (..., V) float, rows sum to 1.
    """
    has_entry = copies != PAD
    if weights.dim() == 3:  # (B, T, S): the same source words at every step
        copies, has_entry = copies.unsqueeze(1).expand_as(weights), has_entry.unsqueeze(1)
    on_entries = weights * has_entry  # (..., S)
    copy = 1.0 - generate
    copied = torch.zeros_like(p_vocab).scatter_add_(-1, copies, on_entries.to(p_vocab.dtype))
    return (1.0 - copy * on_entries.sum(-1, keepdim=True)) * p_vocab + copy * copied


REINFORCE_ENTROPY = 0.01  # λ_e of the entropy bonus (Xu et al., 2015, eq. 12)
BASELINE_MOMENTUM = 0.99  # moving average of the per-step reward


class HardAttentionPolicy:
    """Stochastic hard attention during training: J_i ~ softmax(e_i), α_i one-hot at J_i.

    Used as the normalizer of one teacher-forced pass; it records, per step,
    log α_{i,J_i} (the policy's log-probability of its choice, with gradients) and
    the entropy of softmax(e_i), for ``RNNSeq2Seq.auxiliary_loss``.
    """

    def __init__(self):
        self.log_probs: list[torch.Tensor] = []
        self.entropies: list[torch.Tensor] = []

    def __call__(self, energies: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One-hot weights (B, S) at positions drawn from softmax(energies) over unmasked positions."""
        log_alpha = torch.log_softmax(mask_energies(energies, mask), dim=-1)  # (B, S)
        alpha = log_alpha.exp()
        drawn = torch.multinomial(alpha.detach(), 1)  # (B, 1)
        self.log_probs.append(log_alpha.gather(1, drawn).squeeze(1))
        self.entropies.append(-(alpha * log_alpha.masked_fill(~mask, 0.0)).sum(-1))
        return torch.nn.functional.one_hot(drawn.squeeze(1), energies.size(-1)).to(energies.dtype)


@FAMILIES.register
class RNNSeq2Seq(TranslationModel):
    """Bidirectional-GRU encoder and attentional GRU decoder (see the module docstring)."""

    family = "rnn"
    display_name = "GRU encoder–decoder with attention"
    config_class = RNNConfig
    traceable = True
    context_formula = CONTEXT_FORMULA

    @classmethod
    def train_flags(cls) -> tuple[TrainFlag, ...]:
        """The family's ``train`` flags (``TranslationModel.train_flags``)."""
        return (
            TrainFlag(
                "--scorer",
                "scorer",
                {"choices": SCORERS.names(), "help": "rnn: the attention scorer (required)"},
                always=True,
            ),
            TrainFlag(
                "--placement",
                "placement",
                {"choices": tuple(PLACEMENTS), "default": DEFAULT_PLACEMENT, "help": "rnn: where the query comes from"},
                always=True,
            ),
            TrainFlag(
                "--normalizer",
                "normalizer",
                {
                    "choices": [n.name for n in NORMALIZERS.select(lambda n: not n.hard)] + ["sample"],
                    "default": DEFAULT_NORMALIZER,
                    "help": "rnn: the normalizer attention is trained with (default soft; sample = hard attention trained "
                    "with REINFORCE)",
                },
            ),
            TrainFlag(
                "--lexicon-pointer",
                "lexicon_pointer",
                {
                    "action": "store_true",
                    "help": "rnn, zh-en: attention may copy the English name of a CC-CEDICT proper "
                    "noun it looks at (pointer-generator over a lexicon)",
                },
            ),
            TrainFlag(
                "--alignment-attention",
                "alignment_attention",
                {
                    "action": "store_true",
                    "help": "a head trained to align (--guided-lambda supervises it): rnn, conditional "
                    "placement: a second attention whose query has read the written word; "
                    "transformer: head 1 of the penultimate decoder layer (Garg et al. 2019)",
                },
            ),
            TrainFlag(
                "--alignment-full-context",
                "alignment_full_context",
                {
                    "action": "store_true",
                    "help": "with --alignment-attention: the alignment head also reads the words "
                    "written after the one it aligns (transformer: its layers run once more "
                    "without the causal mask)",
                },
            ),
        )

    @classmethod
    def recipe_fields(cls, values: dict) -> dict:
        """As ``TranslationModel.recipe_fields``; the scorer must be chosen.

        Raises:
            ValueError: no scorer, or the config's own checks.
        """
        if not values.get("scorer"):
            raise ValueError("the rnn family needs --scorer NAME")
        return super().recipe_fields(values)

    @classmethod
    def refusal(cls, recipe_fields: dict, pair: str, segmentation: str) -> str | None:
        """A lexicon pointer copies CC-CEDICT's Chinese names whole: Chinese → English, words or names kept whole."""
        if recipe_fields.get("lexicon_pointer") and (pair != "zh-en" or segmentation == "characters"):
            return (
                "--lexicon-pointer copies CC-CEDICT's Chinese names whole; use it with --pair zh-en and "
                "--segmentation words or characters+names"
            )
        return None

    def __init__(self, config: RNNConfig):
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
        if c.alignment_attention:
            self.align_scorer = make_scorer(c.scorer, c.decoder_size, c.key_size, c.attention_size)
        if c.alignment_full_context:
            self.future_gru = nn.GRU(c.embedding_size, c.decoder_size, batch_first=True)  # reads y_n … y_1
            self.future_query = nn.Linear(c.decoder_size, c.decoder_size, bias=False)  # W_f
            nn.init.zeros_(self.future_query.weight)
        self.readout = nn.Linear(c.decoder_size + c.key_size + c.embedding_size, c.embedding_size)
        self.output_bias = nn.Parameter(torch.zeros(c.tgt_vocab_size))
        if c.lexicon_pointer:
            # source id → target id of its lexicon entry, PAD where it has none (saved with the weights)
            self.register_buffer("lexicon", torch.full((c.src_vocab_size,), PAD, dtype=torch.long))
            self.copy_gate = nn.Linear(c.embedding_size, 1)  # g_i = σ(w_g · t_i + b_g)
        self.dropout = nn.Dropout(c.dropout)
        self.trained_normalize = Normalizer(self.decoding_normalizer)
        self._policy: HardAttentionPolicy | None = None  # the last training pass's choices (``sample``)
        self.reward_baseline: float | None = None  # moving average of log p(y_i), per target word
        # decoding's cached (emb, V) copy of the tied output matrix, see ``logits``
        self._output_t: torch.Tensor | None = None
        self._output_key: tuple[int, int] | None = None
        for embedding in (self.src_embed, self.tgt_embed):
            # N(0, 1/emb) keeps the tied output logits near unit scale at the start
            nn.init.normal_(embedding.weight, std=c.embedding_size**-0.5)
            embedding.weight.data[PAD].zero_()

    @property
    def trained_normalizer(self) -> str:
        """Name of the normalizer the attention was trained with (``config.normalizer``)."""
        return self.config.normalizer

    def describe(self) -> str:
        """'additive (concat) · conditional GRU (Nematus)', then '· trained sparsemax' when not softmax."""
        label = f"{SCORERS.get(self.config.scorer).display_name} · {PLACEMENTS[self.config.placement]}"
        if self.config.normalizer == "sample":
            label += " · trained hard (sampled, REINFORCE)"
        elif self.config.normalizer != DEFAULT_NORMALIZER:
            label += f" · trained {NORMALIZERS.get(self.config.normalizer).display_name}"
        if self.config.lexicon_pointer:
            label += " · copies lexicon names"
        if self.config.alignment_attention:
            label += " · alignment head" + (
                " (reads the whole translation)" if self.config.alignment_full_context else ""
            )
        return label

    def attention_shape(self) -> tuple[int, int]:
        """(1, 1), or (1, 2) with the alignment head."""
        return 1, 2 if self.config.alignment_attention else 1

    def architecture(self, source_language: str, target_language: str) -> str:
        """The model card's architecture paragraph."""
        c = self.config
        return (
            f"Embeddings {c.embedding_size}, bidirectional GRU encoder {c.encoder_size} per\n"
            f"direction (keys {c.key_size}), decoder GRU {c.decoder_size}, scorer hidden\n"
            f"width {c.attention_size} (where the scorer has a hidden layer), dropout {c.dropout},\n"
            f"vocabularies {c.src_vocab_size} ({source_language}) / {c.tgt_vocab_size} ({target_language}) lowercased\n"
            "tokens; output layer tied to the target embeddings."
            + (
                "\nA copy gate mixes the output with the lexicon entries of the attended source words\n"
                "(pointer-generator, See et al. 2017)."
                if c.lexicon_pointer
                else ""
            )
        )

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
        copies = self.lexicon[src].masked_fill(~mask, PAD) if self.config.lexicon_pointer else None
        align_prepared = self.align_scorer.prepare_keys(annotations) if self.config.alignment_attention else None
        return Encoded(annotations, self.scorer.prepare_keys(annotations), mask, state, copies, align_prepared)

    def initial_state(self, encoded: Encoded) -> torch.Tensor:
        """s_0: (B, D)."""
        return encoded.state

    def query(self, y: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """The query q_i: s_{i-1} (``previous``) or GRU₁(y_{i-1}, s_{i-1}) (``conditional``).

        Args:
            y: (B, emb) embedded y_{i-1}; state: (B, D) s_{i-1}. Returns (B, D).
        """
        return state if self.config.placement == "previous" else self.gru1(y, state)

    def attend(self, y_prev: torch.Tensor, state: torch.Tensor, encoded: Encoded, normalize=None):
        """Attention and state update of step i, before the output layer.

        ``normalize`` (energies, mask → weights) defaults to the trained normalizer.

        Returns:
            (s_i (B, D), α_i (B, S), e_i (B, S), readout t_i (B, emb)).
        """
        y = self.dropout(self.tgt_embed(y_prev))  # (B, emb)
        query = self.query(y, state)  # q_i: (B, D)
        energies = self.scorer.score(query, encoded.prepared).masked_fill(~encoded.mask, float("-inf"))
        weights = (normalize or self.trained_normalize)(energies, encoded.mask)  # α_i: (B, S)
        context = torch.bmm(weights.unsqueeze(1), encoded.annotations).squeeze(1)  # c_i: (B, 2E)
        if self.config.placement == "previous":
            state = self.gru(torch.cat([y, context], dim=1), state)
        else:
            state = self.gru2(context, query)
        readout = torch.tanh(self.readout(torch.cat([state, context, y], dim=1)))  # t_i: (B, emb)
        return state, weights, energies, readout

    def decode_step(self, y_prev: torch.Tensor, state: torch.Tensor, encoded: Encoded, normalize=None) -> Step:
        """One decoder step: logits (B, V), s_i, and α_i, e_i as (B, 1, 1, S) records."""
        state, weights, energies, readout = self.attend(y_prev, state, encoded, normalize)
        records = (weights[:, None, None, :], energies[:, None, None, :])
        return Step(self.output(readout, weights, encoded), state, *records)

    def output(self, readout: torch.Tensor, weights: torch.Tensor, encoded: Encoded) -> torch.Tensor:
        """Scores of the next word, (B, [T,] V): the tied logits, or, with ``lexicon_pointer``,
        log ``copy_mixture`` (log-probabilities, which every consumer of logits may read as such).

        Args:
            readout: (B, [T,] emb) t_i; weights: (B, [T,] S) α_i; encoded: the encoder's output.
        """
        logits = self.logits(readout)
        if not self.config.lexicon_pointer:
            return logits
        generate = torch.sigmoid(self.copy_gate(readout).float())  # g_i: (B, [T,] 1)
        p = copy_mixture(torch.softmax(logits.float(), -1), generate, weights.float(), encoded.copies)
        return torch.log(p.clamp_min(1e-12))

    @torch.inference_mode()
    def copied_share(self, source_ids: list[int], target_ids: list[int], weights: np.ndarray) -> np.ndarray:
        """How much of each written word came through copying: (1 − g_i)·Σ_{j: lex(x_j) = y_i} α_ij / p(y_i).

        Replays ``target_ids`` with teacher forcing and the attention they were decoded with.

        Args:
            source_ids: S ids ending with EOS; target_ids: T ids of a translation.
            weights: (T, S) float, the attention of that translation (rows sum to 1).

        Returns:
            (T,) float in [0, 1]; zeros for a model without ``lexicon_pointer``.
        """
        if not self.config.lexicon_pointer:
            return np.zeros(len(target_ids), dtype=np.float32)
        shares = []
        for y, _, readout, fixed, encoded in self._replay(source_ids, target_ids, weights):
            generate = torch.sigmoid(self.copy_gate(readout))  # (1, 1)
            p = copy_mixture(torch.softmax(self.logits(readout), -1), generate, fixed, encoded.copies)[0, y]
            copied = (1 - generate[0, 0]) * fixed[0][encoded.copies[0] == y].sum()
            shares.append(float(copied / p.clamp_min(1e-12)))
        return np.asarray(shares, dtype=np.float32)

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
        """Teacher-forced pass with the trained normalizer (training).

        Args:
            src: (B, S) long; lengths: (B,) long.
            tgt_in: (B, T) long, BOS followed by the target (the decoder inputs).

        Returns:
            logits: (B, T, V_tgt) float; attention: (B, 1, 1, T, S) float.
        """
        encoded = self.encode(src, lengths)
        state, readouts, weights, aligned = encoded.state, [], [], []
        sampled = self.training and self.config.normalizer == "sample"
        policy = self._policy = HardAttentionPolicy() if sampled else None
        # the word written at step i is the decoder input of step i + 1; after the last column, and at
        # each sentence's </s> step, PAD stands in: those rows have no links, so no supervision
        written = torch.cat([tgt_in[:, 1:], torch.full_like(tgt_in[:, :1], PAD)], dim=1)
        future = self.future_context(written) if self.config.alignment_full_context else None  # (B, T, D)
        for i in range(tgt_in.size(1)):
            state, alpha, _, readout = self.attend(tgt_in[:, i], state, encoded, policy)
            readouts.append(readout)
            weights.append(alpha)
            if self.config.alignment_attention:
                aligned.append(self.align(written[:, i], state, encoded, None if future is None else future[:, i])[0])
        # one output projection for the whole batch rather than one per step
        weights = torch.stack(weights, 1)  # (B, T, S)
        heads = torch.stack([weights, torch.stack(aligned, 1)], 1) if aligned else weights[:, None]  # (B, H, T, S)
        return self.output(torch.stack(readouts, 1), weights, encoded), heads[:, None]

    def align(
        self, word: torch.Tensor, state: torch.Tensor, encoded: Encoded, future: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The alignment head for a written word: q̃_i = GRU₁(y_i, s_i) [+ W_f f_{i+1}], ẽ_ij = score(q̃_i, h_j),
        softmax over j.

        Args:
            word: (B,) long y_i; state: (B, D) s_i, the state after writing it; encoded: the encoder's output;
            future: (B, D) f_{i+1} from ``future_context`` (``alignment_full_context`` only).

        Returns:
            (weights (B, S), rows sum to 1 over real positions; energies (B, S), -inf at padding;
            the query q̃_i (B, D)).
        """
        query = self.gru1(self.dropout(self.tgt_embed(word)), state)
        if future is not None:
            query = query + self.future_query(future)
        energies = self.align_scorer.score(query, encoded.align_prepared).masked_fill(~encoded.mask, float("-inf"))
        return torch.softmax(energies, dim=-1), energies, query

    def future_context(self, words: torch.Tensor) -> torch.Tensor:
        """What the alignment head's query knows of the words after y_i: f_{i+1}, a backward GRU's state
        after reading y_n, …, y_{i+1} (zero for the last word and after it).

        Args:
            words: (B, T) long, the written words y_1..y_n of each row, then PAD.

        Returns:
            (B, T, D) float: row i is f_{i+1}.
        """
        B, T = words.shape
        lengths = (words != PAD).sum(1)  # n per row
        steps = torch.arange(T, device=words.device).unsqueeze(0)
        # position t of the reversed row is word n − 1 − t (an involution: it also puts states back)
        reverse = torch.where(steps < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - steps, steps)
        embedded = self.dropout(self.tgt_embed(words.gather(1, reverse)))
        packed = pack_padded_sequence(embedded, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        states, _ = self.future_gru(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=T)  # state after y_n..y_{n-t}
        summaries = states.gather(1, reverse.unsqueeze(-1).expand(-1, -1, states.size(-1)))  # row i: y_i..y_n
        summaries = summaries * (steps < lengths.unsqueeze(1)).unsqueeze(-1)
        return torch.cat([summaries[:, 1:], summaries.new_zeros(B, 1, summaries.size(-1))], dim=1)

    def _future_of(self, target_ids: list[int]) -> torch.Tensor | None:
        """``future_context`` of a translation's T ids, whose final </s> is not a word: (T, D), or None
        without ``alignment_full_context``."""
        if not self.config.alignment_full_context:
            return None
        words = target_ids[:-1] if target_ids and target_ids[-1] == EOS else target_ids
        future = torch.zeros(len(target_ids), self.config.decoder_size)
        if words:
            future[: len(words)] = self.future_context(torch.tensor([words]))[0]
        return future

    def _replay(self, source_ids: list[int], target_ids: list[int], weights: np.ndarray):
        """Teacher-forced replay of a translation with its attention fixed to ``weights`` (T, S).

        Yields, per step i: (y_i (1,) long, s_i (1, D), t_i (1, emb), α_i (1, S), the encoder's output).
        """
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        alpha = torch.as_tensor(np.asarray(weights, dtype=np.float32))
        state = encoded.state
        for i, (y_prev, y) in enumerate(zip([BOS, *target_ids[:-1]], target_ids)):
            fixed = alpha[i : i + 1]
            state, _, _, readout = self.attend(torch.tensor([y_prev]), state, encoded, lambda e, m, w=fixed: w)
            yield torch.tensor([y]), state, readout, fixed, encoded

    @torch.inference_mode()
    def alignment_rows(
        self, source_ids: list[int], target_ids: list[int], weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The alignment head's rows for a decoded translation (decoding cannot form them: y_i is chosen
        after step i), by replaying it with the attention it was decoded with.

        Args:
            source_ids: S ids ending with EOS; target_ids: T ids; weights: (T, S) its attention.

        Returns:
            (weights (T, S) float, rows sum to 1; energies (T, S) float).

        Raises:
            ValueError: the model has no alignment head.
        """
        if not self.config.alignment_attention:
            raise ValueError("this model has no alignment head")
        future = self._future_of(target_ids)
        rows = [
            self.align(y, state, encoded, None if future is None else future[i : i + 1])[:2]
            for i, (y, state, _, _, encoded) in enumerate(self._replay(source_ids, target_ids, weights))
        ]
        if not rows:
            return np.zeros((0, len(source_ids)), np.float32), np.zeros((0, len(source_ids)), np.float32)
        return (torch.cat([w for w, _ in rows]).numpy(), torch.cat([e for _, e in rows]).numpy())

    def supervised_map(self) -> tuple[int, int]:
        """The alignment head (0, 1) where the model has one (``alignment_attention``), else its single map (0, 0)."""
        return (0, 1) if self.config.alignment_attention else (0, 0)

    def completed_attention(
        self, source_ids: list[int], target_ids: list[int], heads: np.ndarray, energies: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The records with the alignment head (``alignment_rows``) added as head 2, when the model has one.

        Args:
            heads, energies: (1, 1, T, S) as decoding recorded them.

        Returns:
            (1, 2, T, S) weights and energies with an alignment head, else the inputs unchanged.
        """
        if not self.config.alignment_attention:
            return heads, energies
        rows, row_energies = self.alignment_rows(source_ids, target_ids, heads[0, 0])
        return (
            np.concatenate([heads, rows[None, None]], axis=1),
            np.concatenate([energies, row_energies[None, None]], axis=1),
        )

    @torch.inference_mode()
    def context_vectors(self, source_ids: list[int], weights: np.ndarray) -> np.ndarray:
        """c_i = Σ_j α_ij h_j for every step: (T, S) weights → (T, 2E) float."""
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        return np.asarray(weights, dtype=np.float32) @ encoded.annotations[0].numpy()

    def value_vectors(self, source_ids: list[int]) -> np.ndarray:
        """The annotations h_j as every head's values (``TranslationModel.value_vectors``): c_i = Σ_j α_ij h_j, so
        f(x_j) = h_j — for the decoder's attention and for a separate alignment head alike, which weigh the same
        annotations. (L, H, S, 2E) float, ``attention_shape()`` (L, H)."""
        with torch.no_grad():
            encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        layers, heads = self.attention_shape()
        annotations = encoded.annotations[0].float().numpy()
        return np.broadcast_to(annotations, (layers, heads, *annotations.shape)).copy()

    def auxiliary_loss(self, logits: torch.Tensor, tgt_out: torch.Tensor) -> tuple[torch.Tensor | None, dict]:
        """REINFORCE for sampled hard attention (Xu et al., 2015, §4.1; Williams, 1992).

        The reward of step i's choice is the log-likelihood of the words from i on
        (reward-to-go: earlier words do not depend on it), Σ_{k≥i} (log p(y_k) − b),
        with b a moving average of log p(y_k) per word; the advantages are divided by
        their standard deviation in the batch. Loss = −mean_i A_i log α_{i,J_i}
        − λ_e mean_i H(α_i). Only after a training pass with ``normalizer: sample``.

        Returns:
            (loss or None, {"reward": mean log p(y_i), "advantage_variance": before scaling,
            "attention_entropy": mean H(α_i) in nats, "baseline": b}).
        """
        policy, self._policy = self._policy, None
        if policy is None or not policy.log_probs:
            return None, {}
        log_pi, entropy = torch.stack(policy.log_probs, 1), torch.stack(policy.entropies, 1)  # (B, T)
        mask = tgt_out != PAD
        with torch.no_grad():
            reward = torch.log_softmax(logits.float(), -1).gather(-1, tgt_out.unsqueeze(-1)).squeeze(-1)  # (B, T)
            mean_reward = float(reward[mask].mean())
            if self.reward_baseline is None:  # start at the first batch's reward, not at 0
                self.reward_baseline = mean_reward
            steps = (reward - self.reward_baseline) * mask
            advantage = steps.flip(1).cumsum(1).flip(1) * mask  # Σ_{k ≥ i}
            variance = float(advantage[mask].var()) if mask.sum() > 1 else 0.0
            advantage = advantage / (variance**0.5 + 1e-6)
            self.reward_baseline = BASELINE_MOMENTUM * self.reward_baseline + (1 - BASELINE_MOMENTUM) * mean_reward
        words = mask.sum()
        loss = -(advantage * log_pi * mask).sum() / words - REINFORCE_ENTROPY * (entropy * mask).sum() / words
        stats = {
            "reward": mean_reward,
            "advantage_variance": variance,
            "attention_entropy": float((entropy.detach() * mask).sum() / words),
            "baseline": self.reward_baseline,
        }
        return loss, stats

    @torch.inference_mode()
    def trace(
        self, source_ids: list[int], target_ids: list[int], step: int, normalizer, head: tuple[int, int] = (0, 0)
    ) -> StepTrace:
        """Replay decoding of ``target_ids`` (teacher forcing) up to ``step`` and expose that step.

        Args:
            source_ids: S ids ending with EOS; target_ids: the T ids of a translation.
            step: 0 ≤ step < T.
            normalizer: the one the translation was decoded with; a sampling
                normalizer is reseeded so the replay draws the same positions.
            head: (layer, head): (0, 0) the attention the translation used; (0, 1) the alignment
                head (with ``alignment_attention``), whose query q̃_i = GRU₁(y_i, s_i) has read y_i
                and whose weighted sum of annotations feeds nothing.

        Raises:
            IndexError: step out of range, or a head the model does not have.
        """
        if not 0 <= step < len(target_ids):
            raise IndexError(f"step {step} outside 0..{len(target_ids) - 1}")
        if head not in ((0, 0), (0, 1) if self.config.alignment_attention else (0, 0)):
            raise IndexError(f"head {head} outside this model's {self.attention_shape()} heads")
        normalizer.reseed()
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        inputs = [BOS] + list(target_ids)
        state = encoded.state
        aligning = head == (0, 1)
        for i in range(step + aligning):  # the alignment head reads s_step, the state after step `step`
            state = self.attend(torch.tensor([inputs[i]]), state, encoded, normalizer)[0]
        if aligning:  # the alignment head is always soft
            future = self._future_of(target_ids)
            weights, energies, query = self.align(
                torch.tensor([target_ids[step]]), state, encoded, None if future is None else future[step : step + 1]
            )  # q̃: (1, D)
        else:
            query = self.query(self.tgt_embed(torch.tensor([inputs[step]])), state)  # (1, D)
            energies = self.scorer.score(query, encoded.prepared)  # (1, S)
            weights = normalizer(energies, encoded.mask)  # (1, S)
        context = torch.bmm(weights.unsqueeze(1), encoded.annotations).squeeze(1)  # (1, 2E)
        return StepTrace(
            step,
            query[0].numpy(),
            encoded.annotations[0].numpy(),
            energies[0].numpy(),
            weights[0].numpy(),
            context[0].numpy(),
        )
