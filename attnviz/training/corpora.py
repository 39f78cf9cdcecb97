"""The corpus a training run reads: the pair's Tatoeba file split and encoded, with the pairs its recipe adds
(CC-CEDICT's proper nouns, rare names in the contexts of common ones, unpunctuated and concatenated pairs).

Runs whose ``recipes.corpus_key`` and lexicon agree share one prepared corpus (``Corpora``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.dictionary import rare_name_contexts
from ..data.names import proper_noun_pairs
from ..data.tatoeba import Corpus, LanguagePair, prepare_corpus, split_pair
from .recipes import TrainConfig, corpus_key


def training_corpus(data: Path, pair: LanguagePair, config: TrainConfig, lexicon: tuple = ()) -> Corpus:
    """Read, split and encode ``data`` as ``config`` asks (``tatoeba.prepare_corpus``).

    Args:
        data: the pair's Tatoeba file; pair: its languages.
        config: the recipe (split, vocabularies, added pairs; see ``TrainConfig``).
        lexicon: (source word, target word) entries of a lexicon pointer, or ().

    Raises:
        OSError, ValueError: as ``prepare_corpus`` (a missing or unreadable file).
    """
    extra = proper_noun_pairs() * config.dictionary_repeats if config.dictionary else ()
    if config.name_contexts:  # new pairs made from the training part of the same split
        train = split_pair(data, pair, config.split_seed, config.valid_sentences, config.test_sentences).train
        extra += tuple(rare_name_contexts(train, config.name_contexts, config.split_seed))
    return prepare_corpus(
        data,
        config.split_seed,
        config.src_vocab_size,
        config.tgt_vocab_size,
        config.valid_sentences,
        config.test_sentences,
        pair,
        extra,
        config.segmentation,
        lexicon,
        config.unpunctuated,
        config.concatenated,
    )


class Corpora:
    """Prepared corpora of one ``train`` command, each read once for every run whose key it fits."""

    def __init__(self, data: Path, pair: LanguagePair):
        self.data, self.pair, self._prepared = data, pair, {}

    def of(self, config: TrainConfig, lexicon: tuple = ()) -> Corpus:
        """The corpus for ``config`` (and a lexicon pointer's ``lexicon``), prepared on first use."""
        key = (corpus_key(config), lexicon)
        if key not in self._prepared:
            print(f"reading and splitting {self.data} …", file=sys.stderr)
            self._prepared[key] = training_corpus(self.data, self.pair, config, lexicon)
        return self._prepared[key]
