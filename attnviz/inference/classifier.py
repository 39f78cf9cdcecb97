"""A loaded text classifier: classify texts, and the attributions the review view puts beside attention.

``Classifier.classify`` gives the probability of each label and the pooling
attention over the words; ``leave_one_out`` and ``gradient_x_input`` are two
other answers to "which words decided?" (Jain & Wallace 2019 compare them with
attention; Wiegreffe & Pinter 2019 answer them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.modelcard import Metrics
from ..data.reviews import pad_batch, review_tokens
from ..data.tokenization import UNK, Vocab
from . import checkpoint
from .checkpoint import CheckpointError
from .translator import InputError

MAX_REVIEW_CHARS = 20_000  # the longest IMDB review has about 13,700 characters
BATCH = 32  # texts per forward pass in classify_many and leave_one_out


@dataclass
class Verdict:
    """A classified text.

    Attributes:
        tokens: the S tokens the model read (lowercased; the text cut to ``max_tokens``).
        unknown: (S,) bool, True for tokens outside the vocabulary (read as ``<unk>``).
        probabilities: (labels,) float, sums to 1.
        attention: (H, S) float, each head's pooling weights, rows sum to 1.
        truncated: tokens cut off the end of the text (0 when it fit).
    """

    tokens: list[str]
    unknown: list[bool]
    probabilities: np.ndarray
    attention: np.ndarray
    truncated: int


class Classifier:
    """A classification model with its vocabulary and labels.

    Args:
        model: a ``classification`` family module (eval mode); vocab: its vocabulary;
        labels: class names (index = label id); card: the config.json card.
    """

    def __init__(
        self, model: torch.nn.Module, vocab: Vocab, labels: tuple[str, ...], card: dict | None = None, name: str = ""
    ):
        self.model, self.vocab, self.labels, self.card, self.name = model, vocab, labels, card or {}, name

    @classmethod
    def load(cls, directory: Path) -> Classifier:
        """Load a classifier directory (validated by ``checkpoint.load``, never unpickled).

        Raises:
            CheckpointError: a missing, corrupt or inconsistent file, or not a classifier.
        """
        loaded = checkpoint.load(Path(directory))
        if loaded.info.task != "classification":
            raise CheckpointError(f"{directory} holds a {loaded.info.task} model, not a classifier")
        if len(loaded.info.labels) != loaded.model.config.tgt_vocab_size:
            raise CheckpointError(
                f"{directory}: {len(loaded.info.labels)} labels but the output layer has "
                f"{loaded.model.config.tgt_vocab_size}"
            )
        return cls(loaded.model, loaded.src_vocab, loaded.info.labels, loaded.config, Path(directory).name)

    @property
    def metrics(self) -> Metrics:
        """The figures measured on its card (``modelcard.Metrics``)."""
        return Metrics.from_card(self.card)

    def describe(self) -> str:
        """The family's one-line label."""
        return self.model.describe()

    def tokens(self, text: str) -> tuple[list[str], int]:
        """(the tokens the model reads, how many were cut off the end).

        Raises:
            InputError: empty text, or more than ``MAX_REVIEW_CHARS`` characters.
        """
        if len(text) > MAX_REVIEW_CHARS:
            raise InputError("too_many_characters", "text", count=len(text), limit=MAX_REVIEW_CHARS)
        tokens = review_tokens(text)
        if not tokens:
            raise InputError("empty", "text")
        limit = self.model.config.max_tokens
        return tokens[:limit], max(len(tokens) - limit, 0)

    @torch.no_grad()
    def _forward(self, token_lists: list[list[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities (N, labels) and attention [(H, S_n)] of token lists, in batches of ``BATCH``."""
        probabilities, attention = [], []
        for start in range(0, len(token_lists), BATCH):
            chunk = token_lists[start : start + BATCH]
            src, lengths = pad_batch([self.vocab.encode(t) for t in chunk])
            logits, weights = self.model(src.to(self.model.device), lengths)
            probabilities.append(torch.softmax(logits.float(), -1).cpu().numpy())
            attention += [weights[b, 0, :, 0, : len(t)].cpu().numpy() for b, t in enumerate(chunk)]
        return np.concatenate(probabilities), attention

    def classify_tokens(self, tokens: list[str], truncated: int = 0) -> Verdict:
        """Classify a token list (already cut to ``max_tokens``)."""
        probabilities, attention = self._forward([tokens])
        ids = self.vocab.encode(tokens)
        return Verdict(tokens, [i == UNK for i in ids], probabilities[0], attention[0], truncated)

    def classify(self, text: str) -> Verdict:
        """Classify one text.

        Raises:
            InputError: as ``tokens``.
        """
        return self.classify_tokens(*self.tokens(text))

    def classify_many(self, texts: list[str]) -> np.ndarray:
        """(N, labels) probabilities of many texts, batched.

        Raises:
            InputError: as ``tokens``, for the first bad text (names its position).
        """
        token_lists = []
        for k, text in enumerate(texts):
            try:
                token_lists.append(self.tokens(text)[0])
            except InputError as err:
                raise InputError(err.problem, err.subject, k + 1, **err.values) from None
        return self._forward(token_lists)[0] if token_lists else np.zeros((0, len(self.labels)))

    def leave_one_out(self, tokens: list[str], label: int = 1) -> np.ndarray:
        """(S,) P(label | text) − P(label | text without token j): how much each word pushed towards ``label``.

        One forward pass per word (batched); an empty text (one token) gives [P(label)].
        """
        base = self._forward([tokens])[0][0, label]
        without = [tokens[:j] + tokens[j + 1 :] for j in range(len(tokens))]
        if len(tokens) == 1:
            return np.array([base])
        return base - self._forward(without)[0][:, label]

    def gradient_x_input(self, tokens: list[str], label: int = 1) -> np.ndarray:
        """(S,) gradient × input of the logit of ``label``, summed over each word's embedding
        (Shrikumar et al. 2017; Denil et al. 2014), by PyTorch's autograd."""
        src, lengths = pad_batch([self.vocab.encode(tokens)])
        src = src.to(self.model.device)
        embedded = self.model.embed(src).detach().requires_grad_(True)
        logits, _ = self.model(src, lengths, embedded=embedded)
        (gradient,) = torch.autograd.grad(logits[0, label], embedded)
        return (gradient * embedded).sum(-1)[0].detach().cpu().numpy()

    def without_tokens(self, tokens: list[str], positions: set[int]) -> Verdict:
        """The verdict on ``tokens`` with the words at ``positions`` deleted (the "what if" of the review view).

        Raises:
            InputError: every word deleted.
        """
        kept = [t for j, t in enumerate(tokens) if j not in positions]
        if not kept:
            raise InputError("all_deleted", "text")
        return self.classify_tokens(kept)
