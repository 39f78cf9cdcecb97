"""Tokenization (Moses rules, via sacremoses) and vocabularies.

Models see lowercased Moses tokens; the user's original spelling is kept next
to them for display, so a heatmap axis shows what was typed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from sacremoses import MosesDetokenizer, MosesTokenizer

from .files import atomic_write_text
from .names import proper_noun_pairs

SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")  # ids PAD, UNK, BOS, EOS
PAD, UNK, BOS, EOS = 0, 1, 2, 3  # fixed ids of the special tokens in every vocabulary
MAX_TOKENS = 50  # longest input the models are asked to handle (they saw ≤ 30 in training)
# how Chinese text is cut into tokens (other languages: Moses words): jieba words, single characters, or
# single characters with CC-CEDICT's names kept whole (so a lexicon pointer can copy them)
SEGMENTATIONS = ("words", "characters", "characters+names")
_CHARACTER_TOKEN = re.compile(r"[A-Za-z0-9]+|\S")  # a Latin word or number stays whole


@cache
def _tokenizer(lang: str) -> MosesTokenizer:
    return MosesTokenizer(lang=lang)


@cache
def _detokenizer(lang: str) -> MosesDetokenizer:
    return MosesDetokenizer(lang=lang)


@cache
def _simplified():
    import opencc  # imported on first Chinese text: it loads conversion tables

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Chinese text with Traditional characters turned Simplified (OpenCC t2s), as every segmentation reads it."""
    return _simplified().convert(text)


@cache
def _segmenter():
    import jieba  # imported on first Chinese text: it builds its prefix dictionary

    jieba.setLogLevel(60)  # jieba logs its dictionary loading at INFO on stderr
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def chinese_words(text: str) -> list[str]:
    """Chinese text as words: Traditional characters turned Simplified (OpenCC t2s), then segmented
    by jieba's dictionary and HMM (欢迎来北京 → 欢迎 / 来 / 北京); whitespace dropped."""
    return [w for w in _segmenter().lcut(simplified(text.strip())) if w.strip()]


def chinese_characters(text: str) -> list[str]:
    """Chinese text as characters, after OpenCC t2s (欢迎来北京 → 欢 / 迎 / 来 / 北 / 京); a run of
    Latin letters or digits stays one token, whitespace is dropped."""
    return _CHARACTER_TOKEN.findall(simplified(text.strip()))


def chinese_characters_and_names(text: str, names: frozenset[str], longest: int = 4) -> list[str]:
    """``chinese_characters``, except that a name of ``names`` stays one token (the longest that starts at a
    character wins: 欢迎来北京 → 欢 / 迎 / 来 / 北京).

    Args:
        text: Chinese text (any script; OpenCC t2s first).
        names: Simplified-script words kept whole; longest: the longest name, in characters.
    """
    tokens = chinese_characters(text)
    out, i = [], 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 1, -1):
            candidate = "".join(tokens[i : i + size])
            if len(candidate) == size and candidate in names:  # single characters only, not Latin runs
                out.append(candidate)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def tokenize(text: str, lang: str, pretokenized: bool = False, segmentation: str = "words") -> list[str]:
    """Split text into tokens in their original case.

    Args:
        text: one sentence.
        lang: "en" or "fr" (Moses language rules), or "zh" (``chinese_words``,
            ``chinese_characters`` or ``chinese_characters_and_names``).
        pretokenized: split on single spaces only, so token positions match
            externally tokenized data (e.g. gold alignments); the count is kept.
        segmentation: one of ``SEGMENTATIONS``; used for Chinese only.

    Returns:
        list of tokens (may be empty).
    """
    if pretokenized:
        return text.strip().split()
    if lang == "zh":
        if segmentation == "characters+names":
            return chinese_characters_and_names(text, name_words())
        return chinese_characters(text) if segmentation == "characters" else chinese_words(text)
    return _tokenizer(lang).tokenize(text.strip(), escape=False)


def describe_tokens(lang: str, segmentation: str = "words") -> str:
    """How ``tokenize`` cuts text of ``lang``, in words for model cards."""
    if lang == "zh":
        unit = {
            "characters": "single characters",
            "characters+names": "single characters, CC-CEDICT's names kept whole",
        }.get(segmentation, "jieba words")
        return f"{unit} after OpenCC's Traditional → Simplified conversion"
    return "Moses tokens (sacremoses), lowercased"


def normalize_token(token: str) -> str:
    """The model's form of a token: lowercased (Moses already split punctuation)."""
    return token.lower()


def detokenize(tokens: Iterable[str], lang: str = "fr") -> str:
    """Join tokens into text with the Moses detokenizer for ``lang``."""
    return _detokenizer(lang).detokenize(list(tokens))


@dataclass
class Vocab:
    """Token ↔ id map with the special tokens ``<pad> <unk> <s> </s>`` at ids 0–3.

    Attributes:
        tokens: list of V strings; tokens[i] is the token with id i.
    """

    tokens: list[str]

    def __post_init__(self):
        if tuple(self.tokens[:4]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {' '.join(SPECIALS)}")
        self.index = {t: i for i, t in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            duplicate = next(t for i, t in enumerate(self.tokens) if self.index[t] != i)
            raise ValueError(f"token {duplicate!r} occurs twice")
        if "" in self.index:
            raise ValueError("a token is empty")

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of (already normalized) tokens; unknown ones map to UNK."""
        return [self.index.get(t, UNK) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ids, stopping before EOS and skipping PAD and BOS."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i not in (PAD, BOS):
                out.append(self.tokens[i])
        return out

    @classmethod
    def build(
        cls, sentences: Iterable[list[str]], max_size: int, min_count: int = 1, always: Iterable[str] = ()
    ) -> Vocab:
        """The ``max_size`` most frequent tokens (ties broken alphabetically), specials first.

        Args:
            sentences: iterable of token lists (normalized).
            max_size: V including the 4 special tokens.
            min_count: drop tokens seen fewer times.
            always: tokens added after those, beyond ``max_size``, where not already in
                (a lexicon's names, rare in the corpus but needed whole).
        """
        counts = Counter(t for s in sentences for t in s)
        ranked = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        return cls(list(dict.fromkeys([*SPECIALS, *ranked[: max_size - len(SPECIALS)], *always])))

    def save(self, path: Path) -> None:
        """Write as a JSON list of tokens (atomically)."""
        atomic_write_text(path, json.dumps(self.tokens, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Vocab:
        """Read a JSON list written by ``save``.

        Raises:
            ValueError: not a JSON list of strings starting with the specials, or a
                duplicate or empty token.
        """
        tokens = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError("expected a JSON list of token strings")
        return cls(tokens)


def model_tokens(text: str, lang: str, segmentation: str = "words") -> list[str]:
    """Tokenized and normalized (lowercased) tokens, as the model sees them (``tokenize``)."""
    return [normalize_token(t) for t in tokenize(text, lang, segmentation=segmentation)]


@lru_cache(maxsize=1)
def name_words() -> frozenset[str]:
    """The Chinese proper nouns whose English name is one Moses token (北京 → Beijing, not 纽约 → New York),
    which the ``characters+names`` segmentation keeps whole."""
    return frozenset(chinese for chinese, english in proper_noun_pairs() if len(model_tokens(english, "en")) == 1)
