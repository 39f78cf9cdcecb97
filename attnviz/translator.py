"""Text in, translation and attention out: the API shared by the CLI and the app."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checkpoint, decoding
from .model import EOS, UNK
from .normalizers import Normalizer
from .tokenization import MAX_TOKENS, detokenize, normalize_token, tokenize

EOS_TOKEN = "</s>"


class InputError(ValueError):
    """Input text the models cannot take (empty, too long); the message is meant for users."""


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
        attention: (T, S) float, the weights actually used; rows sum to 1.
        energies: (T, S) float, raw energies e_ij.
        log_probs: (T,) float, log-probability of each target token.
        ms: decoding time in milliseconds (tokenization excluded).
        source_ids, target_ids: the vocabulary ids the model read and produced (S and T long).
        alternatives: other beam hypotheses, best first (empty for greedy).
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
    alternatives: list["Translation"] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Detokenized French, without "</s>"."""
        return detokenize([t for t in self.target_tokens if t != EOS_TOKEN], "fr")

    @property
    def score(self) -> float:
        """Length-normalised log-probability (mean over target tokens)."""
        return float(np.mean(self.log_probs)) if len(self.log_probs) else 0.0

    def to_json(self) -> dict:
        """A JSON-ready dict: tokens, ``attention`` and ``energies`` as lists of T rows of S floats."""
        return {
            "translation": self.text,
            "source_tokens": self.source_tokens,
            "target_tokens": self.target_tokens,
            "source_unknown": self.source_unknown,
            "attention": np.round(self.attention, 6).tolist(),
            "energies": np.round(self.energies, 6).tolist(),
            "log_probs": np.round(self.log_probs, 6).tolist(),
            "score": round(self.score, 6),
        }


class Translator:
    """A loaded model with its vocabularies: tokenizes, decodes and packages results.

    Attributes:
        model: Seq2Seq in eval mode.
        src_vocab, tgt_vocab: Vocab.
        card: the config.json dict (scorer, placement, training data, metrics).
        name: a display name (the directory name).
    """

    def __init__(self, model, src_vocab, tgt_vocab, card: dict | None = None, name: str = "model"):
        self.model, self.src_vocab, self.tgt_vocab = model, src_vocab, tgt_vocab
        self.card = card or {}
        self.name = name

    @classmethod
    def load(cls, directory: Path) -> "Translator":
        """Load a model directory.

        Raises:
            checkpoint.CheckpointError: missing/corrupt/mismatched files.
        """
        model, src_vocab, tgt_vocab, card = checkpoint.load(directory)
        return cls(model, src_vocab, tgt_vocab, card, Path(directory).name)

    def source(self, text: str, pretokenized: bool = False) -> Tokens:
        """Tokenize English input.

        Raises:
            InputError: empty text, or more than ``MAX_TOKENS`` tokens.
        """
        return self._tokens(text, "en", self.src_vocab, pretokenized, "sentence")

    def target(self, text: str, pretokenized: bool = False) -> Tokens:
        """Tokenize a French translation given for forced decoding (same rules, same limit)."""
        return self._tokens(text, "fr", self.tgt_vocab, pretokenized, "translation")

    @staticmethod
    def _tokens(text, lang, vocab, pretokenized, what) -> Tokens:
        words = tokenize(text or "", lang, pretokenized)
        if not words:
            raise InputError(f"the {what} is empty")
        if len(words) > MAX_TOKENS:
            raise InputError(f"the {what} has {len(words)} tokens; the limit is {MAX_TOKENS}")
        ids = vocab.encode(normalize_token(w) for w in words) + [EOS]
        return Tokens(words + [EOS_TOKEN], ids, [i == UNK for i in ids])

    def _package(self, src: Tokens, hyp: decoding.Hypothesis, ms: float, target: Tokens | None = None) -> Translation:
        ids = hyp.ids.tolist()
        if target is None:
            tokens = [EOS_TOKEN if i == EOS else self.tgt_vocab.tokens[i] for i in ids]
            unknown = [i == UNK for i in ids]
        else:
            tokens, unknown = target.display, target.unknown
        return Translation(
            src.display,
            src.unknown,
            tokens,
            unknown,
            hyp.weights.float().numpy(),
            hyp.energies.float().numpy(),
            hyp.log_probs.float().numpy(),
            ms,
            src.ids,
            ids,
        )

    def translate(
        self,
        text: str,
        normalizer: Normalizer | None = None,
        beam: int = 1,
        pretokenized: bool = False,
        override: dict[int, int] | None = None,
    ) -> Translation:
        """Translate one English sentence.

        Args:
            text: English text.
            normalizer: attention normalizer (soft by default); a fresh one gives
                reproducible sampling.
            beam: 1 = greedy, > 1 = beam search (best hypothesis, the others in
                ``alternatives``).
            override: {step: source position} forcing one-hot attention (greedy only).

        Raises:
            InputError: bad text; ValueError: beam < 1, or override with beam > 1.
        """
        src = self.source(text, pretokenized)
        normalize = normalizer or Normalizer()
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
        hyp = decoding.forced(self.model, src.ids, tgt.ids[:-1], normalizer or Normalizer())
        return self._package(src, hyp, (time.perf_counter() - start) * 1000, tgt)


FRENCH_MARKERS = frozenset("le la les un une des du est je tu il elle nous vous ils sont pas ne et au aux avec pour dans".split())
ENGLISH_MARKERS = frozenset("the a an is are i you he she we they not and to of in with for it this that".split())


def language_warning(text: str, tokens: Tokens) -> str | None:
    """A gentle note when input does not look like English, else None.

    Heuristics, in order: mostly non-Latin letters; more French than English
    function words; more than half the words unknown to the model.

    Args:
        text: the raw input.
        tokens: its tokenization (``Translator.source``).
    """
    letters = [c for c in text if c.isalpha()]
    if letters and sum(not ("a" <= c.lower() <= "z" or "\u00c0" <= c <= "\u024f") for c in letters) > len(letters) / 3:
        return "This does not look like English (mostly non-Latin letters); the models only know English → French."
    words = [w.lower() for w in tokens.display[:-1] if any(c.isalpha() for c in w)]
    french = sum(w in FRENCH_MARKERS for w in words)
    english = sum(w in ENGLISH_MARKERS for w in words)
    if french >= 2 and french > english:
        return "This looks like French; the models translate English into French."
    unknown = sum(u for u, w in zip(tokens.unknown, tokens.display) if any(c.isalpha() for c in w))
    if words and unknown > len(words) / 2:
        return f"{unknown} of {len(words)} words are unknown to the models (shown in red); is this English?"
    return None


def changed_tokens(a: list[str], b: list[str]) -> tuple[list[bool], list[bool]]:
    """Which tokens of two translations differ (difflib alignment of the token sequences).

    Returns:
        (flags for a, flags for b): True where that token is not part of a common run.
    """
    from difflib import SequenceMatcher

    flags_a, flags_b = [True] * len(a), [True] * len(b)
    for block in SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            flags_a[block.a + k] = False
            flags_b[block.b + k] = False
    return flags_a, flags_b
