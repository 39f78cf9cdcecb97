"""The contract every model family keeps: what config.json says a model is (``ModelInfo``), the config
base class, the step interface of translation families, and the ``FAMILIES`` registry. The package
``attnviz.families`` documents the fields; each family module imports this one and registers itself."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch
from torch import nn

from ..attention.registry import Registry, RegistryError
from ..attention.scorers import ScaledDotScorer, make_scorer
from ..data.tokenization import SEGMENTATIONS

TASKS = ("translation", "classification")
DEFAULT_FAMILY = "rnn"  # what ``train`` trains without --family
LANGUAGES = {"en": "English", "fr": "French", "zh": "Chinese"}  # ISO 639-1 → name


@dataclass(frozen=True)
class ModelInfo:
    """The contract part of config.json: what task, family and languages a model has.

    Attributes:
        task: one of ``TASKS``.
        family: a registered family name.
        source_language: ISO 639-1 code (a key of ``LANGUAGES``).
        target_language: ISO 639-1 code for translation, None for classification.
        labels: class names for classification, () for translation.
        layers, heads: shape of the attention records the model exposes.
        maps: names of its attention maps ("cross", "encoder_self", "decoder_self", "pooling").
        segmentation: how Chinese text is cut into tokens, one of ``tokenization.SEGMENTATIONS``
            (``tokenize``); written to config.json only when it is not "words".
    """

    task: str
    family: str
    source_language: str
    target_language: str | None = None
    labels: tuple[str, ...] = ()
    layers: int = 1
    heads: int = 1
    maps: tuple[str, ...] = ("cross",)
    segmentation: str = "words"

    @classmethod
    def from_config(cls, config: dict) -> ModelInfo:
        """Read and check the contract fields of a config.json dict.

        Raises:
            ValueError: a missing field or a value of the wrong kind, naming the field.
        """
        for key in ("task", "family", "source_language"):
            if not isinstance(config.get(key), str):
                raise ValueError(f"field {key!r} is missing or not a string")
        task, family = config["task"], config["family"]
        if task not in TASKS:
            raise ValueError(f"field 'task' is {task!r}; expected one of {', '.join(TASKS)}")
        family_task = FAMILIES.get(family).task  # raises naming the known families
        if family_task != task:
            raise ValueError(f"family {family!r} is a {family_task} family, but 'task' is {task!r}")
        source, target = config["source_language"], config.get("target_language")
        for key, code in (("source_language", source), ("target_language", target)):
            if code is not None and not isinstance(code, str):
                raise ValueError(f"field {key!r} must be a language code string, got {code!r:.40}")
            if code is not None and code not in LANGUAGES:
                raise ValueError(f"field {key!r} is {code!r}; expected one of {', '.join(LANGUAGES)}")
        if task == "translation" and target is None:
            raise ValueError("field 'target_language' is missing")
        labels = config.get("labels", [])
        if task == "classification" and not (
            isinstance(labels, list) and len(labels) >= 2 and all(isinstance(x, str) and x for x in labels)
        ):
            raise ValueError("field 'labels' must list at least two class names")
        attention = config.get("attention", {})
        if not isinstance(attention, dict):
            raise ValueError("field 'attention' must be an object")
        layers, heads, maps = attention.get("layers", 1), attention.get("heads", 1), attention.get("maps", ["cross"])
        if not (isinstance(maps, list) and all(isinstance(m, str) for m in maps)):
            raise ValueError("field 'attention.maps' must be a list of names")
        low = 0 if not maps else 1  # a model without attention (the bottleneck baseline) has 0 × 0
        for key, value in (("layers", layers), ("heads", heads)):
            if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= 64):
                raise ValueError(f"field 'attention.{key}' must be an integer in {low}..64, got {value!r}")
        segmentation = config.get("segmentation", "words")
        if segmentation not in SEGMENTATIONS:
            raise ValueError(
                f"field 'segmentation' is {segmentation!r:.40}; expected one of {', '.join(SEGMENTATIONS)}"
            )
        return cls(task, family, source, target, tuple(labels), layers, heads, tuple(maps), segmentation)

    @classmethod
    def of(
        cls, model: TranslationModel, source_language: str, target_language: str, segmentation: str = "words"
    ) -> ModelInfo:
        """The contract of a translation model: its family and attention layout read off the model."""
        layers, heads = model.attention_shape()
        return cls(
            "translation",
            model.family,
            source_language,
            target_language,
            (),
            layers,
            heads,
            model.attention_maps(),
            segmentation,
        )

    def to_dict(self) -> dict:
        """The JSON fields written at the top of config.json."""
        values = {"task": self.task, "family": self.family, "source_language": self.source_language}
        if self.target_language is not None:
            values["target_language"] = self.target_language
        if self.labels:
            values["labels"] = list(self.labels)
        values["attention"] = {"layers": self.layers, "heads": self.heads, "maps": list(self.maps)}
        if self.segmentation != "words":
            values["segmentation"] = self.segmentation
        return values

    @property
    def pair_name(self) -> str:
        """'en-fr' for translation (as ``tatoeba.LanguagePair.name``), 'en' for classification."""
        return f"{self.source_language}-{self.target_language}" if self.target_language else self.source_language

    @property
    def pair(self) -> str:
        """'en → fr' for translation, 'en' for classification."""
        return f"{self.source_language} → {self.target_language}" if self.target_language else self.source_language


@dataclass
class FamilyConfig:
    """Base of every family's architecture config: the vocabulary sizes and JSON round-trips.

    Attributes:
        src_vocab_size, tgt_vocab_size: vocabulary sizes, special tokens included.
    """

    src_vocab_size: int
    tgt_vocab_size: int

    @property
    def copies(self) -> bool:
        """Whether the model can copy a lexicon entry for a source word into its output (a pointer, Gu et al.
        2016): training fills its lexicon, decoding reports each word's copied share. None does by default."""
        return False

    def __post_init__(self):
        # checked before anything is allocated: a hostile config must not ask for gigabytes
        for name in ("src_vocab_size", "tgt_vocab_size"):
            self.check_range(name, 5, 1_000_000)

    def check_range(self, name: str, low: float, high: float, high_open: bool = False) -> None:
        """Raise ValueError naming field ``name`` unless low ≤ value ≤ high (< high with ``high_open``)."""
        value = getattr(self, name)
        if not (low <= value < high if high_open else low <= value <= high):
            interval = f"[{low}, {high})" if high_open else f"{low}..{high}"
            raise ValueError(f"field {name!r} must be in {interval}, got {value}")

    def check_weights(self, weights: dict[str, torch.Tensor]) -> None:
        """Checks of loaded tensors' values beyond names, shapes and finiteness (none by default).

        Raises:
            ValueError: a value the model cannot use, named in one line.
        """

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> FamilyConfig:
        """Build from a config.json dict, ignoring keys that are not fields (contract, card).

        Raises:
            ValueError: a field of the wrong type, naming it (ints must be ints,
                floats numbers, strings strings); the dataclass's own checks.
        """
        kwargs = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            value, kind = values[f.name], f.type if isinstance(f.type, str) else f.type.__name__
            if kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"field {f.name!r} must be an integer, got {value!r}")
            if kind == "float" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                raise ValueError(f"field {f.name!r} must be a number, got {value!r}")
            if kind == "str" and not isinstance(value, str):
                raise ValueError(f"field {f.name!r} must be a string, got {value!r}")
            if kind == "bool" and not isinstance(value, bool):
                raise ValueError(f"field {f.name!r} must be true or false, got {value!r}")
            kwargs[f.name] = value
        try:
            return cls(**kwargs)
        except TypeError as err:  # a required field is absent
            raise ValueError(str(err)) from None


@dataclass(frozen=True)
class TrainFlag:
    """One flag of the ``train`` command that a family declares: it sets one of the family's recipe fields.

    Attributes:
        option: e.g. "--scorer"; its argparse destination is the option without dashes.
        field: the key it sets in a recipe's fields (``training.recipes.Recipe.fields``).
        arguments: argparse keyword arguments (help, choices, type, default, action="store_true" …).
        always: written into a retrain command even at its default (the flags that name the model).
    """

    option: str
    field: str
    arguments: dict = field(default_factory=dict)
    always: bool = False

    @property
    def dest(self) -> str:
        """The argparse attribute: '--d-model' → 'd_model'."""
        return self.option.lstrip("-").replace("-", "_")

    @property
    def default(self):
        """The value when the flag is not given (False for a switch)."""
        return self.arguments.get("default", False if self.arguments.get("action") == "store_true" else None)

    def command(self, value) -> list[str]:
        """The words that give ``value`` on a command line: none at the default (unless ``always``)."""
        if self.arguments.get("action") == "store_true":
            return [self.option] if value else []
        if value is None or (value == self.default and not self.always):
            return []
        return [self.option, f"{value:g}" if isinstance(value, float) else str(value)]


@dataclass
class StepTrace:
    """Decoder step i of a translation, for the step-by-step view (one attention head).

    Attributes:
        step: i (0-based target position).
        query: (d_q,) q_i.  keys: (S, d_k) h_j (an RNN's annotations, also its values; a Transformer head's keys).
        energies: (S,) e_ij.  weights: (S,) α_ij as the normalizer made them.
        context: (d_v,) c_i = Σ_j α_ij v_j.
    """

    step: int
    query: np.ndarray
    keys: np.ndarray
    energies: np.ndarray
    weights: np.ndarray
    context: np.ndarray


class Step(NamedTuple):
    """One decoder step for B hypotheses, as every translation family returns it.

    logits: (B, V) unnormalized scores of the next target token.
    state: the family's decoder state (tensors with batch first, in any nesting).
    attention: (B, L, H, S) cross-attention weights actually used at this step.
    energies: (B, L, H, S) raw energies before normalization (-inf at padding).
    """

    logits: torch.Tensor
    state: Any
    attention: torch.Tensor
    energies: torch.Tensor


class TranslationModel(nn.Module):
    """Base of translation families: the step interface that ``attnviz.inference.decoding`` drives.

    Class attributes a family defines:
        family: registry name; task: "translation"; display_name: for the app.
        config_class: its ``FamilyConfig`` subclass.
        traceable: True when it implements ``trace`` (the step-by-step view).
        trainable: False for a family ``train`` cannot make (a Hugging Face model is loaded, not trained).
        steerable: False when decoding cannot replace its attention normalizer or override a step's
            attention (the What if and Soft vs hard views, ``--mode``).
        replays_layers: True when ``encode(src, lengths, layer_inputs=[])`` records each encoder layer's input,
            so a view can replay its self-attention from X (the Self-attention view).
    Capabilities a view may ask of a model are these flags and ``attention_maps`` (which maps it records), never
    the family's name.
    """

    family: ClassVar[str] = ""
    task: ClassVar[str] = "translation"
    display_name: ClassVar[str] = ""
    config_class: ClassVar[type[FamilyConfig]] = FamilyConfig
    traceable: ClassVar[bool] = False
    trainable: ClassVar[bool] = True
    steerable: ClassVar[bool] = True
    replays_layers: ClassVar[bool] = False

    config: FamilyConfig

    @property
    def device(self) -> torch.device:
        """Where the parameters live (decoding builds its tensors there)."""
        return next(self.parameters()).device

    @property
    def trained_normalizer(self) -> str:
        """Name of the normalizer (``normalizers.NORMALIZERS``) the attention was trained with."""
        return "soft"

    @property
    def decoding_normalizer(self) -> str:
        """The normalizer decoding uses unless told otherwise: the trained one (argmax for sampled training)."""
        return "hard" if self.trained_normalizer == "sample" else self.trained_normalizer

    def auxiliary_loss(self, logits: torch.Tensor, tgt_out: torch.Tensor) -> tuple[torch.Tensor | None, dict]:
        """A loss term the training loop adds to the cross-entropy of the last ``forward`` (none by default).

        Args:
            logits: (B, T, V) of that forward pass; tgt_out: (B, T) long target ids, PAD after the end.

        Returns:
            (scalar tensor or None, {statistic name: float} for the training history).
        """
        return None, {}

    def attention_shape(self) -> tuple[int, int]:
        """(layers, heads) of the cross-attention records."""
        return 1, 1

    @property
    def longest_target(self) -> int:
        """The most target tokens the model can write (decoding stops there too); unbounded by default."""
        return 1 << 30

    def source_embedding(self) -> nn.Module:
        """The module whose output, (B, S, d), is the encoder's view of the source words (attribution's input:
        ``inference.attribution``); the ``src_embed`` table by default."""
        return self.src_embed

    def attention_maps(self) -> tuple[str, ...]:
        """Names of the attention maps the model exposes ("cross" first)."""
        return ("cross",)

    def supervised_map(self) -> tuple[int, int] | None:
        """The (layer, head) of the attention records that guided alignment supervises, or None when the
        training pass returns no attention weights (then the model cannot be guided)."""
        return None

    # training from the command line: what a family declares so that the CLI and the recipes loop over FAMILIES
    @classmethod
    def train_flags(cls) -> tuple[TrainFlag, ...]:
        """The ``train`` flags of this family, read when the parser is built (so choices see every registered
        scorer and normalizer); none by default."""
        return ()

    @classmethod
    def recipe_fields(cls, values: dict) -> dict:
        """A recipe's fields from the values of ``train_flags`` ({field: value}), checked by building a config.

        Raises:
            ValueError: a missing or invalid choice, in one line naming it.
        """
        fields = {f.field: values.get(f.field, f.default) for f in cls.train_flags()}
        cls.make_config(5, 5, **fields)
        return fields

    @classmethod
    def make_config(cls, src_vocab_size: int, tgt_vocab_size: int, **recipe_fields) -> FamilyConfig:
        """The family config of a recipe's fields for vocabularies of these sizes (the fields are config fields
        by default; a family whose flags are not, the Transformer's --layers, maps them here).

        Raises:
            ValueError: as the config class.
        """
        return cls.config_class(src_vocab_size, tgt_vocab_size, **recipe_fields)

    @classmethod
    def fields_of(cls, config: FamilyConfig) -> dict:
        """The recipe fields that rebuild ``config`` (the inverse of ``make_config``, vocabularies aside)."""
        return {f.field: getattr(config, f.field) for f in cls.train_flags()}

    @classmethod
    def flags_of(cls, recipe_fields: dict) -> list[str]:
        """The ``train`` flags that select this family and give ``recipe_fields`` (its retrain command's part)."""
        words = [] if cls.family == DEFAULT_FAMILY else ["--family", cls.family]
        for flag in cls.train_flags():
            words += flag.command(recipe_fields.get(flag.field, flag.default))
        return words

    @classmethod
    def refusal(cls, recipe_fields: dict, pair: str, segmentation: str) -> str | None:
        """Why these fields cannot be trained on language pair ``pair`` (e.g. "zh-en") with ``segmentation``,
        in one line; None when they can."""
        return None

    def describe(self) -> str:
        """A one-line label for the app, e.g. 'additive (concat) · conditional GRU (Nematus)'."""
        raise NotImplementedError

    def architecture(self, source_language: str, target_language: str) -> str:
        """The model card's architecture paragraph (Markdown)."""
        return self.describe()

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Any:
        """Run the encoder.

        Args:
            src: (B, S) long source ids padded with PAD; lengths: (B,) long, each ≥ 1.

        Returns:
            a NamedTuple of batch-first tensors with a ``mask`` field (B, S) bool
            (True at real positions); ``decoding`` selects rows of it for beams.
        """
        raise NotImplementedError

    def initial_state(self, encoded: Any) -> Any:
        """The decoder state before the first target token (batch-first tensors)."""
        raise NotImplementedError

    def decode_step(self, y_prev: torch.Tensor, state: Any, encoded: Any, normalize) -> Step:
        """One step for B hypotheses.

        Args:
            y_prev: (B,) long, the previous target token (BOS at the first step).
            state: from ``initial_state`` or the previous ``Step``.
            encoded: from ``encode``, with batch B.
            normalize: energies (B, S), mask (B, S) → weights (B, S)
                (``normalizers.Normalizer`` or a what-if override).
        """
        raise NotImplementedError

    def forced_logits(self, encoded: Any, tgt_in: torch.Tensor, normalize) -> torch.Tensor:
        """Next-token logits at every step of teacher forcing, (B, T, V), gradients kept (attribution).

        Args:
            encoded: from ``encode``; tgt_in: (B, T) long, BOS then the target ids read; normalize: as ``decode_step``.
        """
        state, logits = self.initial_state(encoded), []
        for t in range(tgt_in.size(1)):
            step = self.decode_step(tgt_in[:, t], state, encoded, normalize)
            logits.append(step.logits)
            state = step.state
        return torch.stack(logits, 1)

    def context_vectors(self, source_ids: list[int], weights: np.ndarray) -> np.ndarray:
        """The vectors the decoder reads of the source at each of T steps, (T, d) float.

        Args:
            source_ids: S ids ending with EOS; weights: (T, S) the attention of a translation.

        Raises:
            NotImplementedError: a family whose decoder reads the source through several heads.
        """
        raise NotImplementedError(f"{self.family} has no single context vector per step")

    def value_vectors(self, source_ids: list[int]) -> np.ndarray:
        """f(x_j) for every head of every cross-attention layer: the vector source position j brings to head h's
        output, which at target step i is Σ_j α_ij f(x_j) (Kobayashi et al. 2020, "Attention is not only a weight",
        eq. 5). ‖α_ij f(x_j)‖ is the norm-based reading of attention (``inference.attribution.norm_based``).

        Args:
            source_ids: S ids ending with EOS.

        Returns:
            (L, H, S, d) float.

        Raises:
            NotImplementedError: a family whose decoder reads the source through no attention.
        """
        raise NotImplementedError(f"{self.family} reads the source through no attention")

    def encoder_self_attention(self, encoded: Any) -> dict[str, torch.Tensor]:
        """Named self-attention maps of the encoder, each (B, L, H, S, S); none by default."""
        return {}

    def completed_attention(
        self, source_ids: list[int], target_ids: list[int], heads: np.ndarray, energies: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The records of a decoded translation as the model shows them, once the whole translation exists.

        An alignment head that reads the word it aligns (or the whole translation) cannot be formed
        while decoding, which chooses y_i after step i; a family with one replays the translation here.

        Args:
            source_ids: S ids ending with EOS; target_ids: the T ids written.
            heads, energies: (L, H, T, S) float, as decoding recorded them.

        Returns:
            (weights (L, H', T, S), energies (L, H', T, S)); unchanged by default (H' = H).
        """
        return heads, energies


class MultiHeadTranslationModel(TranslationModel):
    """Base of the families whose decoder reads the source through multi-head cross-attention (the Transformer,
    a Hugging Face encoder–decoder): what they share — the maps they record, their (layers, heads), one head's
    scorer and context formula, the bounds of a step trace, head masking.

    A subclass's config has ``decoder_layers``, ``heads`` and ``d_model``; it implements ``output_projection``.
    """

    context_formula = r"c_i^{(h)} = \sum_{j=1}^{S} \alpha_{ij}^{(h)}\, v_j^{(h)},\quad v_j^{(h)} = W_V^{(h)} m_j"

    def attention_shape(self) -> tuple[int, int]:
        """(decoder layers, heads)."""
        return self.config.decoder_layers, self.config.heads

    def attention_maps(self) -> tuple[str, ...]:
        """Cross-attention, then the encoder's and the decoder's self-attention."""
        return ("cross", "encoder_self", "decoder_self")

    @property
    def scorer(self):
        """The scaled-dot scorer of one head (d_k = d_model / heads), for the step view's term-by-term breakdown."""
        d_k = self.config.d_model // self.config.heads
        return make_scorer(ScaledDotScorer.name, d_k, d_k)

    def check_trace(self, target_ids: list[int], step: int, head: tuple[int, int]) -> None:
        """Raise IndexError unless 0 ≤ step < T and ``head`` (layer, head) is one of the cross-attention's."""
        layer, h = head
        if not 0 <= step < len(target_ids):
            raise IndexError(f"step {step} outside 0..{len(target_ids) - 1}")
        if not (0 <= layer < self.config.decoder_layers and 0 <= h < self.config.heads):
            raise IndexError(f"head {head} outside {self.config.decoder_layers} layers × {self.config.heads} heads")

    def output_projection(self, kind: str, layer: int) -> tuple[torch.Tensor, int]:
        """(W_O's weight (d, H·d_k), H) of map ``kind``'s attention in ``layer``: head h reads columns h·d_k….

        Raises:
            ValueError: an unknown map, a layer outside the model, or modules this family cannot reach.
        """
        raise NotImplementedError

    def without_heads(self, off):
        """A copy in which the listed heads contribute nothing (head masking, Michel, Levy & Neubig, 2019): a
        head's output enters its layer only through its d_k input columns of W_O, so zeroing them removes the
        head exactly; its attention weights are still computed (and shown), but nothing reads them.

        Args:
            off: (map kind, layer, head) triples, 0-based, e.g. ("cross", 1, 2).

        Returns:
            A new model in eval mode (the original is unchanged).

        Raises:
            ValueError: as ``output_projection``, or a head outside the layer.
        """
        clone = copy.deepcopy(self).eval()
        for kind, layer, head in off:
            weight, heads = clone.output_projection(kind, layer)
            if not 0 <= head < heads:
                raise ValueError(f"head {head + 1} outside the model's {heads} heads")
            d_k = weight.shape[1] // heads
            with torch.no_grad():
                weight[:, head * d_k : (head + 1) * d_k] = 0
        return clone


class FamilyRegistry(Registry):
    """The registry of model families; ``register`` also checks the family's task interface."""

    REQUIRED = {"translation": ("describe", "encode", "initial_state", "decode_step", "forward")}
    BASES = {"translation": TranslationModel}

    def register(self, cls: type) -> type:
        """Add a family class (a class decorator).

        Raises:
            RegistryError: a required attribute is missing, or a method of its
                task's interface is not implemented (named).
        """
        base = self.BASES.get(getattr(cls, "task", None))
        for method in self.REQUIRED.get(getattr(cls, "task", None), ()):
            if base is not None and getattr(cls, method, None) is getattr(base, method):
                raise RegistryError(f"model family {cls.__name__} ({cls.family!r}) does not define {method}()")
        return super().register(cls)


FAMILIES: FamilyRegistry = FamilyRegistry(
    "model family", attributes=("task", "display_name", "config_class"), key="family"
)


def build(config: dict) -> tuple[nn.Module, ModelInfo]:
    """The module described by a config.json dict, with random weights (load them after).

    Raises:
        ValueError: a contract or family field is missing, of the wrong type or out of range.
    """
    family, family_cfg, info = family_config(config)
    return family(family_cfg), info


def family_config(config: dict) -> tuple[type, FamilyConfig, ModelInfo]:
    """(family class, its parsed config, contract) of a config.json dict, without building anything.

    Raises:
        ValueError: as ``build``.
    """
    info = ModelInfo.from_config(config)
    family = FAMILIES.get(info.family)
    return family, family.config_class.from_dict(config), info
