"""Training the review classifiers: the recipe, the loop (resumable, time-budgeted) and their model card.

Validation is carved out of the 25,000 training reviews; the best epoch by
validation accuracy is kept and measured on the whole 25,000-review test file.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..data.files import atomic_write_text
from ..data.modelcard import Metrics
from ..data.reviews import (
    IMDB_ATTRIBUTION,
    LABELS,
    Review,
    carve_validation,
    encode_reviews,
    encode_token_lists,
    pad_batch,
    review_tokens,
)
from ..data.tatoeba import REPO, make_batches, repo_relative
from ..data.tokenization import Vocab
from ..families import ModelInfo
from ..families.classifier import AttentionClassifier, ClassifierConfig
from ..inference import checkpoint
from ..measurement.evaluation import evaluate_classifier
from .card import epoch_label, machine_description
from .loop import EpochRun


@dataclass
class ClassifierRecipe:
    """Hyperparameters of a classifier's training.

    Attributes:
        epochs: maximum passes over the training reviews.
        max_minutes: wall-clock budget for the epochs (the test evaluation after it is timed apart).
        seed: initialisation, batch order and the validation draw.
        valid_reviews: reviews held out of the training file for validation.
        batch_tokens: padded tokens per batch (length-bucketed).
        lr: Adam learning rate; halved when validation accuracy does not improve.
        clip: maximum gradient norm.
        vocab_size: vocabulary size, specials included (the most frequent training tokens).
        threads: torch intra-op threads.
        weight_decay: decoupled weight decay of AdamW (Loshchilov & Hutter, 2019); 0 = plain Adam.
        init_from: a trained classifier's directory, relative to the repository, whose weights start
            this run (a longer budget in several runs); its vocabulary must be the one this split builds.
        word_vector_epochs: > 0: the embeddings start from skip-gram word vectors (word2vec, Mikolov et al.
            2013, through gensim) trained for this many epochs on the training reviews themselves — Maas et
            al.'s (2011) point that in-domain word vectors help sentiment; 0: random embeddings.
    """

    epochs: int = 8
    max_minutes: float = 88.0
    seed: int = 1
    valid_reviews: int = 2500
    batch_tokens: int = 16000
    lr: float = 2e-3
    clip: float = 1.0
    vocab_size: int = 20000
    threads: int = 1
    weight_decay: float = 0.0
    init_from: str = ""
    word_vector_epochs: int = 0


# the read lengths (tokens) ``choose_read_length`` compares on validation; the last reads every review whole (the
# longest IMDB review has 2,740 tokens, and the app takes at most MAX_REVIEW_CHARS characters)
READ_LENGTHS = (400, 600, 1000, 5000)


@dataclass(frozen=True)
class ClassifierZooEntry:
    """One shipped classifier: its directory name, the ``ClassifierConfig`` fields and the ``ClassifierRecipe``
    fields that set it apart; ``reread``: after training, its read length is chosen on validation among
    ``READ_LENGTHS`` (``choose_read_length``)."""

    name: str
    fields: dict = field(default_factory=dict)
    recipe: dict = field(default_factory=dict)
    reread: bool = False


# both poolings alike from word vectors trained on the training reviews, more dropout, AdamW weight decay and a
# 110-minute budget; they replace the 75-minute models continued 45 minutes with dropout 0.5 (89.7 % / 87.9 %)
WORD_VECTORS = {"word_vector_epochs": 5, "weight_decay": 0.01, "max_minutes": 110.0, "epochs": 12}
CLASSIFIER_ZOO = (
    ClassifierZooEntry("imdb-self-attention", {"pooling": "self_attention"}),
    ClassifierZooEntry("imdb-multihead", {"pooling": "multihead", "heads": 4}),
    ClassifierZooEntry(
        "imdb-self-attention-word-vectors", {"pooling": "self_attention", "dropout": 0.5}, WORD_VECTORS, reread=True
    ),
    ClassifierZooEntry(
        "imdb-multihead-word-vectors", {"pooling": "multihead", "heads": 4, "dropout": 0.5}, WORD_VECTORS, reread=True
    ),
)


def classifier_flags(config: ClassifierConfig, recipe: ClassifierRecipe) -> list[str]:
    """The ``train-classifier`` flags that reproduce a model and its recipe."""
    flags = [
        "--pooling",
        config.pooling,
        "--heads",
        str(config.heads),
        "--epochs",
        str(recipe.epochs),
        "--max-minutes",
        f"{recipe.max_minutes:g}",
        "--seed",
        str(recipe.seed),
        "--threads",
        str(recipe.threads),
    ]
    if config.dropout != ClassifierConfig.dropout:
        flags += ["--dropout", f"{config.dropout:g}"]
    if recipe.lr != ClassifierRecipe.lr:
        flags += ["--lr", f"{recipe.lr:g}"]
    if recipe.weight_decay:
        flags += ["--weight-decay", f"{recipe.weight_decay:g}"]
    if recipe.init_from:
        flags += ["--init-from", recipe.init_from]
    if recipe.word_vector_epochs:
        flags += ["--word-vector-epochs", str(recipe.word_vector_epochs)]
    return flags


def word_vectors(
    token_lists: list[list[str]], vocab: Vocab, size: int, epochs: int, seed: int, threads: int
) -> torch.Tensor:
    """Skip-gram word vectors (word2vec with negative sampling; Mikolov et al. 2013) of the vocabulary, trained on
    ``token_lists`` with gensim, as an embedding matrix.

    Returns:
        (V, size) float32 in vocabulary order, scaled to unit standard deviation like ``nn.Embedding``'s
        N(0, 1) initialisation; rows of the specials and of tokens word2vec did not keep are N(0, 1), the
        padding row is 0.
    """
    from gensim.models import Word2Vec  # needed only by this training recipe, never by the app

    trained = Word2Vec(
        token_lists,
        vector_size=size,
        window=5,
        min_count=1,
        sg=1,
        negative=5,
        epochs=epochs,
        seed=seed,
        workers=threads,
        max_vocab_size=None,
    )
    generator = torch.Generator().manual_seed(seed)
    matrix = torch.randn(len(vocab), size, generator=generator)
    known = [(i, token) for i, token in enumerate(vocab.tokens) if i >= 4 and token in trained.wv.key_to_index]
    vectors = torch.from_numpy(np.stack([trained.wv[token] for _, token in known])).float()
    matrix[[i for i, _ in known]] = vectors / vectors.std()
    matrix[0] = 0.0
    return matrix


def warm_start_classifier(model: AttentionClassifier, directory: Path, vocab: Vocab) -> None:
    """Copy a trained classifier's weights into ``model`` (same architecture, same vocabulary).

    Raises:
        CheckpointError: a broken model directory. ValueError: another vocabulary or architecture.
    """
    old = checkpoint.load(directory)
    if old.src_vocab.tokens != vocab.tokens:
        raise ValueError(f"{directory} was trained with another vocabulary; a warm start needs the same split and size")
    try:
        model.load_state_dict(old.model.state_dict())
    except RuntimeError as err:  # torch names every mismatched tensor
        raise ValueError(f"{directory} has another architecture: {str(err).splitlines()[1].strip()}") from None


def train_classifier(
    train: list[Review],
    test: list[Review],
    model_config: ClassifierConfig,
    recipe: ClassifierRecipe,
    out: Path,
    data_dir: Path | None = None,
    command: str = "",
) -> dict:
    """Train one classifier, keep its best epoch in ``out`` with card and history; return the card.

    Args:
        train: the training file's reviews (validation is carved out of them).
        test: the test file's reviews (measured once, with the best epoch).
        model_config: its vocabulary size is replaced by the vocabulary actually built.
        recipe: the training hyperparameters.
        out: the model directory (resume.safetensors while training).
        data_dir: where the reviews were read, recorded relative to the repository.
        command: the command that retrains it, written on the card.

    Raises:
        ValueError: a resume state made with another recipe (names the fields).
    """
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    out = Path(out)
    fit, valid = carve_validation(train, recipe.valid_reviews, recipe.seed)
    token_lists = [review_tokens(r.text)[: model_config.max_tokens] for r in fit]
    vocab = Vocab.build(token_lists, recipe.vocab_size)
    model_config = ClassifierConfig(
        **{**asdict(model_config), "src_vocab_size": len(vocab), "tgt_vocab_size": len(LABELS)}
    )
    run = ClassifierRun(out, AttentionClassifier(model_config), model_config, recipe, vocab)
    run.data(token_lists, [LABELS.index(r.label) for r in fit], valid)
    run.resume_or_start()
    run.run(recipe.epochs, recipe.max_minutes)
    split = {"train_reviews": len(fit), "valid_reviews": len(valid), "test_reviews": len(test)}
    card = finish_classifier(out, test, recipe, run.progress, split, data_dir, command)
    run.resume_path.unlink(missing_ok=True)
    return card


class ClassifierRun(EpochRun):
    """One classifier's training (``loop.EpochRun``: epochs, resume, learning-rate halving): AdamW on the
    cross-entropy of the labels, validation accuracy deciding the best epoch."""

    best_key = "best_accuracy"

    def __init__(self, out: Path, model, model_config: ClassifierConfig, recipe: ClassifierRecipe, vocab: Vocab):
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
        super().__init__(out, model, optimizer, random.Random(recipe.seed), asdict(recipe), model_config.to_dict())
        self.model_config, self.recipe, self.vocab = model_config, recipe, vocab
        self.info = ModelInfo("classification", "classifier", "en", None, LABELS, 1, model_config.heads, ("pooling",))

    def data(self, token_lists: list[list[str]], labels: list[int], valid: list[Review]) -> None:
        """The training reviews' tokens and label indices, and the validation reviews, encoded."""
        self.token_lists = token_lists
        self.fit_ids = encode_token_lists(token_lists, self.vocab, self.model_config.max_tokens)
        self.fit_labels = labels
        self.valid_ids, self.valid_labels = encode_reviews(valid, self.vocab, self.model_config.max_tokens)

    def resume_or_start(self) -> None:
        """Continue a resume state (``EpochRun.resume``), or start from ``init_from``'s weights, from skip-gram word
        vectors (``word_vector_epochs``), or from random weights.

        Raises:
            ValueError: a resume state made with another recipe or architecture.
        """
        recipe, out = self.recipe, self.out

        def differences(saved: dict) -> list[str]:
            now = self.progress["recipe"]
            changed = [
                f"{k}: {v!r} then, {now.get(k)!r} now"
                for k, v in saved["recipe"].items()
                if k not in ("epochs", "max_minutes", "threads") and now.get(k) != v
            ]
            return changed or (["model"] if saved["model"] != self.progress["model"] else [])

        if self.resume(differences):
            tqdm.write(
                f"{out.name}: resuming after epoch {self.progress['epoch']} ({self.progress['seconds'] / 60:.1f} min done)"
            )
        elif recipe.init_from:
            warm_start_classifier(self.model, REPO / recipe.init_from, self.vocab)
            tqdm.write(f"{out.name}: starting from {recipe.init_from}")
        elif recipe.word_vector_epochs:
            tqdm.write(f"{out.name}: training word vectors on the {len(self.token_lists):,} training reviews")
            vectors = word_vectors(
                self.token_lists,
                self.vocab,
                self.model_config.embedding_size,
                recipe.word_vector_epochs,
                recipe.seed,
                recipe.threads,
            )
            with torch.no_grad():
                self.model.embed.weight.copy_(vectors)
        self.start_clocks()

    def epoch(self, epoch: int) -> bool:
        """One pass over the training reviews, then validation (``validate``) and ``end_epoch``; True when the
        time budget ran out in it."""
        recipe, model = self.recipe, self.model
        model.train()
        batches = make_batches([(x, []) for x in self.fit_ids], recipe.batch_tokens, self.rng)
        tallies, out_of_time = {"losses": [], "correct": 0, "seen": 0}, False
        bar = tqdm(batches, desc=f"{self.out.name} epoch {epoch}", unit="batch", mininterval=10)
        for batch in bar:
            src, lengths = pad_batch([self.fit_ids[i] for i in batch])
            target = torch.tensor([self.fit_labels[i] for i in batch])
            logits, _ = model(src, lengths)
            loss = torch.nn.functional.cross_entropy(logits, target)
            self.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
            self.optimizer.step()
            tallies["losses"].append(loss.item())
            tallies["correct"] += int((logits.argmax(-1) == target).sum())
            tallies["seen"] += len(batch)
            bar.set_postfix(loss=f"{np.mean(tallies['losses'][-50:]):.3f}", refresh=False)
            if self.elapsed() > recipe.max_minutes * 60:
                out_of_time = True
                break
        bar.close()
        self.end_epoch(epoch, self.validate(epoch, tallies, len(batches)))
        return out_of_time

    def validate(self, epoch: int, tallies: dict, batches: int) -> bool:
        """The epoch's history record (train loss and accuracy, validation loss and accuracy); saves the weights
        when validation accuracy is the best yet. Returns whether it is."""
        scores = evaluate_classifier(self.model, self.valid_ids, self.valid_labels)
        losses = tallies["losses"]
        record = {
            "epoch": epoch,
            "fraction": len(losses) / max(batches, 1),
            "train_loss": float(np.mean(losses)),
            "train_accuracy": tallies["correct"] / max(tallies["seen"], 1),
            "valid_loss": scores["loss"],
            "valid_accuracy": scores["accuracy"],
            "minutes": self.elapsed() / 60,
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        history = self.progress["history"]
        history.append(record)
        tqdm.write(
            f"{self.out.name} epoch {epoch}: train loss {record['train_loss']:.3f}  valid accuracy "
            f"{record['valid_accuracy']:.4f}  ({record['minutes']:.1f} min)"
        )
        improved = record["valid_accuracy"] > self.progress["best_accuracy"]
        if improved:
            self.progress["best_accuracy"], self.progress["best_epoch"] = record["valid_accuracy"], epoch
            checkpoint.save(self.out, self.model, self.info, self.vocab, None, {"name": self.out.name})
        atomic_write_text(self.out / checkpoint.HISTORY_FILE, json.dumps(history) + "\n")
        return improved


def choose_read_length(
    out: Path,
    train: list[Review],
    test: list[Review],
    lengths: tuple[int, ...] = READ_LENGTHS,
    data_dir: Path | None = None,
) -> dict[int, float]:
    """Choose how much of a review a trained classifier reads, on validation; re-measure it and rewrite its card.

    Training cuts reviews to ``max_tokens`` (400 in the zoo: the 2-core CPU's time budget), but the GRU and the
    attention pooling read a review of any length. Each length is measured on the run's own validation reviews
    (``carve_validation`` with its recipe's seed); the most accurate is kept — on a tie the longer, since it cuts
    less — written as ``max_tokens`` into config.json, and only then is the test set measured (``finish_classifier``).
    The weights, the history and the best epoch do not change; the card records the length trained on and the
    validation accuracy of each length.

    Args:
        out: a trained classifier's directory (config.json with its card, history.json).
        train, test: the IMDB training and test reviews (the training file's validation draw is carved again).
        lengths: read lengths in tokens, each in [1, 100000].

    Returns:
        {length: validation accuracy (0–1)}.

    Raises:
        ValueError: no lengths, or a length out of range; FileNotFoundError: no model at ``out``.
    """
    if not lengths or not all(1 <= n <= 100_000 for n in lengths):
        raise ValueError(f"read lengths must be 1–100000 tokens, got {list(lengths)}")
    loaded = checkpoint.load(out)
    card = loaded.config
    recipe = ClassifierRecipe(**card["training"]["recipe"])
    _, valid = carve_validation(train, recipe.valid_reviews, recipe.seed)
    accuracy = {}
    for length in sorted(lengths):
        ids, labels = encode_reviews(valid, loaded.src_vocab, length)
        accuracy[length] = evaluate_classifier(loaded.model, ids, labels)["accuracy"]
    chosen = max(sorted(accuracy), key=lambda n: (accuracy[n], n))
    trained = card["training"].get("read_length", {}).get("trained_tokens", loaded.model.config.max_tokens)
    loaded.model.config.max_tokens = chosen
    checkpoint.save(out, loaded.model, loaded.info, loaded.src_vocab, None, card)
    progress = {
        "history": checkpoint.read_history(out),
        "best_epoch": card["training"]["best_epoch"],
        "best_accuracy": accuracy[chosen],
        "seconds": card["training"]["train_minutes"] * 60,
        "cpu_seconds": card["training"]["train_cpu_minutes"] * 60,
    }
    read_length = {
        "trained_tokens": trained,
        "valid_accuracy_by_tokens": {str(n): a for n, a in accuracy.items()},
        "chosen_tokens": chosen,
    }
    finish_classifier(
        Path(out), test, recipe, progress, card["training"]["split"], data_dir, card["training"]["command"], read_length
    )
    return accuracy


def finish_classifier(
    out: Path,
    test: list[Review],
    recipe: ClassifierRecipe,
    progress: dict,
    split: dict,
    data_dir: Path | None,
    command: str,
    read_length: dict | None = None,
) -> dict:
    """Measure the best epoch on the test reviews; write config.json's card and the README.md.

    ``read_length``: ``choose_read_length``'s record (the length trained on, validation accuracy by length), kept
    on the card; None for a model that reads what it was trained on."""
    loaded = checkpoint.load(out)
    eval_start = time.perf_counter()
    test_ids, test_labels = encode_reviews(test, loaded.src_vocab, loaded.model.config.max_tokens)
    scores = evaluate_classifier(loaded.model, test_ids, test_labels)
    truncated = sum(len(review_tokens(r.text)) > loaded.model.config.max_tokens for r in test)
    card = {
        "name": out.name,
        "training": {
            "data": repo_relative(data_dir) if data_dir else None,
            "data_attribution": IMDB_ATTRIBUTION,
            "split": split,
            "recipe": asdict(recipe),
            "command": command,
            "epochs_run": len(progress["history"]),
            "best_epoch": progress["best_epoch"],
            "train_minutes": round(progress["seconds"] / 60, 1),
            "train_cpu_minutes": round(progress["cpu_seconds"] / 60, 1),
            "eval_minutes": round((time.perf_counter() - eval_start) / 60, 1),
            "machine": machine_description(recipe.threads),
            "load_average_at_end": round(os.getloadavg()[0], 1),
            **({"read_length": read_length} if read_length else {}),
        },
        "metrics": Metrics(
            test_accuracy=scores["accuracy"],
            test_loss=scores["loss"],
            valid_accuracy=progress["best_accuracy"],
            test_truncated_share=truncated / len(test),
        ).to_dict(),
    }
    checkpoint.save(out, loaded.model, loaded.info, loaded.src_vocab, None, card)
    atomic_write_text(out / checkpoint.CARD_FILE, classifier_card(card, loaded.model, progress["history"]))
    return card


def read_length_text(training: dict, max_tokens: int, truncated_share: float) -> str:
    """The card's sentence on how much of a review the model reads (and, after ``choose_read_length``, why)."""
    read = training.get("read_length")
    if not read:
        return (
            f"Texts are cut to their first {max_tokens} tokens ({truncated_share:.0%} of the test reviews are longer)."
        )
    by_length = ", ".join(f"{n} → {a:.2%}" for n, a in read["valid_accuracy_by_tokens"].items())
    return (
        f"Training read the first {read['trained_tokens']} tokens of each review; validation, the test and the app "
        f"read the first {max_tokens} ({truncated_share:.0%} of the test reviews are longer), the read length chosen "
        f"on the validation reviews after training (`python -m attnviz train-classifier --reread --out DIR`; "
        f"validation accuracy by tokens read: {by_length})."
    )


def classifier_card(card: dict, model: AttentionClassifier, history: list[dict]) -> str:
    """The README.md of a classifier directory."""
    t, m = card["training"], Metrics.from_card(card)
    rows = "\n".join(
        f"| {epoch_label(h)} | {h['train_loss']:.3f} | {h['train_accuracy']:.3f} | {h['valid_loss']:.3f} | "
        f"{h['valid_accuracy']:.3f} | {h['minutes']:.1f} |"
        for h in history
    )
    weights_mb = sum(p.numel() for p in model.parameters()) * 2 / 1e6
    return f"""# {card["name"]}

English movie-review sentiment classifier: **{model.describe()}**, part of the attnviz model zoo.

## Data
Trained on the {t["data_attribution"]}: {t["split"]["train_reviews"]:,} of its training reviews, the other
{t["split"]["valid_reviews"]:,} drawn at random (seed {t["recipe"]["seed"]}) for validation; tested on all {t["split"]["test_reviews"]:,} test reviews
(disjoint films). {read_length_text(t, model.config.max_tokens, m.test_truncated_share)}

## Architecture
{model.architecture("en")} {weights_mb:.1f} MB of float16 weights.

## Training
Recipe: `{json.dumps(t["recipe"])}`.
{t["epochs_run"]} epochs in {t["train_minutes"]} minutes wall time ({t["train_cpu_minutes"]} CPU-minutes; best epoch
{t["best_epoch"]}), on {t["machine"]}.

| epoch | train loss | train accuracy | valid loss | valid accuracy | minutes |
|---|---|---|---|---|---|
{rows}

## Quality
- Test accuracy on all {t["split"]["test_reviews"]:,} test reviews: **{m.test_accuracy:.2%}** (validation {m.valid_accuracy:.2%})
- Anchors: bag of words + word vectors 88.9 % (Maas et al. 2011); NB-SVM 91.2 % (Wang & Manning 2012);
  BiLSTM + attention ≈ 89–90 % (Jain & Wallace 2019).

Retrain with `{t["command"]}`.
"""
