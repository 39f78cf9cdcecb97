"""The measured figures of a model card, typed: what training writes into config.json's "metrics" and every
reader reads — the one place a metric is named.

A card's other parts (the contract, the family fields, "training") are read by ``checkpoint`` and
``families``; this module imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

DIGITS = 4  # figures are stored rounded: a card is read by people too


@dataclass(frozen=True)
class Metrics:
    """A model's measured figures; None where it was not measured (a classifier has no BLEU).

    Translation (BLEU: sacrebleu, lowercased, detokenized, against all references of the test split;
    dev: the WPT03 Hansards dev gold, each pair force-decoded):
        valid_bleu, test_bleu_greedy, test_bleu_beam5: BLEU (0–100).
        test_bleu_by_length: {"all" | "1–5" | …: {"sentences": int, "bleu": float}} by source length.
        dev_aer, dev_precision, dev_recall: alignment error rate (Och & Ney 2003) and its parts, 0–1.
        dev_entropy: mean attention-row entropy (nats); dev_monotonicity: share of rows whose argmax does
            not move left; dev_ms: mean forced-decoding time per dev pair (ms); dev_zeros: share of exactly
            zero weights.
        dev_aer_by_head, dev_shift_aer_by_head: (layers, heads + 1) AER of every head and each layer's
            head mean, plain and read shifted by one step (Chen et al. 2020); dev_shift_aer_best: its minimum.
        dev_aer_by_links: {link reading: AER} (``alignment.LINK_READINGS``) of the chosen head.
        decoding_grid: {normalizer: {"bleu", "aer"}} decoded with each of ``evaluation.DECODINGS``.
    Classification (Maas et al. 2011's test file):
        valid_accuracy, test_accuracy: share correct, 0–1; test_loss: mean cross-entropy (nats);
        test_truncated_share: share of test texts longer than the model reads.
    """

    valid_bleu: float | None = None
    test_bleu_greedy: float | None = None
    test_bleu_beam5: float | None = None
    test_bleu_by_length: dict | None = None
    dev_aer: float | None = None
    dev_precision: float | None = None
    dev_recall: float | None = None
    dev_entropy: float | None = None
    dev_monotonicity: float | None = None
    dev_ms: float | None = None
    dev_zeros: float | None = None
    dev_aer_by_head: list | None = None
    dev_shift_aer_by_head: list | None = None
    dev_shift_aer_best: float | None = None
    dev_aer_by_links: dict | None = None
    decoding_grid: dict | None = None
    valid_accuracy: float | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    test_truncated_share: float | None = None

    @classmethod
    def from_card(cls, card: dict) -> Metrics:
        """The "metrics" of a config.json dict (none: every figure None).

        Raises:
            ValueError: "metrics" is not an object, names an unknown figure, or a figure of the wrong kind.
        """
        values = card.get("metrics", {})
        if not isinstance(values, dict):
            raise ValueError("field 'metrics' must be an object")
        kinds = {f.name: f.type for f in fields(cls)}
        for name, value in values.items():
            if name not in kinds:
                raise ValueError(f"field 'metrics.{name}' is not a figure attnviz knows")
            expected = kinds[name].split(" |")[0]
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if (
                value is not None
                and not {"float": number, "dict": isinstance(value, dict), "list": isinstance(value, list)}[expected]
            ):
                raise ValueError(f"field 'metrics.{name}' must be a {'number' if expected == 'float' else expected}")
        return cls(**values)

    def merged(self, other: Metrics) -> Metrics:
        """These figures with ``other``'s measured ones (not None) in their place."""
        return replace(self, **{k: v for k, v in asdict(other).items() if v is not None})

    def to_dict(self) -> dict:
        """The measured figures for config.json, floats rounded to ``DIGITS`` places (None left out)."""
        return {k: round(v, DIGITS) if isinstance(v, float) else v for k, v in asdict(self).items() if v is not None}

    def best_single_head(self) -> tuple[int, int] | None:
        """(layer, head), 0-based, of the single head with the lowest dev AER (the mean column left out), or None."""
        grid = self.dev_aer_by_head
        if not grid:
            return None
        return min(
            ((l, h) for l in range(len(grid)) for h in range(len(grid[l]) - 1)), key=lambda lh: grid[lh[0]][lh[1]]
        )
