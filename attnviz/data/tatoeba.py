"""Data preparation: Tatoeba sentence pairs, split by English sentence, tokenized, encoded, batched.

Data: the Tatoeba Project (tatoeba.org) via manythings.org/anki, licence
CC BY 2.0 FR. English→French reads ``../shared/data/tatoeba-fra-eng/fra.txt``
and Chinese→English ``../shared/data/tatoeba-cmn-eng/cmn.txt`` by default
(``PAIRS``); nothing from them is stored in this repository.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .tokenization import BOS, EOS, PAD, Vocab, model_tokens

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_DATA = SHARED_DATA / "tatoeba-fra-eng" / "fra.txt"
ATTRIBUTION = "Tatoeba Project (tatoeba.org), via manythings.org/anki (2019-04-07), licence CC BY 2.0 FR"
MAX_TRAIN_TOKENS = 30  # training keeps a pair only if both sides have ≤ this many tokens
# a concatenated training pair (``concatenations``) stays within this many tokens a side: twice the single pairs',
# so positions up to the Hansards' longest sentences are seen in training
MAX_JOINED_TOKENS = 2 * MAX_TRAIN_TOKENS
JOINED_PARTS = (2, 4)  # a concatenated pair joins this many training pairs (inclusive range)
# tokens that end a Tatoeba sentence; nearly every training pair ends with one, so a model trained on them alone
# never sees a bare phrase such as the seed notes' 欢迎来北京 (no 。)
SENTENCE_FINAL = frozenset({".", "!", "?", "。", "！", "？", "…"})


@dataclass(frozen=True)
class LanguagePair:
    """Which way a Tatoeba corpus is translated. Its files hold ``English<TAB>other`` lines.

    Attributes:
        source, target: ISO 639-1 codes; one of them is "en".
        data: the default corpus file.
        attribution: the source and licence, for model cards.
        lesson_model: the pair's model for the seed notes' worked example (the Context vectors
            view opens with it): a teaching choice, the one that gets 欢迎来北京 right, which need
            not be the one with the best BLEU.
    """

    source: str
    target: str
    data: Path
    attribution: str = ATTRIBUTION
    lesson_model: str | None = None

    @property
    def name(self) -> str:
        """'en-fr'."""
        return f"{self.source}-{self.target}"


PAIRS = {
    pair.name: pair
    for pair in (
        LanguagePair("en", "fr", DEFAULT_DATA),
        LanguagePair("zh", "en", SHARED_DATA / "tatoeba-cmn-eng" / "cmn.txt", lesson_model="zh-en-additive-characters"),
    )
}
DEFAULT_PAIR = PAIRS["en-fr"]


@dataclass
class Split:
    """A deterministic split by English sentence; no English sentence is in two parts.

    Attributes:
        train: list of (english, french) pairs.
        valid, test: dict english → list of all its French translations (references).
        seed: the shuffling seed.
    """

    train: list[tuple[str, str]]
    valid: dict[str, list[str]]
    test: dict[str, list[str]]
    seed: int

    def into_english(self) -> Split:
        """The same split read the other way, for a pair whose target is English: training pairs
        (other, english), and valid/test each other-language sentence → its English references.
        The parts stay those of the English sentences, so no English sentence is in two parts."""

        def regroup(groups: dict[str, list[str]]) -> dict[str, list[str]]:
            flipped: dict[str, list[str]] = {}
            for english, translations in groups.items():
                for other in translations:
                    flipped.setdefault(other, []).append(english)
            return flipped

        return Split([(o, e) for e, o in self.train], regroup(self.valid), regroup(self.test), self.seed)

    def summary(self) -> dict:
        """Sizes and seed, for the model card."""
        return {
            "seed": self.seed,
            "by": "English sentence (all its translations kept together, as references or sources)",
            "train_pairs": len(self.train),
            "valid_sentences": len(self.valid),
            "test_sentences": len(self.test),
        }


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """Read a Tatoeba file's ``English<TAB>other`` lines as (english, other) pairs (extra columns ignored).

    Raises:
        FileNotFoundError: with a hint to pass --data.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no corpus at {path}; point --data at a Tatoeba file (English<TAB>other per line)")
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) >= 2 and cols[0].strip() and cols[1].strip():
            pairs.append((cols[0].strip(), cols[1].strip()))
    return pairs


def split_by_source(pairs: list[tuple[str, str]], seed: int = 1, n_valid: int = 2000, n_test: int = 2000) -> Split:
    """Shuffle the distinct English sentences with ``seed`` and carve out valid and test.

    Args:
        pairs: (english, french) pairs; an English sentence may occur with several translations.

    Returns:
        Split whose valid/test hold n_valid/n_test English sentences with all their references.
    """
    groups: dict[str, list[str]] = {}
    for en, fr in pairs:
        groups.setdefault(en, []).append(fr)
    sources = sorted(groups)
    random.Random(seed).shuffle(sources)
    valid = {en: groups[en] for en in sources[:n_valid]}
    test = {en: groups[en] for en in sources[n_valid : n_valid + n_test]}
    train = [(en, fr) for en in sources[n_valid + n_test :] for fr in groups[en]]
    return Split(train, valid, test, seed)


def encode_pairs(
    pairs: list[tuple[list[str], list[str]]], src_vocab: Vocab, tgt_vocab: Vocab
) -> list[tuple[list[int], list[int]]]:
    """Token pairs → id pairs; source ids end with EOS, target ids do not."""
    return [(src_vocab.encode(s) + [EOS], tgt_vocab.encode(t)) for s, t in pairs]


def make_batches(
    pairs: list[tuple[list[int], list[int]]], max_tokens: int, rng: random.Random | None = None
) -> list[list[int]]:
    """Length-bucketed batches: indices of pairs of similar length, ≤ max_tokens padded tokens each.

    Sorting by length keeps padding (wasted decoder steps) small; the batch order
    (not the content) is shuffled when ``rng`` is given.

    Returns:
        list of index lists into ``pairs``.
    """
    order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][1]), len(pairs[i][0])))
    batches, current, longest = [], [], 0
    for i in order:
        size = max(len(pairs[i][0]), len(pairs[i][1]) + 1)
        if current and max(longest, size) * (len(current) + 1) > max_tokens:
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, size)
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches


def collate(pairs: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, ...]:
    """Pad a batch.

    Returns:
        src: (B, S) long; lengths: (B,) long; tgt_in: (B, T) long (BOS + target);
        tgt_out: (B, T) long (target + EOS), PAD where padded.
    """
    B = len(pairs)
    S = max(len(s) for s, _ in pairs)
    T = max(len(t) for _, t in pairs) + 1
    src = torch.full((B, S), PAD, dtype=torch.long)
    tgt_in = torch.full((B, T), PAD, dtype=torch.long)
    tgt_out = torch.full((B, T), PAD, dtype=torch.long)
    for b, (s, t) in enumerate(pairs):
        src[b, : len(s)] = torch.tensor(s)
        tgt_in[b, : len(t) + 1] = torch.tensor([BOS] + t)
        tgt_out[b, : len(t) + 1] = torch.tensor(t + [EOS])
    lengths = torch.tensor([len(s) for s, _ in pairs])
    return src, lengths, tgt_in, tgt_out


@dataclass
class Corpus:
    """Everything a training run reads: the split, vocabularies and encoded training pairs.

    Attributes:
        split: the deterministic split.
        src_vocab, tgt_vocab: built on the training pairs.
        train: encoded pairs (source ids ending with EOS, target ids without).
        filtered_out: training pairs dropped for length.
        train_tokens: the first ``len(train_tokens)`` pairs of ``train`` as tokens (what a statistical
            aligner reads), or empty where only ids were kept.
        joined: for each pair of ``train`` after those, the indices of the training pairs it joins end to
            end (``concatenations``); empty without concatenation.
        pair: the languages, source → target.
        segmentation: how Chinese text was cut (``tokenization.SEGMENTATIONS``).
        lexicon: (source token, target token) entries whose tokens the vocabularies always
            hold, for a lexicon pointer (``dictionary.lexicon_entries``); empty otherwise.
    """

    split: Split
    src_vocab: Vocab
    tgt_vocab: Vocab
    train: list[tuple[list[int], list[int]]]
    filtered_out: int
    train_tokens: list[tuple[list[str], list[str]]] = field(default_factory=list)
    pair: LanguagePair = DEFAULT_PAIR
    segmentation: str = "words"
    lexicon: tuple[tuple[str, str], ...] = ()
    joined: tuple[tuple[int, ...], ...] = ()

    def tokens(self, text: str, lang: str) -> list[str]:
        """``model_tokens`` of ``text`` with this corpus's segmentation."""
        return model_tokens(text, lang, self.segmentation)


def split_pair(data: Path, pair: LanguagePair, seed: int, n_valid: int = 2000, n_test: int = 2000) -> Split:
    """Read a Tatoeba file and split it by English sentence (``split_by_source``), oriented source → target."""
    split = split_by_source(read_pairs(data), seed=seed, n_valid=n_valid, n_test=n_test)
    return split if pair.source == "en" else split.into_english()


def prepare_corpus(
    data: Path,
    split_seed: int,
    src_vocab_size: int,
    tgt_vocab_size: int,
    n_valid: int = 2000,
    n_test: int = 2000,
    pair: LanguagePair = DEFAULT_PAIR,
    extra_pairs: tuple[tuple[str, str], ...] = (),
    segmentation: str = "words",
    lexicon: tuple[tuple[str, str], ...] = (),
    unpunctuated: float = 0.0,
    concatenated: float = 0.0,
) -> Corpus:
    """Read, split, tokenize, filter (both sides ≤ MAX_TRAIN_TOKENS), build vocabularies and encode.

    Args:
        extra_pairs: (source, target) texts added to the training part only, after the split
            (e.g. dictionary entries, ``dictionary.proper_noun_pairs``).
        segmentation: Chinese words (jieba) or characters, ``tokenization.SEGMENTATIONS``.
        lexicon: (source token, target token) entries added to the vocabularies beyond their
            sizes, so a lexicon pointer can copy every entry.
        unpunctuated: the share of the split's training pairs that lose their final punctuation
            (``without_final_punctuation``, seeded by ``split_seed``); validation and test keep theirs.
        concatenated: that many more training pairs, as a share of the kept ones, each joining 2–4 of them
            (``concatenations``, seeded by ``split_seed``); the vocabularies are built before, so they do not change.

    Raises:
        FileNotFoundError: no corpus at ``data``. ValueError: ``unpunctuated`` or ``concatenated`` outside [0, 1].
    """
    split = split_pair(data, pair, split_seed, n_valid, n_test)

    def tokenize(texts):
        return [
            (model_tokens(s, pair.source, segmentation), model_tokens(t, pair.target, segmentation)) for s, t in texts
        ]

    tokenized = without_final_punctuation(tokenize(split.train), unpunctuated, split_seed) + tokenize(extra_pairs)
    kept = [(s, t) for s, t in tokenized if 0 < len(s) <= MAX_TRAIN_TOKENS and 0 < len(t) <= MAX_TRAIN_TOKENS]
    src_vocab = Vocab.build((s for s, _ in kept), src_vocab_size, always=(s for s, _ in lexicon))
    tgt_vocab = Vocab.build((t for _, t in kept), tgt_vocab_size, always=(t for _, t in lexicon))
    train = encode_pairs(kept, src_vocab, tgt_vocab)
    joined = concatenations([(len(s), len(t)) for s, t in kept], concatenated, split_seed)
    train += [joined_pair([train[i] for i in parts]) for parts in joined]
    return Corpus(
        split,
        src_vocab,
        tgt_vocab,
        train,
        len(tokenized) - len(kept),
        kept,
        pair,
        segmentation,
        tuple(lexicon),
        tuple(joined),
    )


def concatenations(lengths: list[tuple[int, int]], share: float, seed: int) -> list[tuple[int, ...]]:
    """Groups of training pairs to join end to end into longer pairs (concatenation augmentation).

    Tatoeba's sentences are short (a median of 7 tokens), so a model rarely sees the positions of a long
    sentence; joining sentence pairs teaches them (Kondo et al. 2021, "Sentence Concatenation Approach to
    Data Augmentation for Neural Machine Translation"; Nguyen et al. 2021). Each group draws 2–4 pairs
    (``JOINED_PARTS``) uniformly at random and keeps as many of them, in order, as fit ``MAX_JOINED_TOKENS`` on
    both sides (at least 2; a group that cannot is drawn again).

    Args:
        lengths: (source tokens, target tokens) of each training pair, each ≤ ``MAX_TRAIN_TOKENS``.
        share: round(share × len(lengths)) groups, in [0, 1]; seed: the draw.

    Returns:
        index tuples into ``lengths``, each of 2–4 distinct indices.

    Raises:
        ValueError: ``share`` outside [0, 1], or fewer than 2 pairs for a share above 0.
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the concatenated share must be in [0, 1], not {share}")
    count = round(share * len(lengths))
    if count and len(lengths) < 2:
        raise ValueError("concatenation needs at least 2 training pairs")
    chooser, groups = random.Random(seed), []
    while len(groups) < count:
        drawn = chooser.sample(range(len(lengths)), min(chooser.randint(*JOINED_PARTS), len(lengths)))
        kept, source, target = [], 0, 0
        for i in drawn:
            if source + lengths[i][0] > MAX_JOINED_TOKENS or target + lengths[i][1] > MAX_JOINED_TOKENS:
                break
            kept.append(i)
            source, target = source + lengths[i][0], target + lengths[i][1]
        if len(kept) >= JOINED_PARTS[0]:
            groups.append(tuple(kept))
    return groups


def joined_pair(parts: list[tuple[list[int], list[int]]]) -> tuple[list[int], list[int]]:
    """Encoded pairs joined end to end: one source ending with a single EOS, the targets one after another."""
    return [i for s, _ in parts for i in s[:-1]] + [EOS], [i for _, t in parts for i in t]


def without_final_punctuation(
    pairs: list[tuple[list[str], list[str]]], share: float, seed: int
) -> list[tuple[list[str], list[str]]]:
    """Drop the sentence-final punctuation (``SENTENCE_FINAL``) of both sides from a seeded ``share`` of the pairs.

    Only pairs whose two sides both end with such a token, and keep a token after losing it, change;
    so a model also learns bare phrases (欢迎来北京 → welcome to beijing) and still learns that 。 gives ".".

    Args:
        pairs: tokenized (source, target) pairs; share: in [0, 1]; seed: chooses the pairs.

    Returns:
        a new list of the same length and order.

    Raises:
        ValueError: ``share`` outside [0, 1].
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the unpunctuated share must be in [0, 1], not {share}")
    chooser = random.Random(seed)
    result = []
    for source, target in pairs:
        chosen = (
            chooser.random() < share
        )  # drawn for every pair, so the choice of one does not depend on another's text
        if (
            chosen
            and len(source) > 1
            and len(target) > 1
            and source[-1] in SENTENCE_FINAL
            and target[-1] in SENTENCE_FINAL
        ):
            source, target = _rstrip(source), _rstrip(target)
        result.append((source, target))
    return result


def _rstrip(tokens: list[str]) -> list[str]:
    """``tokens`` without their trailing ``SENTENCE_FINAL`` tokens, keeping at least one token."""
    end = len(tokens)
    while end > 1 and tokens[end - 1] in SENTENCE_FINAL:
        end -= 1
    return tokens[:end]


def repo_relative(path: Path) -> str:
    """``path`` relative to the repository root (e.g. ``../shared/data/…``), for model cards. Symbolic links are
    kept as written (a ``../shared`` that links elsewhere still reads ``../shared/…``)."""
    return os.path.relpath(os.path.abspath(path), os.path.abspath(REPO))
