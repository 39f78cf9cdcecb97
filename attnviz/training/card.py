"""Model cards: the README.md of a model directory, written from its config.json card and history."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import torch

from ..attention.alignment import DEFAULT_LINK_READING
from ..attention.normalizers import NORMALIZERS
from ..data.modelcard import Metrics
from ..data.tokenization import describe_tokens
from ..families import LANGUAGES
from ..inference import checkpoint


def machine_description(threads: int, device: str = "cpu", world_size: int = 1) -> str:
    """A one-line description of where training ran (CPU model, threads, processes, device, torch version)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    where = "CPU only" if device == "cpu" else f"{device} ({torch.cuda.get_device_name(0)})"
    processes = f", {world_size} processes" if world_size > 1 else ""
    return f"{cpu}, {threads} thread{'s' if threads != 1 else ''}{processes}, {where}, torch {torch.__version__}"


def epoch_label(record: dict) -> str:
    """'3', or '5 (40% of it)' for an epoch the time budget stopped part-way."""
    return (
        str(record["epoch"])
        if record.get("fraction", 1) >= 1
        else f"{record['epoch']} ({record['fraction']:.0%} of it)"
    )


def starting_point(directory: Path) -> dict:
    """What a warm-started run starts from, as its card records it: the model's name, retrain command,
    training time (minutes), headline figures, and where that model itself started (a chain of runs).

    Raises:
        CheckpointError: ``directory`` has no readable config.json. KeyError: a card without a training section.
    """
    card = checkpoint.read_config(directory)
    t = card["training"]
    metrics = {
        k: v for k, v in card.get("metrics", {}).items() if k in ("test_bleu_greedy", "test_bleu_beam5", "dev_aer")
    }
    point = {
        "name": card["name"],
        "command": t["command"],
        "epochs_run": t["epochs_run"],
        "train_minutes": t["train_minutes"],
        "metrics": metrics,
    }
    if "started_from" in t:
        point["started_from"] = t["started_from"]
    return point


def starting_points_text(point: dict | None) -> str:
    """The card's sentences on where training started: 'Started from `A` (…), trained with `…`; A started
    from `B` …', or "" for a run from random weights."""
    sentences, previous = [], None
    while point:
        m = Metrics.from_card(point)
        figures = [
            f"test BLEU {m.test_bleu_greedy:.2f} greedy" if m.test_bleu_greedy is not None else "",
            f"dev AER {m.dev_aer:.3f}" if m.dev_aer is not None else "",
            f"{point['epochs_run']} epochs in {point['train_minutes']} minutes",
        ]
        subject = f"`{previous}` started" if previous else "Started"
        sentences.append(
            f"{subject} from the weights of `{point['name']}` ({'; '.join(f for f in figures if f)}), "
            f"trained with `{point['command']}`."
        )
        previous, point = point["name"], point.get("started_from")
    return " ".join(sentences)


def quality_lines(card: dict) -> str:
    """The card's alignment and decoding figures as the README's Quality bullet lines (AER, entropy, zeros, BLEU by
    length, the normalizer grid, the chosen alignment head, the link readings)."""
    m = Metrics.from_card(card)
    dev = (
        f"- AER on the WPT03 Hansards dev set (37 pairs, forced decoding, {card.get('alignment_links', DEFAULT_LINK_READING)} links): "
        f"**{m.dev_aer:.3f}** (precision {m.dev_precision:.3f}, recall {m.dev_recall:.3f})\n"
        f"- Mean attention entropy on that set: {m.dev_entropy:.3f} nats\n"
        if m.dev_aer is not None
        else "- No attention, so no attention map and no alignment figures.\n"
    )
    if m.dev_zeros is not None:
        dev += f"- Share of attention weights that are exactly zero on that set: {m.dev_zeros:.1%}\n"
    by_length = m.test_bleu_by_length or {}
    if by_length:
        dev += (
            "- Test BLEU by source length (Moses tokens: BLEU, sentences): "
            + "; ".join(f"{k}: {v['bleu']:.1f} ({v['sentences']})" for k, v in by_length.items() if k != "all")
            + "\n"
        )
    grid = m.decoding_grid or {}
    if grid:
        dev += (
            "- Decoded with each normalizer in place of the trained one (greedy test BLEU · dev AER): "
            + "; ".join(
                f"{NORMALIZERS.get(mode).display_name}: {v['bleu']:.1f} · {v['aer']:.3f}" for mode, v in grid.items()
            )
            + "\n"
        )
    if "alignment_head" in card and m.dev_aer_by_head:
        choice = card["alignment_head"]
        which = "the mean over its heads" if choice["head"] is None else f"head {choice['head'] + 1}"
        dev += (
            f"- Alignment attention: layer {choice['layer'] + 1}, {which} — the lowest dev AER among every "
            f"layer's heads and head means (chosen on the same 37 pairs; AER by layer × head, mean last: "
            + "; ".join(" ".join(f"{v:.3f}" for v in row) for row in m.dev_aer_by_head)
            + f"). Read shifted by one step (Shift-Att, Chen et al. 2020) the best is {m.dev_shift_aer_best:.3f}.\n"
        )
    if m.dev_aer_by_links:
        dev += (
            "- Links read from the attention's rows (each target word's argmax) and columns (each source "
            "word's argmax), as both were guided: the lowest dev AER among the readings (chosen on the same "
            "37 pairs): " + "; ".join(f"{k} {v:.3f}" for k, v in m.dev_aer_by_links.items()) + "\n"
        )
    return dev


def training_notes(t: dict) -> str:
    """The README's sentences after the training figures: shared cores, the attention supervision and its unguided
    twin, where training started, the lexicon pointer (``t``: the card's ``training``)."""
    shared = (
        f" Other processes shared the cores (load average {t['load_average_at_end']} on {os.cpu_count()} cores"
        " at the end), so CPU-minutes are the fairer cost."
        if t.get("load_average_at_end", 0) > t["recipe"]["threads"] + 0.5
        else ""
    )
    guide = t.get("supervision")
    supervision = (
        f"\nAttention supervised by {guide['method']}, weight λ = {guide['lambda']:g}; links from {guide['links']}"
        f" (layer {guide['supervised_map'][0] + 1}, head {guide['supervised_map'][1] + 1})."
        if guide
        else ""
    )
    twin = (guide or {}).get("unguided_twin")
    twin_figures = Metrics.from_card(twin) if twin else Metrics()
    if twin and twin_figures.test_bleu_greedy is not None and twin_figures.dev_aer is not None:
        supervision += (
            f" Its twin trained without guidance, `{twin['name']}`: test BLEU "
            f"{twin_figures.test_bleu_greedy:.2f} greedy, dev AER {twin_figures.dev_aer:.3f}."
        )
    if "started_from" in t:
        supervision += "\n" + starting_points_text(t["started_from"])
    lexicon = t.get("lexicon")
    if lexicon:
        supervision += f"\nLexicon pointer: {lexicon['entries']} entries from {lexicon['source']}; {lexicon['what']}."
    return shared + supervision


def model_card(card: dict, model, info, history: list[dict], weights_mb: float) -> str:
    """The README.md of a translation model directory.

    Args:
        card: the config.json card (name, training, metrics).
        model: the family's module (its ``describe`` and ``architecture`` texts).
        info: the contract (languages).
        history: per-epoch records.
        weights_mb: size of the float16 weights (MB).
    """
    m, t = Metrics.from_card(card), card["training"]
    rows = "\n".join(
        f"| {epoch_label(h)} | {h['train_loss']:.3f} | {h['valid_loss']:.3f} | {h['valid_bleu']:.2f} | {h['minutes']:.1f} |"
        for h in history
    )
    dev, notes = quality_lines(card), training_notes(t)
    return f"""# {card["name"]}

{LANGUAGES[info.source_language]}→{LANGUAGES[info.target_language]} {model.display_name}: **{model.describe()}**,
part of the attnviz model zoo.

## Data
Trained on the {t["data_attribution"]}. Split by English sentence (seed {t["split"]["seed"]}):
{t["split"]["train_pairs"]} training pairs ({t["split"]["train_pairs_after_filter"]} after the filter:
{t["filter"]}), {t["split"]["valid_sentences"]} validation and {t["split"]["test_sentences"]} test
{LANGUAGES[info.source_language]} sentences, every {LANGUAGES[info.target_language]} translation of a held-out sentence kept as a reference.
Tokens: {LANGUAGES[info.source_language]} {describe_tokens(info.source_language, info.segmentation)};
{LANGUAGES[info.target_language]} {describe_tokens(info.target_language)}.

## Architecture
{model.architecture(info.source_language, info.target_language)} {weights_mb:.1f} MB of float16 weights.

## Training
Recipe: `{json.dumps(t["recipe"])}`.
{t["epochs_run"]} epochs in {t["train_minutes"]} minutes wall time ({t["train_cpu_minutes"]} CPU-minutes;
best epoch {t["best_epoch"]}), on {t["machine"]}.{notes}

| epoch | train loss | valid loss | valid BLEU | minutes |
|---|---|---|---|---|
{rows}

## Quality
- Test BLEU (sacrebleu, detokenized, multi-reference, lowercased): **{m.test_bleu_greedy:.2f}** greedy,
  **{m.test_bleu_beam5:.2f}** beam 5
{dev}
Retrain with `{t["command"]}` (reads `{t["data"]}` unless `--data` points elsewhere).
"""
