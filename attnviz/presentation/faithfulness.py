"""Is attention an explanation? Attention weights of a classifier beside two other word importances.

Jain & Wallace (2019) found attention weights often uncorrelated with gradient
and leave-one-out importance; Wiegreffe & Pinter (2019) showed when they still
carry meaning. The review view shows, for one text, the three importances side
by side, their rank correlations (Kendall τ in Jain & Wallace; Spearman ρ here,
by pandas) and what deleting the most-attended words does to the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inference.classifier import Classifier, Verdict


@dataclass
class Importances:
    """Three answers to "which words decided?" for one text and one label.

    Attributes:
        tokens: S tokens.
        attention: (S,) the pooling weights (mean over heads), sum to 1.
        leave_one_out: (S,) P(label) − P(label without word j).
        gradient_x_input: (S,) Σ_d ∂logit/∂x_jd · x_jd.
    """

    tokens: list[str]
    attention: np.ndarray
    leave_one_out: np.ndarray
    gradient_x_input: np.ndarray

    def table(self) -> pd.DataFrame:
        """One row per word: the three importances and each one's rank (1 = most important)."""
        frame = pd.DataFrame(
            {
                "word": self.tokens,
                "attention": self.attention,
                "leave-one-out": self.leave_one_out,
                "gradient × input": self.gradient_x_input,
            }
        )
        for column in ("attention", "leave-one-out", "gradient × input"):
            frame[f"rank by {column}"] = frame[column].abs().rank(ascending=False, method="min").astype(int)
        return frame

    def correlations(self) -> dict[str, float]:
        """Spearman ρ between attention and |leave-one-out|, and between attention and |gradient × input|
        (magnitudes: attention says how much a word was read, not in which direction it pushed).
        NaN for a one-word text."""
        frame = pd.DataFrame({"a": self.attention, "l": np.abs(self.leave_one_out), "g": np.abs(self.gradient_x_input)})
        return {
            "leave-one-out": float(frame["a"].corr(frame["l"], method="spearman")),
            "gradient × input": float(frame["a"].corr(frame["g"], method="spearman")),
        }


def importances(classifier: Classifier, verdict: Verdict, label: int) -> Importances:
    """The three importances of ``verdict``'s tokens for ``label`` (one batched pass per word for leave-one-out)."""
    return Importances(
        verdict.tokens,
        verdict.attention.mean(0),
        classifier.leave_one_out(verdict.tokens, label),
        classifier.gradient_x_input(verdict.tokens, label),
    )


def most_attended(verdict: Verdict, k: int) -> set[int]:
    """Positions of the ``k`` largest pooling weights (mean over heads)."""
    return set(np.argsort(-verdict.attention.mean(0), kind="stable")[:k].tolist())
