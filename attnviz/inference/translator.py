"""Text in, translation and attention out: the API shared by the CLI, the app and evaluation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..attention.alignment import DEFAULT_LINK_READING, LINK_READINGS, Link, read_links
from ..attention.normalizers import Normalizer
from ..data.modelcard import Metrics
from ..data.tokenization import EOS, MAX_TOKENS, UNK, detokenize, model_tokens, normalize_token, tokenize
from ..families import ModelInfo
from . import checkpoint, decoding
from .attribution import Attributions, attribute, norm_based

# 50 tokens of ordinary words fit in well under 2,000 characters; a 600 kB line took the Moses
# tokenizer up to 23 s (found by tests/test_fuzz.py)
MAX_INPUT_CHARS = 2000

EOS_TOKEN = "</s>"


class InputError(ValueError):
    """Input text the models cannot take (empty, too long); the message is meant for users.

    Args and attributes:
        problem: a key of ``MESSAGES``; the interface shows its translation (``attnviz/messages``, ``errors``).
        subject: what was wrong: "sentence", "translation" or "text".
        line: the 1-based position of the text in a batch, or None.
        values: the numbers in the message (``count``, ``limit``).
    """

    MESSAGES = {
        "empty": "the {subject} is empty",
        "too_many_characters": "the {subject} has {count} characters; the limit is {limit}",
        "too_many_tokens": "the {subject} has {count} tokens; the limit is {limit}",
        "all_deleted": "every word was deleted",
    }

    def __init__(self, problem: str, subject: str = "sentence", line: int | None = None, **values):
        self.problem, self.subject, self.line, self.values = problem, subject, line, values
        message = self.MESSAGES[problem].format(subject=subject, **values)
        super().__init__(message if line is None else f"text {line}: {message}")


@dataclass
class Tokens:
    """A tokenized sentence as the model sees it and as the user typed it.

    Attributes:
        display: tokens in the original spelling, plus "</s>" at the end.
        ids: vocabulary ids, same length (last one EOS).
        unknown: same length, True where the token maps to ``<unk>``.
    """

    display: list[str]
    ids: list[int]
    unknown: list[bool]


@dataclass
class Translation:
    """One decoded sentence with the attention that produced it.

    Attributes:
        source_tokens: S tokens as typed, the last one "</s>".
        source_unknown: S bools, True where the model saw ``<unk>``.
        target_tokens: T tokens (lowercased model tokens, or the given translation
            as typed for forced decoding), "</s>" last when the sentence ended.
        target_unknown: T bools, True where the target token is ``<unk>``.
        attention: (T, S) float, the model's alignment attention (its only head for
            an RNN; the head its card names, or the mean over heads, otherwise); rows sum to 1.
        energies: (T, S) float, raw energies e_ij of that head (NaN for a mean over heads).
        log_probs: (T,) float, log-probability of each target token.
        ms: decoding time in milliseconds (tokenization excluded).
        source_ids, target_ids: the vocabulary ids the model read and produced (S and T long).
        alternatives: other beam hypotheses, best first (empty for greedy).
        heads: (L, H, T, S) float, every layer's and head's cross-attention.
        head_energies: (L, H, T, S) float, their energies (-inf at padding).
        family: the model family's name; target_language: ISO 639-1 code of the output.
        cut: True when decoding hit the length limit (2S + 10) before ``</s>``.
        copied: (T,) float in [0, 1], the share of each target word's probability that came through
            copying a lexicon entry (``families.rnn.RNNSeq2Seq.copied_share``); None for a model that
            cannot copy.
        pieces: the same translation over the subword pieces the model read and wrote, for a model whose
            words are merged from pieces (``inference.huggingface``); None otherwise.
    """

    source_tokens: list[str]
    source_unknown: list[bool]
    target_tokens: list[str]
    target_unknown: list[bool]
    attention: np.ndarray
    energies: np.ndarray
    log_probs: np.ndarray
    ms: float = 0.0
    source_ids: list[int] = field(default_factory=list)
    target_ids: list[int] = field(default_factory=list)
    alternatives: list[Translation] = field(default_factory=list)
    heads: np.ndarray | None = None
    head_energies: np.ndarray | None = None
    family: str = ""
    target_language: str = "fr"
    cut: bool = False
    copied: np.ndarray | None = None
    pieces: Translation | None = None

    @property
    def text(self) -> str:
        """Detokenized translation, without "</s>"."""
        return detokenize([t for t in self.target_tokens if t != EOS_TOKEN], self.target_language)

    def showing(self, choice: str) -> Translation:
        """This translation with ``attention``/``energies`` read from other heads (see ``parse_heads``).

        ``"card"`` (and any choice for a one-head model) returns it unchanged; beam
        alternatives follow the same choice.

        Raises:
            ValueError: a malformed choice, or a layer or head this model does not have.
        """
        if choice == CARD_HEADS or self.heads is None or self.heads.shape[:2] == (1, 1):
            return self
        layer, head = parse_heads(choice, *self.heads.shape[:2])
        attention, energies = select_heads(self.heads, self.head_energies, layer, head)
        return replace(
            self,
            attention=attention,
            energies=energies,
            alternatives=[a.showing(choice) for a in self.alternatives],
            pieces=self.pieces.showing(choice) if self.pieces is not None else None,
        )

    @property
    def score(self) -> float:
        """Length-normalised log-probability (mean over target tokens)."""
        return float(np.mean(self.log_probs)) if len(self.log_probs) else 0.0

    def to_json(self) -> dict:
        """A JSON-ready dict: tokens, ``attention`` and ``energies`` as lists of T rows of S floats,
        ``heads`` as L × H × T × S nested lists, ``family``."""
        return {
            "translation": self.text,
            "source_tokens": self.source_tokens,
            "target_tokens": self.target_tokens,
            "source_unknown": self.source_unknown,
            "attention": json_numbers(self.attention),
            "energies": json_numbers(self.energies),
            "log_probs": json_numbers(self.log_probs),
            "score": round(self.score, 6),
            "family": self.family,
            "heads": json_numbers(self.heads) if self.heads is not None else None,
            "cut": self.cut,
            "copied": json_numbers(self.copied) if self.copied is not None else None,
        }


def json_numbers(values: np.ndarray) -> list:
    """Nested lists of floats rounded to 6 places, None where a value is not finite (JSON has no NaN)."""
    rounded = np.round(np.asarray(values, dtype=np.float64), 6)
    return np.where(np.isfinite(rounded), rounded, None).tolist()


CARD_HEADS = "card"  # the attention a model's card names as its alignment
ALL_HEADS = "mean"  # the mean over every layer and head


def head_choice_keys(layers: int, heads: int) -> list[str]:
    """Every head choice of a (layers × heads) record, as ``parse_heads`` reads them: the card's, the mean of all,
    then each layer's mean followed by its heads ("2", "2.1", …); only the card's for a one-head record."""
    if heads == 1:
        return [CARD_HEADS]
    layer_choices = (
        f"{l}{suffix}" for l in range(1, layers + 1) for suffix in ["", *(f".{h}" for h in range(1, heads + 1))]
    )
    return [CARD_HEADS, ALL_HEADS, *layer_choices]


def parse_heads(choice: str, layers: int, heads: int) -> tuple[int | None, int | None]:
    """Read a head choice: ``"mean"`` (all layers and heads), ``"2"`` (layer 2, mean of its heads)
    or ``"2.3"`` (layer 2, head 3); layers and heads count from 1, as in the app.

    Returns:
        (layer, head) 0-based; None for "every layer" / "mean over the layer's heads".

    Raises:
        ValueError: malformed, or outside the model's ``layers`` × ``heads``.
    """
    if choice == ALL_HEADS:
        return None, None
    parts = choice.split(".")
    if not (1 <= len(parts) <= 2 and all(p.isdigit() for p in parts)):
        raise ValueError(f"head choice {choice[:20]!r} is not 'mean', a layer ('2') or a layer.head ('2.3')")
    layer, head = int(parts[0]), int(parts[1]) if len(parts) == 2 else None
    if not 1 <= layer <= layers or (head is not None and not 1 <= head <= heads):
        raise ValueError(f"head choice {choice!r} is outside this model's {layers} layers × {heads} heads")
    return layer - 1, None if head is None else head - 1


def select_heads(
    heads: np.ndarray, energies: np.ndarray | None, layer: int | None, head: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The (T, S) attention of one head, of a layer's head mean (layer, None) or of every head (None, None).

    Args:
        heads, energies: (L, H, T, S) float; energies may be None.

    Returns:
        (attention (T, S), energies (T, S)); NaN energies for a mean (a mean of energies means nothing).
    """
    nan = np.full(heads.shape[2:], np.nan)
    if layer is None:
        return heads.mean((0, 1)), nan
    if head is None:
        return heads[layer].mean(0), nan
    return heads[layer, head], energies[layer, head] if energies is not None else nan


def alignment_head(heads: np.ndarray, energies: np.ndarray, config: dict) -> tuple[np.ndarray, np.ndarray]:
    """The (T, S) attention and energies that stand for a model's alignment.

    An RNN has one head. A multi-head model names its alignment head in its card
    (``"alignment_head": {"layer": l, "head": h}``, h null for the mean over the
    layer's heads); without one, the mean over the last layer's heads.

    Args:
        heads, energies: (L, H, T, S) float.
        config: the model's config.json dict.

    Returns:
        (attention (T, S), energies (T, S); NaN energies for a mean over heads; all NaN
        for a model without attention, L = 0).
    """
    if heads.shape[0] == 0:  # a model without attention: nothing to show
        return np.full(heads.shape[2:], np.nan), np.full(heads.shape[2:], np.nan)
    return select_heads(heads, energies, *alignment_choice(config, *heads.shape[:2]))


def alignment_choice(config: dict, layers: int, heads: int) -> tuple[int, int | None]:
    """(layer, head), 0-based, of the attention that stands for a model's alignment (``alignment_head``); head
    None for the mean over the layer's heads."""
    choice = config.get("alignment_head") if isinstance(config.get("alignment_head"), dict) else {}
    return choice.get("layer", layers - 1), 0 if heads == 1 else choice.get("head")


class Translator:
    """A loaded translation model with its vocabularies: tokenizes, decodes and packages results.

    Attributes:
        model: a translation family's module in eval mode.
        info: its contract (family, languages, attention layout).
        src_vocab, tgt_vocab: Vocab.
        card: the config.json dict (family fields, training data, metrics).
        name: a display name (the directory name).

    Class attribute:
        readers: (reads(config dict) → bool, load(directory) → Translator) pairs that ``load`` tries before
            reading an attnviz model directory (``inference.huggingface`` adds Hugging Face folders).
    """

    readers: list = []

    def __init__(
        self, model, src_vocab, tgt_vocab, card: dict | None = None, name: str = "model", info: ModelInfo | None = None
    ):
        self.model, self.src_vocab, self.tgt_vocab = model, src_vocab, tgt_vocab
        self.card = card or {}
        self.name = name
        self.info = info or ModelInfo.of(model, "en", "fr")

    @classmethod
    def load(cls, directory: Path) -> Translator:
        """Load a translation model directory.

        Raises:
            checkpoint.CheckpointError: missing/corrupt/mismatched files, or not a translation model.
        """
        if Path(directory).is_dir() and (Path(directory) / checkpoint.CONFIG_FILE).is_file():
            config = checkpoint.read_config(directory)
            for reads, load in cls.readers:
                if reads(config):
                    return load(directory)
        loaded = checkpoint.load(directory)
        if loaded.info.task != "translation":
            raise checkpoint.CheckpointError(f"{directory} holds a {loaded.info.task} model, not a translation model")
        reading = loaded.config.get("alignment_links", DEFAULT_LINK_READING)
        if reading not in LINK_READINGS:
            raise checkpoint.CheckpointError(
                f"{directory}: unknown alignment_links {reading!r}; choose one of {', '.join(LINK_READINGS)}"
            )
        return cls(loaded.model, loaded.src_vocab, loaded.tgt_vocab, loaded.config, Path(directory).name, loaded.info)

    @property
    def metrics(self) -> Metrics:
        """The figures measured on its card (``modelcard.Metrics``; all None for a model without a card)."""
        return Metrics.from_card(self.card)

    @property
    def link_reading(self) -> str:
        """How its attention is read as word links, one of ``alignment.LINK_READINGS``: the card's
        "alignment_links" (chosen on the dev gold for a model trained on both directions), else argmax."""
        return self.card.get("alignment_links", DEFAULT_LINK_READING)

    def text_of(self, ids: list[int]) -> str:
        """The detokenized text of target ids (up to EOS), as ``Translation.text`` writes it."""
        return detokenize(self.tgt_vocab.decode(ids), self.info.target_language)

    def links(self, attention: np.ndarray) -> set[Link]:
        """Word links (source j, target i) of a (T, S) attention matrix of this model, under ``link_reading``."""
        return read_links(attention, self.link_reading)

    def describe(self) -> str:
        """The family's one-line label, e.g. 'additive (concat) · conditional GRU (Nematus)', with
        ' · guided alignment λ=1' when the card says its attention was trained against links."""
        weight = None  # the card comes from a file: read it defensively
        training = self.card.get("training")
        if isinstance(training, dict) and isinstance(training.get("supervision"), dict):
            weight = training["supervision"].get("lambda")
        if isinstance(weight, (int, float)) and not isinstance(weight, bool):
            return f"{self.model.describe()} · guided alignment λ={weight:g}"
        return self.model.describe()

    # What the app asks of a model's architecture, so that no view reaches into the nn.Module (``.model``).
    @property
    def decoding_normalizer(self) -> str:
        """The normalizer decoding uses by default (``TranslationModel.decoding_normalizer``)."""
        return self.model.decoding_normalizer

    @property
    def trained_normalizer(self) -> str:
        """The normalizer its attention was trained with, a name in ``normalizers.NORMALIZERS`` or "sample"."""
        return self.model.trained_normalizer

    @property
    def steerable(self) -> bool:
        """True when decoding can replace its attention normalizer and override a step's attention
        (``TranslationModel.steerable``)."""
        return self.model.steerable

    @property
    def traceable(self) -> bool:
        """True when one decoder step can be replayed term by term (``trace``)."""
        return self.model.traceable

    @property
    def replays_layers(self) -> bool:
        """True when the encoder's self-attention can be replayed from each layer's input
        (``TranslationModel.replays_layers``)."""
        return self.model.replays_layers

    @property
    def scorer(self):
        """The scorer of its cross-attention (one head's, for a Transformer): formula, name, ``breakdown``."""
        return self.model.scorer

    @property
    def context_formula(self) -> str:
        """LaTeX of how its decoder reads the source at step i."""
        return self.model.context_formula

    def attention_shape(self) -> tuple[int, int]:
        """(layers, heads) of its cross-attention records."""
        return self.model.attention_shape()

    def layer_counts(self) -> dict[str, int]:
        """Layers of each attention map it exposes, e.g. {"cross": 2, "encoder_self": 2, "decoder_self": 2}."""
        config = self.model.config
        counts = {"cross": self.attention_shape()[0]}
        for kind, field_name in (("encoder_self", "encoder_layers"), ("decoder_self", "decoder_layers")):
            if kind in self.info.maps:
                counts[kind] = getattr(config, field_name)
        return counts

    def architecture(self) -> dict:
        """Its family and family config fields, e.g. {"family": "rnn", "scorer": "additive", …}."""
        return {"family": self.info.family, **self.model.config.to_dict()}

    def trace(self, result: Translation, step: int, head: tuple[int, int] = (0, 0)):
        """Replay step ``step`` of ``result`` for one head (``TranslationModel.trace``) with the decoding normalizer.

        Returns:
            ``families.StepTrace``: query, keys (S, d_k), energies (S,), weights (S,), context.

        Raises:
            IndexError: step, layer or head out of range. NotImplementedError: a family without ``trace``.
        """
        if not self.traceable:
            raise NotImplementedError(f"the {self.info.family} family cannot replay a step")
        return self.model.trace(result.source_ids, result.target_ids, step, Normalizer(self.decoding_normalizer), head)

    def attribution(self, result: Translation) -> Attributions:
        """Gradient × input, integrated gradients and leave-one-out of ``result`` (``attribution.attribute``), each
        (T, S) over the rows and columns of ``result.attention``, with its decoding normalizer, and the norm-based
        reading of its card's attention (``norm_attention``)."""
        found = attribute(self.model, result.source_ids, result.target_ids, Normalizer(self.decoding_normalizer))
        return replace(found, norm_based=self.norm_attention(result))

    def norm_attention(self, result: Translation) -> np.ndarray | None:
        """Norm-based attention (``attribution.norm_based``) of the attention the card names for ``result``: (T, S)
        float ≥ 0, or None for a family without value vectors (the bottleneck)."""
        try:
            vectors = self.model.value_vectors(result.source_ids)
        except NotImplementedError:
            return None
        heads = result.heads if result.heads is not None else result.attention[None, None]
        return norm_based(heads, vectors, *alignment_choice(self.card, *heads.shape[:2]))

    def context_vectors(self, result: Translation) -> np.ndarray:
        """The vectors its decoder read of the source at each step of ``result``: (T, d) float.

        Raises:
            NotImplementedError: a family whose decoder reads the source through several heads.
        """
        return self.model.context_vectors(result.source_ids, result.attention)

    def self_attention(self, source_ids: list[int], target_ids: list[int]) -> dict[str, np.ndarray]:
        """{"encoder_self": (L_enc, H, S, S), "decoder_self": (L_dec, H, T, T)} of a Transformer's translation."""
        return self.model.self_attention(list(source_ids), list(target_ids))

    def without_heads(self, off) -> Translator:
        """A copy whose listed heads, (map kind, layer, head) 0-based triples, contribute nothing.

        Raises:
            ValueError: an unknown map, or a layer or head outside the model.
        """
        return Translator(
            self.model.without_heads(off), self.src_vocab, self.tgt_vocab, self.card, self.name, self.info
        )

    def source(self, text: str, pretokenized: bool = False) -> Tokens:
        """Tokenize input in the source language.

        Raises:
            InputError: empty text, more than ``MAX_INPUT_CHARS`` characters, or more than
                ``MAX_TOKENS`` tokens.
        """
        return self._tokens(
            text, self.info.source_language, self.src_vocab, pretokenized, "sentence", self.info.segmentation
        )

    def source_model_tokens(self, text: str) -> list[str]:
        """The normalized tokens the model reads for ``text``, without the input limits (corpus use)."""
        return model_tokens(text, self.info.source_language, self.info.segmentation)

    def target(self, text: str, pretokenized: bool = False) -> Tokens:
        """Tokenize a translation given for forced decoding (same rules, same limit)."""
        return self._tokens(text, self.info.target_language, self.tgt_vocab, pretokenized, "translation")

    @staticmethod
    def _tokens(text, lang, vocab, pretokenized, what, segmentation="words") -> Tokens:
        if len(text or "") > MAX_INPUT_CHARS:  # refused before the tokenizer spends seconds on it
            raise InputError("too_many_characters", what, count=len(text), limit=MAX_INPUT_CHARS)
        words = tokenize(text or "", lang, pretokenized, segmentation)
        if not words:
            raise InputError("empty", what)
        if len(words) > MAX_TOKENS:
            raise InputError("too_many_tokens", what, count=len(words), limit=MAX_TOKENS)
        ids = vocab.encode(normalize_token(w) for w in words) + [EOS]
        return Tokens(words + [EOS_TOKEN], ids, [i == UNK for i in ids])

    def _package(self, src: Tokens, hyp: decoding.Hypothesis, ms: float, target: Tokens | None = None) -> Translation:
        ids = hyp.ids.tolist()
        if target is None:
            tokens = [EOS_TOKEN if i == EOS else self.tgt_vocab.tokens[i] for i in ids]
            unknown = [i == UNK for i in ids]
        else:
            tokens, unknown = target.display, target.unknown
        heads = hyp.attention.float().cpu().numpy()
        energies = hyp.energies.float().cpu().numpy()
        heads, energies = self.model.completed_attention(src.ids, ids, heads, energies)
        attention, head_energies = alignment_head(heads, energies, self.card)
        copied = None
        if self.model.config.copies:  # the attention the translation used: head 1
            copied = self.model.copied_share(src.ids, ids, heads[0, 0])
        return Translation(
            src.display,
            src.unknown,
            tokens,
            unknown,
            attention,
            head_energies,
            hyp.log_probs.float().cpu().numpy(),
            ms,
            src.ids,
            ids,
            heads=heads,
            head_energies=energies,
            family=self.info.family,
            target_language=self.info.target_language,
            cut=target is None and hyp.cut,
            copied=copied,
        )

    def translate(
        self,
        text: str,
        normalizer: Normalizer | None = None,
        beam: int = 1,
        pretokenized: bool = False,
        override: dict[int, int] | None = None,
    ) -> Translation:
        """Translate one sentence.

        Args:
            text: text in the source language.
            normalizer: attention normalizer (by default the one the model was trained with); a fresh one gives
                reproducible sampling.
            beam: 1 = greedy, > 1 = beam search (best hypothesis, the others in
                ``alternatives``).
            override: {step: source position} forcing one-hot attention (greedy only).

        Raises:
            InputError: bad text; ValueError: beam < 1, or override with beam > 1.
        """
        src = self.source(text, pretokenized)
        normalize = normalizer
        start = time.perf_counter()
        if beam == 1:
            hyps = [decoding.greedy(self.model, src.ids, normalize, override=override)]
        elif override:
            raise ValueError("attention overrides work with greedy decoding only")
        else:
            hyps = decoding.beam_search(self.model, src.ids, beam, normalize)
        ms = (time.perf_counter() - start) * 1000
        best, *others = [self._package(src, h, ms) for h in hyps]
        best.alternatives = others
        return best

    def force(
        self, text: str, translation: str, normalizer: Normalizer | None = None, pretokenized: bool = False
    ) -> Translation:
        """Forced decoding: the attention of the model while it reads ``translation``.

        Returns:
            Translation with T = (target tokens + 1) rows, the last for "</s>".

        Raises:
            InputError: empty or over-long source or translation.
        """
        src = self.source(text, pretokenized)
        tgt = self.target(translation, pretokenized)
        start = time.perf_counter()
        hyp = decoding.forced(self.model, src.ids, tgt.ids[:-1], normalizer)
        return self._package(src, hyp, (time.perf_counter() - start) * 1000, tgt)

    def force_tokens(self, text: str, target_tokens: list[str], normalizer: Normalizer | None = None) -> Translation:
        """Forced decoding of a token list (e.g. another model's output), never re-tokenized.

        Tokens are looked up as they are (normalized), so another model's
        ``<unk>`` stays one unknown token and the rows match its translation one to one.

        Args:
            text: the source sentence.
            target_tokens: target tokens; a final "</s>" is dropped. Any length:
                another model's output may exceed ``MAX_TOKENS``.

        Raises:
            InputError: bad source text, or no target token.
        """
        src = self.source(text)
        words = [t for t in target_tokens if t != EOS_TOKEN]
        if not words:
            raise InputError("empty", "translation")
        ids = self.tgt_vocab.encode(normalize_token(w) for w in words) + [EOS]
        tgt = Tokens(words + [EOS_TOKEN], ids, [i == UNK for i in ids])
        start = time.perf_counter()
        hyp = decoding.forced(self.model, src.ids, ids[:-1], normalizer)
        return self._package(src, hyp, (time.perf_counter() - start) * 1000, tgt)


FRENCH_MARKERS = frozenset(
    "le la les un une des du est je tu il elle nous vous ils sont pas ne et au aux avec pour dans".split()
)
ENGLISH_MARKERS = frozenset("the a an is are i you he she we they not and to of in with for it this that".split())


class LanguageNote(NamedTuple):
    """A gentle note that the input may not be in the models' source language (``language_warning``).

    Attributes:
        problem: "not_chinese", "non_latin", "looks_french" or "unknown_words" — the message ``input.<problem>``
            of the catalogues, which the interface words in its own language.
        values: the numbers it names: ``unknown`` and ``words`` (for "unknown_words").
    """

    problem: str
    values: dict


def language_warning(
    text: str, tokens: Tokens, source_language: str = "en", target_language: str = "fr"
) -> LanguageNote | None:
    """A gentle note when input does not look like the models' source language, else None.

    Heuristics, in order: for Chinese, no Chinese character at all; for English, mostly non-Latin
    letters, or more French than English function words; for both, more than half the words unknown
    to the model.

    Args:
        text: the raw input.
        tokens: its tokenization (``Translator.source``).
        source_language, target_language: ISO 639-1 codes of the models (``ModelInfo``); the message names them.
    """
    letters = [c for c in text if c.isalpha()]
    if source_language == "zh":
        if letters and not any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in letters):
            return LanguageNote("not_chinese", {})
    elif (
        letters and sum(not ("a" <= c.lower() <= "z" or "\u00c0" <= c <= "\u024f") for c in letters) > len(letters) / 3
    ):
        return LanguageNote("non_latin", {})
    words = [w.lower() for w in tokens.display[:-1] if any(c.isalpha() for c in w)]
    if source_language == "en":
        french = sum(w in FRENCH_MARKERS for w in words)
        english = sum(w in ENGLISH_MARKERS for w in words)
        if french >= 2 and french > english:
            return LanguageNote("looks_french", {})
    unknown = sum(u for u, w in zip(tokens.unknown, tokens.display) if any(c.isalpha() for c in w))
    if words and unknown > len(words) / 2:
        return LanguageNote("unknown_words", {"unknown": unknown, "words": len(words)})
    return None


def changed_tokens(a: list[str], b: list[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens of two translations differ (difflib alignment of the token sequences).

    Returns:
        (flags for a, flags for b): True where that token is not part of a common run.
    """
    flags_a, flags_b = [True] * len(a), [True] * len(b)
    for block in SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            flags_a[block.a + k] = False
            flags_b[block.b + k] = False
    return flags_a, flags_b
