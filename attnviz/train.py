"""Training the model zoo: one recipe, five models that differ only in scorer or query placement.

The recipe: Adam, label-smoothed cross-entropy (Szegedy et al., 2016),
gradient-norm clipping, length-bucketed batches, the learning rate halved
when validation BLEU stops improving, the best epoch (by validation BLEU) kept,
and a wall-clock budget after which training stops cleanly and still saves.
"""

from __future__ import annotations

import json
import os
import platform
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sacrebleu
import torch
from tqdm import tqdm

from . import checkpoint
from .evaluation import DEFAULT_GOLD, bleu, dev_alignment, load_gold, reference_streams, translate_batch
from .data import (
    ATTRIBUTION,
    MAX_TRAIN_TOKENS,
    Split,
    collate,
    encode_pairs,
    make_batches,
    model_tokens,
    read_pairs,
    split_by_source,
)
from .model import PAD, ModelConfig, Seq2Seq
from .tokenization import Vocab
from .translator import Translator

DEMO_SENTENCE = "the little girl is playing in the big garden ."
HISTORY_FILE = "history.json"

# (directory, scorer, placement): the shipped zoo
ZOO = (
    ("en-fr-dot", "dot", "conditional"),
    ("en-fr-scaled-dot", "scaled_dot", "conditional"),
    ("en-fr-general", "general", "conditional"),
    ("en-fr-additive", "additive", "conditional"),
    ("en-fr-additive-bahdanau", "additive", "previous"),
)


@dataclass
class TrainConfig:
    """Hyperparameters of the recipe (shared by every model of the zoo).

    Attributes:
        epochs: maximum number of passes over the training pairs.
        max_minutes: wall-clock budget for the training epochs (evaluation after
            it is timed separately); training stops mid-epoch when it runs out.
        seed: model initialisation and batch order.
        split_seed: the corpus split (see ``data.split_by_source``).
        batch_tokens: padded tokens per batch (length-bucketed).
        lr: Adam learning rate; halved when validation BLEU does not improve.
        label_smoothing: ε of the smoothed cross-entropy.
        clip: maximum gradient norm.
        src_vocab_size, tgt_vocab_size: vocabulary sizes, specials included.
        threads: torch intra-op threads.
        bf16: bfloat16 autocast for the training forward pass (evaluation stays fp32).
    """

    epochs: int = 12
    max_minutes: float = 40.0
    seed: int = 1
    split_seed: int = 1
    batch_tokens: int = 2000
    lr: float = 2e-3
    label_smoothing: float = 0.1
    clip: float = 1.0
    src_vocab_size: int = 6000
    tgt_vocab_size: int = 8000
    threads: int = 2
    bf16: bool = True


@dataclass
class Corpus:
    """Everything a training run reads: the split, vocabularies and encoded pairs."""

    split: Split
    src_vocab: Vocab
    tgt_vocab: Vocab
    train: list[tuple[list[int], list[int]]]
    filtered_out: int


def prepare_corpus(data: Path, config: TrainConfig) -> Corpus:
    """Read, split, tokenize, filter (both sides ≤ MAX_TRAIN_TOKENS) and encode the corpus.

    Raises:
        FileNotFoundError: no corpus at ``data``.
    """
    split = split_by_source(read_pairs(data), seed=config.split_seed)
    tokenized = [(model_tokens(en, "en"), model_tokens(fr, "fr")) for en, fr in split.train]
    kept = [(s, t) for s, t in tokenized if 0 < len(s) <= MAX_TRAIN_TOKENS and 0 < len(t) <= MAX_TRAIN_TOKENS]
    src_vocab = Vocab.build((s for s, _ in kept), config.src_vocab_size)
    tgt_vocab = Vocab.build((t for _, t in kept), config.tgt_vocab_size)
    return Corpus(split, src_vocab, tgt_vocab, encode_pairs(kept, src_vocab, tgt_vocab), len(tokenized) - len(kept))


def demo_attention(translator: Translator) -> dict:
    """Greedy translation of DEMO_SENTENCE with its attention (for the training-history slider)."""
    result = translator.translate(DEMO_SENTENCE)
    return {
        "source_tokens": result.source_tokens,
        "target_tokens": result.target_tokens,
        "attention": np.round(result.attention, 4).tolist(),
    }


def validation_loss(model: Seq2Seq, pairs: list[tuple[list[int], list[int]]]) -> float:
    """Mean per-token cross-entropy (nats, no smoothing) with teacher forcing."""
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for batch in make_batches(pairs, 6000):
            src, lengths, tgt_in, tgt_out = collate([pairs[i] for i in batch])
            logits, _ = model(src, lengths, tgt_in)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD, reduction="sum"
            ).item()
            count += int((tgt_out != PAD).sum())
    return total / max(count, 1)


def train_model(
    corpus: Corpus,
    model_config: ModelConfig,
    config: TrainConfig,
    out: Path,
    gold_dir: Path | None = DEFAULT_GOLD,
    data_path: Path | None = None,
) -> dict:
    """Train one model, keep its best epoch in ``out`` and write its card and history.

    Args:
        corpus: from ``prepare_corpus``.
        model_config: architecture (vocabulary sizes must match the corpus).
        config: the recipe.
        out: model directory (config.json, model.safetensors, vocabularies,
            history.json, README.md).
        gold_dir: WPT03 dev alignments for AER (skipped when None or absent).

    Returns:
        The card dict written into config.json.
    """
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    out = Path(out)
    model = Seq2Seq(model_config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    valid_sources, valid_streams = reference_streams(corpus.split.valid)
    valid_pairs = encode_pairs(
        [(model_tokens(s, "en"), model_tokens(r, "fr")) for s in valid_sources for r in corpus.split.valid[s]],
        corpus.src_vocab,
        corpus.tgt_vocab,
    )
    translator = Translator(model, corpus.src_vocab, corpus.tgt_vocab, name=out.name)
    history, best_bleu, best_epoch = [], -1.0, 0
    start, cpu_start = time.perf_counter(), time.process_time()
    budget = config.max_minutes * 60
    for epoch in range(1, config.epochs + 1):
        model.train()
        batches = make_batches(corpus.train, config.batch_tokens, rng)
        losses, out_of_time = [], False
        bar = tqdm(batches, desc=f"{out.name} epoch {epoch}", unit="batch", mininterval=10)
        for batch in bar:
            src, lengths, tgt_in, tgt_out = collate([corpus.train[i] for i in batch])
            # bf16 autocast: 1.5x faster on AVX512-BF16 CPUs at the same loss; weights stay fp32
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
                logits, _ = model(src, lengths, tgt_in)
            loss = torch.nn.functional.cross_entropy(
                logits.float().reshape(-1, logits.size(-1)),
                tgt_out.reshape(-1),
                ignore_index=PAD,
                label_smoothing=config.label_smoothing,
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{np.mean(losses[-100:]):.3f}", refresh=False)
            if time.perf_counter() - start > budget:
                out_of_time = True
                break
        bar.close()
        model.eval()
        record = {
            "epoch": epoch,
            "fraction": len(losses) / len(batches),
            "train_loss": float(np.mean(losses)),
            "valid_loss": validation_loss(model, valid_pairs),
            "valid_bleu": sacrebleu.corpus_bleu(
                translate_batch(translator, valid_sources), valid_streams, lowercase=True
            ).score,
            "minutes": (time.perf_counter() - start) / 60,
            "lr": optimizer.param_groups[0]["lr"],
            "demo": demo_attention(translator),
        }
        history.append(record)
        tqdm.write(
            f"{out.name} epoch {epoch}: train loss {record['train_loss']:.3f}  valid loss "
            f"{record['valid_loss']:.3f}  valid BLEU {record['valid_bleu']:.2f}  ({record['minutes']:.1f} min)"
        )
        if record["valid_bleu"] > best_bleu:
            best_bleu, best_epoch = record["valid_bleu"], epoch
            checkpoint.save(out, model, corpus.src_vocab, corpus.tgt_vocab, {"scorer": model_config.scorer})
        else:
            for group in optimizer.param_groups:
                group["lr"] /= 2
        (out / HISTORY_FILE).write_text(json.dumps(history) + "\n", encoding="utf-8")
        if out_of_time:
            break
    train_minutes = (time.perf_counter() - start) / 60
    cpu_minutes = (time.process_time() - cpu_start) / 60
    translator = Translator.load(out)
    translator.model.eval()
    eval_start = time.perf_counter()
    metrics = {
        "test_bleu_greedy": bleu(translator, corpus.split.test, beam=1),
        "test_bleu_beam5": bleu(translator, corpus.split.test, beam=5),
        "valid_bleu": best_bleu,
    }
    if gold_dir is not None and Path(gold_dir, "dev.wa.nonullalign").is_file():
        dev = dev_alignment(translator, load_gold(gold_dir))
        metrics.update({f"dev_{k}": v for k, v in dev.items()})
    card = {
        "name": out.name,
        "language_pair": "en-fr",
        "training": {
            "data": str(data_path) if data_path else None,
            "data_attribution": ATTRIBUTION,
            "licence": "CC BY 2.0 FR",
            "split": {**corpus.split.summary(), "train_pairs_after_filter": len(corpus.train)},
            "filter": f"training pairs kept when both sides have 1..{MAX_TRAIN_TOKENS} Moses tokens "
            f"({corpus.filtered_out} dropped)",
            "recipe": asdict(config),
            "epochs_run": len(history),
            "best_epoch": best_epoch,
            "train_minutes": round(train_minutes, 1),
            "train_cpu_minutes": round(cpu_minutes, 1),
            "eval_minutes": round((time.perf_counter() - eval_start) / 60, 1),
            "machine": machine_description(config.threads),
            # other jobs sharing the cores stretch wall time; CPU-minutes above do not depend on them
            "load_average_at_end": round(os.getloadavg()[0], 1),
        },
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
    }
    checkpoint.save(out, translator.model, corpus.src_vocab, corpus.tgt_vocab, card)
    (out / "README.md").write_text(model_card(card, model_config, history), encoding="utf-8")
    return card


def machine_description(threads: int) -> str:
    """A one-line description of where training ran (CPU model, threads, torch version)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {threads} thread{'s' if threads != 1 else ''}, CPU only, torch {torch.__version__}"


def recipe_flags(config: TrainConfig) -> list[str]:
    """The ``python -m attnviz train`` flags that reproduce ``config`` (vocabulary sizes only when not the default)."""
    flags = ["--epochs", str(config.epochs), "--max-minutes", f"{config.max_minutes:g}",
             "--seed", str(config.seed), "--threads", str(config.threads)]
    if (config.src_vocab_size, config.tgt_vocab_size) != (TrainConfig.src_vocab_size, TrainConfig.tgt_vocab_size):
        flags += ["--src-vocab", str(config.src_vocab_size), "--tgt-vocab", str(config.tgt_vocab_size)]
    return flags


def model_card(card: dict, model_config: ModelConfig, history: list[dict]) -> str:
    """The README.md of a model directory, from its card and history."""
    m, t = card["metrics"], card["training"]

    def epoch_label(h: dict) -> str:
        # the time budget can stop the last epoch part-way
        return str(h["epoch"]) if h.get("fraction", 1) >= 1 else f"{h['epoch']} ({h['fraction']:.0%} of it)"

    rows = "\n".join(
        f"| {epoch_label(h)} | {h['train_loss']:.3f} | {h['valid_loss']:.3f} | {h['valid_bleu']:.2f} | {h['minutes']:.1f} |"
        for h in history
    )
    dev = (
        f"- AER on the WPT03 Hansards dev set (37 pairs, forced decoding, argmax links): "
        f"**{m['dev_aer']:.3f}** (precision {m['dev_precision']:.3f}, recall {m['dev_recall']:.3f})\n"
        f"- Mean attention entropy on that set: {m['dev_entropy']:.3f} nats\n"
        if "dev_aer" in m
        else ""
    )
    size_mb = sum(p.numel() for p in Seq2Seq(model_config).parameters()) * 2 / 1e6
    recipe = t["recipe"]
    shared = (
        f" Other processes shared the cores (load average {t['load_average_at_end']} on {os.cpu_count()} cores"
        " at the end), so CPU-minutes are the fairer cost."
        if t.get("load_average_at_end", 0) > recipe["threads"] + 0.5
        else ""
    )
    command = " ".join(
        ["python -m attnviz train --scorer", model_config.scorer, "--placement", model_config.placement,
         "--out", f"pretrained/{card['name']}", *recipe_flags(TrainConfig(**recipe))]
    )
    return f"""# {card['name']}

English→French GRU encoder–decoder with **{model_config.scorer}** attention scoring and the
**{model_config.placement}** query placement, part of the attnviz model zoo.

## Data
Trained on the {t['data_attribution']}. Split by English sentence (seed {t['split']['seed']}):
{t['split']['train_pairs']} training pairs ({t['split']['train_pairs_after_filter']} after the filter:
{t['filter']}), {t['split']['valid_sentences']} validation and {t['split']['test_sentences']} test
English sentences, every French translation of a held-out sentence kept as a reference.

## Architecture
Embeddings {model_config.embedding_size}, bidirectional GRU encoder {model_config.encoder_size} per
direction (keys {model_config.key_size}), decoder GRU {model_config.decoder_size}, additive attention
width {model_config.attention_size} (additive scorer only), dropout {model_config.dropout},
vocabularies {model_config.src_vocab_size} (en) / {model_config.tgt_vocab_size} (fr) lowercased Moses
tokens; output layer tied to the target embeddings. {size_mb:.1f} MB of float16 weights.

## Training
Recipe: `{json.dumps(t['recipe'])}`.
{t['epochs_run']} epochs in {t['train_minutes']} minutes wall time ({t['train_cpu_minutes']} CPU-minutes;
best epoch {t['best_epoch']}), on {t['machine']}.{shared}

| epoch | train loss | valid loss | valid BLEU | minutes |
|---|---|---|---|---|
{rows}

## Quality
- Test BLEU (sacrebleu, detokenized, multi-reference, lowercased): **{m['test_bleu_greedy']:.2f}** greedy,
  **{m['test_bleu_beam5']:.2f}** beam 5
{dev}
Retrain with `{command}` (reads `../shared/data/tatoeba-fra-eng/fra.txt` unless `--data` points elsewhere).
"""


def zoo_model_config(corpus: Corpus, scorer: str, placement: str) -> ModelConfig:
    """The shared architecture of the zoo with a given scorer and placement."""
    return ModelConfig(len(corpus.src_vocab), len(corpus.tgt_vocab), scorer=scorer, placement=placement)
