"""The ``transformer`` family: a pre-norm Transformer encoder–decoder (Vaswani et al., 2017).

Multi-head attention, as the Annotated Transformer writes it: for each head h,
Q_h = X W_Q^h, K_h = Y W_K^h, V_h = Y W_V^h (d_k = d_model / H), energies
E_h = Q_h K_hᵀ / √d_k (the scaled dot product), weights A_h = softmax(E_h) over
unmasked keys, head outputs A_h V_h concatenated and projected by W_O.
Encoder layers: x += SelfAttn(LN(x)); x += FFN(LN(x)). Decoder layers add a
causal self-attention and a cross-attention over the encoder output (the
alignment-like map). Sinusoidal positions; target embeddings tied to the output
layer (Press & Wolf, 2017).

Training mode uses ``torch.nn.functional.scaled_dot_product_attention``; eval
mode (decoding) computes the attention explicitly with ``attend`` so the weights it reports are
exactly the weights it used (a test recomputes them in float64). The
normalizer passed to decoding replaces the softmax of every cross-attention
head. Attention records are (decoder layers, heads, T, S).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..attention.normalizers import soft
from ..data.tokenization import BOS, PAD
from .base import FAMILIES, FamilyConfig, MultiHeadTranslationModel, Step, StepTrace, TrainFlag

MAX_POSITIONS = 512  # longer than any sentence the tokenizer lets through (50 tokens → at most 110 target steps)


@dataclass
class TransformerConfig(FamilyConfig):
    """Architecture of a ``transformer`` model.

    Attributes:
        src_vocab_size, tgt_vocab_size: vocabulary sizes (special tokens included).
        d_model: width of every layer; heads: attention heads per layer (d_k = d_model / heads).
        encoder_layers, decoder_layers: layer counts.
        ffn_size: hidden width of the position-wise feed-forward network.
        dropout: on embeddings, attention weights (training) and residual branches, in [0, 1).
        alignment_layer: the decoder layer (0-based) whose head 1 is trained to align (guided
            alignment, Garg et al. 2019); None for a model without one. Its training pass then
            computes the cross-attention explicitly, so that the weights exist for the loss.
        alignment_full_context: the alignment head reads the whole translation (Garg et al. 2019,
            §4.2): its layer and those below run once more over the target without the causal mask,
            and that pass's head-1 weights are the alignment head's row, in training and after decoding.

    Raises:
        ValueError: a size out of range, d_model not divisible by heads, an alignment layer outside
            the decoder, or full context without an alignment layer.
    """

    d_model: int = 256
    heads: int = 4
    encoder_layers: int = 3
    decoder_layers: int = 3
    ffn_size: int = 1024
    dropout: float = 0.1
    alignment_layer: int | None = None
    alignment_full_context: bool = False

    def __post_init__(self):
        super().__post_init__()
        self.check_range("dropout", 0, 1, high_open=True)
        for name, top in (
            ("d_model", 4096),
            ("heads", 64),
            ("encoder_layers", 24),
            ("decoder_layers", 24),
            ("ffn_size", 16384),
        ):
            self.check_range(name, 1, top)
        if self.d_model % self.heads:
            raise ValueError(f"field 'd_model' ({self.d_model}) must be divisible by 'heads' ({self.heads})")
        if self.alignment_layer is not None:
            if not isinstance(self.alignment_layer, int) or isinstance(self.alignment_layer, bool):
                raise ValueError(
                    f"field 'alignment_layer' must be an integer or null, got {self.alignment_layer!r:.40}"
                )
            self.check_range("alignment_layer", 0, self.decoder_layers - 1)
        elif self.alignment_full_context:
            raise ValueError("field 'alignment_full_context' needs an 'alignment_layer'")


def attend(query, keys, values, mask=None, normalize=None):
    """Scaled dot-product attention, explicitly: the weights returned are the weights used.

    Args:
        query: (B, H, T, d_k); keys, values: (B, H, S, d_k).
        mask: (B, S) bool, True at real key positions; None = all real.
        normalize: energies (N, S), mask (N, S) → weights (N, S) in place of the
            softmax (``normalizers.Normalizer``); softmax when None.

    Returns:
        (output (B, H, T, d_k), weights (B, H, T, S), energies (B, H, T, S), -inf where masked).
    """
    energies = query @ keys.transpose(-2, -1) / math.sqrt(query.size(-1))  # (B, H, T, S)
    B, H, T, S = energies.shape
    full_mask = mask if mask is not None else torch.ones(B, S, dtype=torch.bool, device=energies.device)
    full_mask = full_mask[:, None, None, :].expand(B, H, T, S)
    energies = energies.masked_fill(~full_mask, float("-inf"))
    normalize = normalize or soft
    weights = normalize(energies.reshape(-1, S), full_mask.reshape(-1, S)).reshape(B, H, T, S)
    return weights @ values, weights, energies


def sinusoids(length: int, d_model: int) -> torch.Tensor:
    """Sinusoidal position encodings (Vaswani et al., 2017, §3.5): (length, d_model)."""
    position = torch.arange(length).unsqueeze(1)
    rate = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate[: d_model // 2])
    return table


class MultiHeadAttention(nn.Module):
    """W_Q, W_K, W_V, W_O of one attention block with H heads."""

    def __init__(self, d_model: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.d_k, self.dropout = heads, d_model // heads, dropout
        self.W_Q = nn.Linear(d_model, d_model)
        self.W_K = nn.Linear(d_model, d_model)
        self.W_V = nn.Linear(d_model, d_model)
        self.W_O = nn.Linear(d_model, d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d_model) → (B, H, T, d_k)."""
        B, T, _ = x.shape
        return x.view(B, T, self.heads, self.d_k).transpose(1, 2)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, T, d_k) → (B, T, d_model): the heads concatenated."""
        B, H, T, d_k = x.shape
        return x.transpose(1, 2).reshape(B, T, H * d_k)

    def keys_values(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(K, V), each (B, H, S, d_k), of the sequence ``y`` (B, S, d_model)."""
        return self.split(self.W_K(y)), self.split(self.W_V(y))

    def explicit(self, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask=None, normalize=None):
        """The weights computed explicitly (``attend``), so they can be recorded or supervised; in training they are
        dropped out before they mix the values, as the fused kernel does.

        Args:
            x: (B, T, d) the queries' inputs; keys, values: (B, H, S, d_k); mask: (B, S) bool or None;
            normalize: decoding's normalizer (softmax when None).

        Returns:
            (output (B, T, d) after W_O, weights (B, H, T, S), energies (B, H, T, S), queries (B, H, T, d_k)).
        """
        queries = self.split(self.W_Q(x))
        _, weights, energies = attend(queries, keys, values, mask, normalize)
        mixed = F.dropout(weights, self.dropout, self.training) @ values
        return self.W_O(self.merge(mixed)), weights, energies, queries

    def fast(
        self, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor | None, causal: bool = False
    ) -> torch.Tensor:
        """Training path (fused kernel, no weights returned): (B, T, d) queries over keys/values (B, H, S, d_k)."""
        attn_mask = None if mask is None else mask[:, None, None, :]
        out = F.scaled_dot_product_attention(
            self.split(self.W_Q(x)),
            keys,
            values,
            attn_mask=attn_mask,
            is_causal=causal,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.W_O(self.merge(out))


class FeedForward(nn.Module):
    """FFN(x) = W_2 ReLU(W_1 x)."""

    def __init__(self, d_model: int, ffn_size: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_model, ffn_size), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn_size, d_model)
        )

    def forward(self, x):
        return self.net(x)


class EncoderLayer(nn.Module):
    """x += SelfAttn(LN(x)); x += FFN(LN(x))."""

    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.self_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ffn = FeedForward(c.d_model, c.ffn_size, c.dropout)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, explicit: bool = False):
        """One encoder layer over x (B, S, d), padding ``mask`` (B, S) True at real positions.

        Returns:
            (x (B, S, d), its self-attention weights (B, H, S, S) when ``explicit`` else None (the fused kernel),
            LN(x) (B, S, d): the X its self-attention read).
        """
        h = self.norm1(x)
        keys, values = self.self_attn.keys_values(h)
        weights = None
        if explicit:
            out, weights, _, _ = self.self_attn.explicit(h, keys, values, mask)
        else:
            out = self.self_attn.fast(h, keys, values, mask)
        x = x + self.dropout(out)
        return x + self.dropout(self.ffn(self.norm2(x))), weights, h


class DecoderOutput(NamedTuple):
    """What one decoder layer gives back: x (B, T, d); its self-attention keys and values (B, H, t, d_k), the
    cache grown by this step when it was given one; and, when its attention ran explicitly, the self-attention
    weights (B, H, T, t), the cross-attention weights and energies (B, H, T, S) and queries (B, H, T, d_k)."""

    x: torch.Tensor
    keys: torch.Tensor
    values: torch.Tensor
    self_weights: torch.Tensor | None
    cross_weights: torch.Tensor | None
    cross_energies: torch.Tensor | None
    cross_queries: torch.Tensor | None


class DecoderLayer(nn.Module):
    """x += CausalSelfAttn(LN(x)); x += CrossAttn(LN(x), encoder output); x += FFN(LN(x))."""

    def __init__(self, c: TransformerConfig):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.self_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.cross_attn = MultiHeadAttention(c.d_model, c.heads, c.dropout)
        self.ffn = FeedForward(c.d_model, c.ffn_size, c.dropout)
        self.dropout = nn.Dropout(c.dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        *,
        cache: tuple[torch.Tensor, torch.Tensor] | None = None,
        target_mask: torch.Tensor | None = None,
        explicit_cross: bool = False,
        normalize=None,
    ) -> DecoderOutput:
        """One decoder layer, the same wiring for training, decoding and the alignment pass.

        Args:
            x: (B, T, d) the target positions' residual stream.
            memory: this layer's cross-attention (keys, values) (B, H, S, d_k) and the source mask (B, S).
            cache: decoding: the self-attention keys and values of the steps before (B, H, t, d_k); x is one step
                (T = 1), which attends over them and itself (causal by construction), explicitly.
            target_mask: without a cache: None for the causal mask (training), or (B, T) bool True at real
                target words for full target context without it (the alignment pass, Garg et al. 2019 §4.2).
            explicit_cross: compute the cross-attention weights (decoding and supervision do; else fused).
            normalize: decoding's normalizer of the cross-attention (softmax when None).
        """
        h = self.norm1(x)
        keys, values = self.self_attn.keys_values(h)
        self_weights = None
        if cache is not None:
            keys, values = torch.cat([cache[0], keys], 2), torch.cat([cache[1], values], 2)
            out, self_weights, _, _ = self.self_attn.explicit(h, keys, values)
        else:
            out = self.self_attn.fast(h, keys, values, target_mask, causal=target_mask is None)
        x = x + self.dropout(out)
        cross_keys, cross_values, mask = memory
        weights = energies = queries = None
        if explicit_cross or cache is not None:
            out, weights, energies, queries = self.cross_attn.explicit(
                self.norm2(x), cross_keys, cross_values, mask, normalize
            )
        else:
            out = self.cross_attn.fast(self.norm2(x), cross_keys, cross_values, mask)
        x = x + self.dropout(out)
        x = x + self.dropout(self.ffn(self.norm3(x)))
        return DecoderOutput(x, keys, values, self_weights, weights, energies, queries)


class Encoded(NamedTuple):
    """The encoder's output for B sentences of (padded) length S.

    memory: (B, S, d) the last layer's output.
    keys, values: (B, L_dec, H, S, d_k) each decoder layer's cross-attention keys and values.
    mask: (B, S) bool, True at real positions.
    self_attention: (B, L_enc, H, S, S) the encoder's self-attention weights.
    """

    memory: torch.Tensor
    keys: torch.Tensor
    values: torch.Tensor
    mask: torch.Tensor
    self_attention: torch.Tensor


class DecoderState(NamedTuple):
    """The decoder's self-attention cache after t steps: keys, values (B, L_dec, H, t, d_k)."""

    keys: torch.Tensor
    values: torch.Tensor


@FAMILIES.register
class TransformerSeq2Seq(MultiHeadTranslationModel):
    """Pre-norm Transformer encoder–decoder (see the module docstring)."""

    family = "transformer"
    display_name = "Transformer encoder–decoder"
    config_class = TransformerConfig
    traceable = True
    replays_layers = True

    @classmethod
    def train_flags(cls) -> tuple[TrainFlag, ...]:
        """The family's ``train`` flags (``TranslationModel.train_flags``)."""
        return (
            TrainFlag(
                "--layers",
                "layers",
                {
                    "type": int,
                    "default": TransformerConfig.encoder_layers,
                    "help": "transformer: encoder and decoder layers each",
                },
                always=True,
            ),
            TrainFlag(
                "--heads",
                "heads",
                {"type": int, "default": TransformerConfig.heads, "help": "transformer: attention heads per layer"},
                always=True,
            ),
            TrainFlag(
                "--d-model",
                "d_model",
                {
                    "type": int,
                    "default": TransformerConfig.d_model,
                    "help": "transformer: layer width (feed-forward 4 × d_model)",
                },
                always=True,
            ),
            TrainFlag("--alignment-attention", "alignment_attention", {"action": "store_true"}),
            TrainFlag("--alignment-full-context", "alignment_full_context", {"action": "store_true"}),
            TrainFlag(
                "--alignment-last-layer",
                "alignment_last_layer",
                {
                    "action": "store_true",
                    "help": "transformer: the alignment head is head 1 of the last decoder layer, not the penultimate",
                },
            ),
        )

    @classmethod
    def make_config(
        cls,
        src_vocab_size: int,
        tgt_vocab_size: int,
        layers: int = TransformerConfig.encoder_layers,
        heads: int = TransformerConfig.heads,
        d_model: int = TransformerConfig.d_model,
        alignment_attention: bool = False,
        alignment_full_context: bool = False,
        alignment_last_layer: bool = False,
    ) -> TransformerConfig:
        """``layers`` encoder and decoder layers, feed-forward 4 × d_model; with ``alignment_attention``, head 1 of
        the penultimate decoder layer is the alignment head (Garg et al. 2019), of the last one with
        ``alignment_last_layer``.

        Raises:
            ValueError: as ``TransformerConfig``.
        """
        return TransformerConfig(
            src_vocab_size,
            tgt_vocab_size,
            d_model=d_model,
            heads=heads,
            encoder_layers=layers,
            decoder_layers=layers,
            ffn_size=4 * d_model,
            alignment_layer=(max(layers - 1 - (not alignment_last_layer), 0) if alignment_attention else None),
            alignment_full_context=alignment_full_context,
        )

    @classmethod
    def fields_of(cls, config: TransformerConfig) -> dict:
        """The recipe fields of a config (``make_config``'s arguments)."""
        return {
            "layers": config.encoder_layers,
            "heads": config.heads,
            "d_model": config.d_model,
            "alignment_attention": config.alignment_layer is not None,
            "alignment_full_context": config.alignment_full_context,
            "alignment_last_layer": config.alignment_layer is not None
            and config.decoder_layers > 1
            and config.alignment_layer == config.decoder_layers - 1,
        }

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = self.config = config
        self.src_embed = nn.Embedding(c.src_vocab_size, c.d_model, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_model, padding_idx=PAD)
        self.encoder = nn.ModuleList(EncoderLayer(c) for _ in range(c.encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(c) for _ in range(c.decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.output_bias = nn.Parameter(torch.zeros(c.tgt_vocab_size))
        self.dropout = nn.Dropout(c.dropout)
        self.register_buffer("positions", sinusoids(MAX_POSITIONS, c.d_model), persistent=False)
        for embedding in (self.src_embed, self.tgt_embed):
            # N(0, 1/d): embeddings × √d have unit scale, and the tied output logits start near unit scale
            nn.init.normal_(embedding.weight, std=c.d_model**-0.5)
            embedding.weight.data[PAD].zero_()

    @torch.inference_mode()
    def trace(
        self, source_ids: list[int], target_ids: list[int], step: int, normalizer, head: tuple[int, int] = (0, 0)
    ) -> StepTrace:
        """Replay decoding of ``target_ids`` (teacher forcing) and expose one cross-attention head at ``step``.

        Args:
            source_ids: S ids ending with EOS; target_ids: the T ids of a translation.
            step: 0 ≤ step < T.
            normalizer: the one the translation was decoded with (reseeded for sampling).
            head: (layer, head), 0-based, of the decoder's cross-attention.

        Returns:
            StepTrace whose query, keys (S, d_k) and context (d_k) are that head's
            q_i = W_Qʰ LN(x_i), k_j = W_Kʰ m_j and Σ_j α_ij v_j (before W_O); for the alignment
            head of a full-context model, those of ``alignment_pass`` (as the records show it).

        Raises:
            IndexError: step, layer or head out of range.
        """
        self.check_trace(target_ids, step, head)
        layer, h = head
        normalizer.reseed()
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        if self.config.alignment_full_context and head == (self.config.alignment_layer, 0):
            weights, energies, queries = self.alignment_pass(encoded, torch.tensor([[BOS] + list(target_ids[:-1])]))
            keys, values = encoded.keys[0, layer, h], encoded.values[0, layer, h]
            row = weights[0, h, step]
            return StepTrace(
                step,
                queries[0, h, step].numpy(),
                keys.numpy(),
                energies[0, h, step].numpy(),
                row.numpy(),
                (row @ values).numpy(),
            )
        state, inputs = self.initial_state(encoded), [BOS] + list(target_ids)
        for i in range(step + 1):
            queries: list[torch.Tensor] = []
            out = self.decode_step(torch.tensor([inputs[i]]), state, encoded, normalizer, cross_queries=queries)
            state = out.state
        keys, values = encoded.keys[0, layer, h], encoded.values[0, layer, h]  # (S, d_k)
        weights = out.attention[0, layer, h]
        return StepTrace(
            step,
            queries[layer][0, h].numpy(),
            keys.numpy(),
            out.energies[0, layer, h].numpy(),
            weights.numpy(),
            (weights @ values).numpy(),
        )

    def attention_block(self, kind: str, layer: int) -> MultiHeadAttention:
        """The attention block of map ``kind`` (one of ``attention_maps()``) in ``layer`` (0-based).

        Raises:
            ValueError: unknown map or a layer outside the model.
        """
        layers = {"cross": self.decoder, "decoder_self": self.decoder, "encoder_self": self.encoder}.get(kind)
        if layers is None:
            raise ValueError(f"unknown attention map {kind!r}; choose one of {', '.join(self.attention_maps())}")
        if not 0 <= layer < len(layers):
            raise ValueError(f"layer {layer + 1} outside the model's {len(layers)} layers")
        return layers[layer].cross_attn if kind == "cross" else layers[layer].self_attn

    def output_projection(self, kind: str, layer: int) -> tuple[torch.Tensor, int]:
        """(W_O.weight, heads) of ``attention_block(kind, layer)`` (``MultiHeadTranslationModel``)."""
        return self.attention_block(kind, layer).W_O.weight, self.config.heads

    def describe(self) -> str:
        """'Transformer 3+3 layers × 4 heads, d 256'."""
        c = self.config
        return f"Transformer {c.encoder_layers}+{c.decoder_layers} layers × {c.heads} heads, d {c.d_model}"

    def architecture(self, source_language: str, target_language: str) -> str:
        """The model card's architecture paragraph."""
        c = self.config
        return (
            f"Pre-norm Transformer, {c.encoder_layers} encoder and {c.decoder_layers} decoder layers, d_model {c.d_model},\n"
            f"{c.heads} heads (d_k {c.d_model // c.heads}), feed-forward {c.ffn_size}, dropout {c.dropout}, sinusoidal\n"
            f"positions, vocabularies {c.src_vocab_size} ({source_language}) / {c.tgt_vocab_size} ({target_language})\n"
            "lowercased tokens; output layer tied to the target embeddings."
        )

    def embed(self, embedding: nn.Embedding, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Token embeddings × √d plus positions ``start``…: (B, T) → (B, T, d)."""
        x = embedding(ids) * math.sqrt(self.config.d_model) + self.positions[start : start + ids.size(1)]
        return self.dropout(x)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor, layer_inputs: list | None = None) -> Encoded:
        """Run the encoder and prepare every decoder layer's cross-attention keys and values.

        Args:
            src: (B, S) long, padded with PAD; lengths: (B,) long, each ≥ 1.
            layer_inputs: when a list, each encoder layer's self-attention input
                LN(x), (B, S, d), is appended to it (the X of the self-attention view).
        """
        S = src.size(1)
        mask = torch.arange(S, device=src.device).unsqueeze(0) < lengths.unsqueeze(1)  # (B, S)
        x = self.embed(self.src_embed, src)
        maps = []
        for layer in self.encoder:
            x, weights, h = layer(x, mask, explicit=not self.training)  # training: fused; evaluation records them
            if layer_inputs is not None:
                layer_inputs.append(h)
            if weights is not None:
                maps.append(weights)
        memory = self.encoder_norm(x)
        kv = [layer.cross_attn.keys_values(memory) for layer in self.decoder]
        keys = torch.stack([k for k, _ in kv], 1)
        values = torch.stack([v for _, v in kv], 1)
        B, H = src.size(0), self.config.heads
        self_attention = torch.stack(maps, 1) if maps else memory.new_zeros(B, 0, H, S, S)
        return Encoded(memory, keys, values, mask, self_attention)

    def encoder_self_attention(self, encoded: Encoded) -> dict[str, torch.Tensor]:
        """{"encoder_self": (B, L_enc, H, S, S)}."""
        return {"encoder_self": encoded.self_attention}

    def initial_state(self, encoded: Encoded) -> DecoderState:
        """Empty self-attention caches: (B, L_dec, H, 0, d_k)."""
        B, c = encoded.mask.size(0), self.config
        empty = encoded.memory.new_zeros(B, c.decoder_layers, c.heads, 0, c.d_model // c.heads)
        return DecoderState(empty, empty)

    def decode_step(
        self,
        y_prev: torch.Tensor,
        state: DecoderState,
        encoded: Encoded,
        normalize=None,
        self_weights: list | None = None,
        cross_queries: list | None = None,
    ) -> Step:
        """One step: logits (B, V), the grown cache, cross-attention and energies (B, L, H, S).

        self_weights: when a list, each decoder layer's self-attention weights of this
        step, (B, H, t + 1) over the steps so far, are appended to it.
        cross_queries: when a list, each decoder layer's cross-attention queries, (B, H, d_k), are appended.
        """
        t = state.keys.size(3)
        x = self.embed(self.tgt_embed, y_prev.unsqueeze(1), start=t)  # (B, 1, d)
        keys, values, weights, energies = [], [], [], []
        for l, layer in enumerate(self.decoder):
            memory = (encoded.keys[:, l], encoded.values[:, l], encoded.mask)
            out = layer(x, memory, cache=(state.keys[:, l], state.values[:, l]), normalize=normalize)
            x = out.x
            if self_weights is not None:
                self_weights.append(out.self_weights[:, :, 0])
            if cross_queries is not None:
                cross_queries.append(out.cross_queries[:, :, 0])
            keys.append(out.keys)
            values.append(out.values)
            weights.append(out.cross_weights[:, :, 0])
            energies.append(out.cross_energies[:, :, 0])
        logits = self.logits(self.decoder_norm(x[:, 0]))
        return Step(
            logits,
            DecoderState(torch.stack(keys, 1), torch.stack(values, 1)),
            torch.stack(weights, 1),
            torch.stack(energies, 1),
        )

    @torch.inference_mode()
    def self_attention(self, source_ids: list[int], target_ids: list[int]) -> dict[str, np.ndarray]:
        """The self-attention maps used while writing ``target_ids`` (teacher forcing, decoding's own code).

        Args:
            source_ids: S ids ending with EOS; target_ids: the T ids of a translation.

        Returns:
            {"encoder_self": (L_enc, H, S, S), "decoder_self": (L_dec, H, T, T)} float arrays;
            row i of a decoder map is step i (its input is BOS or target word i − 1) over
            steps 0…i; the cells of later steps are NaN (the causal mask).
        """
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        state, inputs = self.initial_state(encoded), [BOS] + list(target_ids[:-1])
        T, (L, H) = len(inputs), (self.config.decoder_layers, self.config.heads)
        decoder = np.full((L, H, T, T), np.nan)
        for i, y in enumerate(inputs):
            recorded: list[torch.Tensor] = []
            state = self.decode_step(torch.tensor([y]), state, encoded, self_weights=recorded).state
            for layer, weights in enumerate(recorded):
                decoder[layer, :, i, : i + 1] = weights[0].numpy()
        return {"encoder_self": encoded.self_attention[0].numpy(), "decoder_self": decoder}

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Output layer tied to the target embeddings: (..., d) → (..., V_tgt)."""
        return F.linear(x, self.tgt_embed.weight, self.output_bias)

    def value_vectors(self, source_ids: list[int]) -> np.ndarray:
        """f^h(x_j) = (m_j W_V + b_V)^h W_O^h of every decoder layer's cross-attention: head h's value of source
        position j through the d_k columns of W_O that read head h (Kobayashi et al. 2020, eq. 5; W_O's bias is
        added once after the heads are summed, so it belongs to no position). (L_dec, H, S, d) float."""
        with torch.no_grad():
            encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
            vectors = []
            for l, layer in enumerate(self.decoder):
                W_O = layer.cross_attn.W_O.weight  # (d, H·d_k)
                d_k = layer.cross_attn.d_k
                values = encoded.values[0, l]  # (H, S, d_k)
                vectors.append(
                    torch.stack([values[h] @ W_O[:, h * d_k : (h + 1) * d_k].T for h in range(values.size(0))])
                )
        return torch.stack(vectors).float().numpy()

    def alignment_pass(self, encoded: Encoded, tgt_in: torch.Tensor):
        """The alignment layer's cross-attention with full target context (Garg et al. 2019, §4.2).

        Decoder layers 0…l run over the whole target without the causal mask (padding is
        still masked), so the query of step i has read every target word, the one it aligns
        included; nothing above layer l runs. Decoding cannot form this (it writes y_i after
        step i), so a translation is replayed once when it is finished.

        Args:
            encoded: from ``encode``; tgt_in: (B, T) long, BOS + the target words (PAD after the end).

        Returns:
            (weights (B, H, T, S), rows sum to 1; energies (B, H, T, S); queries (B, H, T, d_k)) of layer l.

        Raises:
            ValueError: the model has no alignment layer.
        """
        if self.config.alignment_layer is None:
            raise ValueError("this model has no alignment layer")
        x = self.embed(self.tgt_embed, tgt_in)
        target_mask = tgt_in != PAD
        for l, layer in enumerate(self.decoder[: self.config.alignment_layer + 1]):
            memory = (encoded.keys[:, l], encoded.values[:, l], encoded.mask)
            out = layer(x, memory, target_mask=target_mask, explicit_cross=True)
            x = out.x
        return out.cross_weights, out.cross_energies, out.cross_queries

    def supervised_map(self) -> tuple[int, int] | None:
        """Head 1 of the alignment layer (Garg et al. 2019 choose the penultimate one); None without an alignment
        layer: the fused training kernels return no weights."""
        layer = self.config.alignment_layer
        return None if layer is None else (layer, 0)

    @torch.inference_mode()
    def completed_attention(
        self, source_ids: list[int], target_ids: list[int], heads: np.ndarray, energies: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A decoded translation's records with the alignment head's row read with full context.

        Args:
            source_ids: S ids ending with EOS; target_ids: the T ids written.
            heads, energies: (L, H, T, S) as decoding recorded them.

        Returns:
            (heads, energies), (L, H, T, S): unchanged unless ``alignment_full_context``; then head 1
            of the alignment layer is ``alignment_pass``'s (the other heads are those decoding used).
        """
        if not self.config.alignment_full_context or not target_ids:
            return heads, energies
        encoded = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        weights, row_energies, _ = self.alignment_pass(encoded, torch.tensor([[BOS] + list(target_ids[:-1])]))
        heads, energies, l = heads.copy(), energies.copy(), self.config.alignment_layer
        heads[l, 0], energies[l, 0] = weights[0, 0].numpy(), row_energies[0, 0].numpy()
        return heads, energies

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher-forced pass (training).

        Without an alignment layer every attention runs in the fused kernels and no weights are
        returned (``decoding.forced`` gives them exactly); with one, the cross-attention is
        computed explicitly (``cross_attention``) and returned for the guided-alignment loss.

        Args:
            src: (B, S) long; lengths: (B,) long; tgt_in: (B, T) long, BOS + target.

        Returns:
            logits: (B, T, V_tgt) float; attention: None, or (B, L, H, T, S) the cross-attention
            weights, head 1 of the alignment layer from ``alignment_pass`` when it has full context.
        """
        encoded = self.encode(src, lengths)
        x = self.embed(self.tgt_embed, tgt_in)
        explicit = self.config.alignment_layer is not None
        layers = []
        for l, layer in enumerate(self.decoder):
            # the cross-attention keys and values encode() prepared for decoding, not a second projection
            out = layer(x, (encoded.keys[:, l], encoded.values[:, l], encoded.mask), explicit_cross=explicit)
            x = out.x
            if explicit:
                layers.append(out.cross_weights)
        logits = self.logits(self.decoder_norm(x))
        if not explicit:
            return logits, None
        if self.config.alignment_full_context:
            l = self.config.alignment_layer
            aligned, _, _ = self.alignment_pass(encoded, tgt_in)
            layers[l] = torch.cat([aligned[:, :1], layers[l][:, 1:]], 1)
        return logits, torch.stack(layers, 1)
