"""IMDB movie reviews (Maas et al., 2011): reading, cleaning, tokenizing and batching for the classifiers.

Read from ``../shared/data/imdb-acl/{train,test}.tsv.gz`` (a header line
``label<TAB>rating<TAB>text``); nothing from it is stored in this repository.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from .tatoeba import REPO
from .tokenization import PAD, UNK, Vocab, normalize_token, tokenize

IMDB_DIR = REPO.parent / "shared" / "data" / "imdb-acl"
IMDB_ATTRIBUTION = (
    'Large Movie Review Dataset v1.0 (Maas et al., "Learning Word Vectors for Sentiment Analysis", '
    "ACL 2011; Stanford AI Lab)"
)
LABELS = ("neg", "pos")  # label ids 0 and 1; P(positive) is the probability of id 1
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # the reviews keep the site's HTML line breaks


@dataclass(frozen=True)
class Review:
    """One labelled review: ``label`` in LABELS, ``rating`` 1–10 stars, ``text`` cleaned of ``<br />``."""

    label: str
    rating: int
    text: str


def clean(text: str) -> str:
    """A review's text with its HTML line breaks turned into spaces."""
    return LINE_BREAK.sub(" ", text).strip()


def read_reviews(path: Path) -> list[Review]:
    """Read a gzip'd TSV of reviews.

    Raises:
        FileNotFoundError: no file at ``path``; ValueError: a malformed line (names its number).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no reviews at {path}; see ../shared/data/README.md")
    reviews = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["label", "rating", "text"]:
            raise ValueError(f"{path}: the header is {header}, expected label, rating, text")
        for number, line in enumerate(f, start=2):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0] not in LABELS or not parts[1].isdigit():
                raise ValueError(f"{path}, line {number}: expected label<TAB>rating<TAB>text")
            reviews.append(Review(parts[0], int(parts[1]), clean(parts[2])))
    return reviews


def review_tokens(text: str) -> list[str]:
    """The classifier's tokens of a text: lowercased English Moses tokens, line breaks removed."""
    return [normalize_token(t) for t in tokenize(clean(text), "en")]


def carve_validation(reviews: list[Review], count: int, seed: int = 1) -> tuple[list[Review], list[Review]]:
    """(train, validation): ``count`` reviews drawn at random (seeded) out of ``reviews``.

    Raises:
        ValueError: ``count`` not smaller than the number of reviews.
    """
    if not 0 < count < len(reviews):
        raise ValueError(f"cannot hold out {count} of {len(reviews)} reviews")
    order = list(range(len(reviews)))
    random.Random(seed).shuffle(order)
    held = set(order[:count])
    return [r for k, r in enumerate(reviews) if k not in held], [reviews[k] for k in sorted(held)]


def pad_batch(sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, S) long ids padded with PAD, and (B,) long lengths; every sequence non-empty."""
    lengths = torch.tensor([len(s) for s in sequences])
    batch = torch.full((len(sequences), int(lengths.max())), PAD, dtype=torch.long)
    for b, ids in enumerate(sequences):
        batch[b, : len(ids)] = torch.tensor(ids)
    return batch, lengths


def encode_token_lists(token_lists: list[list[str]], vocab: Vocab, max_tokens: int) -> list[list[int]]:
    """Token ids cut to ``max_tokens``; a text without tokens reads as one ``<unk>``."""
    return [vocab.encode(tokens[:max_tokens]) or [UNK] for tokens in token_lists]


def encode_reviews(reviews: list[Review], vocab: Vocab, max_tokens: int) -> tuple[list[list[int]], list[int]]:
    """(token ids cut to ``max_tokens``, label ids) of reviews."""
    ids = encode_token_lists([review_tokens(r.text) for r in reviews], vocab, max_tokens)
    return ids, [LABELS.index(r.label) for r in reviews]
