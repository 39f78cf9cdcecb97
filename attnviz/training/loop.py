"""The training loop: one model, on one process or many (DistributedDataParallel), resumable.

The recipe (``recipes.TrainConfig``): Adam, label-smoothed cross-entropy
(Szegedy et al., 2016), gradient-norm clipping, length-bucketed batches, the
learning rate halved when validation BLEU stops improving, the best epoch (by
validation BLEU) kept, and a wall-clock budget after which training stops
cleanly and still saves.

Scale-out: under ``torchrun --nproc_per_node N -m attnviz train …`` every
process takes every N-th batch and DDP averages the gradients (gloo on CPU,
nccl on GPU); rank 0 validates, saves and writes the card, and every rank logs
a checksum of its final weights, which must agree.

Resume: after every epoch the whole training state (weights, Adam moments,
random generators, history, elapsed time) goes into ``resume.safetensors`` in
the model directory, written atomically; a run started on a directory that has
one continues after its last finished epoch. The file is removed once the
model is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sacrebleu
import torch
import torch.distributed as dist
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm import tqdm

from ..attention.alignment import LINK_READINGS
from ..data.dictionary import lexicon_table
from ..data.files import atomic_path, atomic_write_text
from ..data.modelcard import Metrics
from ..data.names import DICTIONARY_ATTRIBUTION, proper_noun_pairs
from ..data.tatoeba import MAX_TRAIN_TOKENS, REPO, Corpus, collate, encode_pairs, make_batches, repo_relative
from ..data.tokenization import EOS, PAD, describe_tokens
from ..families import FAMILIES, ModelInfo
from ..inference import checkpoint
from ..inference.translator import Translator
from ..measurement import guided
from ..measurement.evaluation import (
    DEFAULT_GOLD,
    GOLD_PAIR,
    best_head,
    bleu,
    bleu_by_length,
    decoding_grid,
    dev_alignment,
    dev_metrics,
    head_alignment,
    load_gold,
    reference_streams,
    rounded_by_length,
    translate_batch,
)
from .card import machine_description, model_card, starting_point
from .recipes import DEMO_SENTENCES, TrainConfig, recipe_differences, retrain_command

RESUME_FILE = "resume.safetensors"


@dataclass
class Processes:
    """Where this process stands in a (possibly distributed) run.

    Attributes:
        rank: this process's index; world_size: number of processes.
        device: torch device this process trains on.
    """

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        """True on the process that validates, saves and prints."""
        return self.rank == 0

    @classmethod
    def from_environment(cls, device: str = "cpu") -> Processes:
        """Join the process group torchrun describes in RANK / WORLD_SIZE / LOCAL_RANK (alone without them).

        Args:
            device: "cpu" (gloo) or "cuda" (nccl; process k takes GPU LOCAL_RANK).

        Raises:
            ValueError: "cuda" asked for but no GPU is visible.
        """
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        if device == "cuda":
            if not torch.cuda.is_available():
                raise ValueError("--device cuda: no GPU is visible to torch")
            torch_device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(torch_device)
        else:
            torch_device = torch.device("cpu")
        if world_size > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if device == "cuda" else "gloo")
        return cls(rank, world_size, torch_device)

    def any(self, flag: bool) -> bool:
        """True when ``flag`` is True on any process (every process gets the same answer)."""
        if self.world_size == 1:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def share(self, value):
        """Rank 0's ``value`` on every process (a picklable Python object made by this package)."""
        if self.world_size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]


POLICY_CHUNK = 50  # batches per point of the REINFORCE curve in the history


def bf16_is_fast(device: torch.device) -> bool:
    """True where bfloat16 autocast speeds training up: a GPU, or a CPU with AVX512-BF16 instructions.

    Measured with the zoo's additive GRU model, one thread: on an AVX2-only AMD EPYC, bf16
    autocast trained at 116 target tokens/s against 1,952 in float32 (17× slower, emulated);
    on an AVX512-BF16 EPYC it was 1.53× faster than float32 (6,380 vs 4,170 tokens/s).
    """
    if device.type == "cuda":
        return True
    supported = getattr(torch.cpu, "_is_avx512_bf16_supported", None)  # torch has no public query for this
    return bool(supported and supported())


def demo_attention(translator: Translator) -> dict:
    """Greedy translation of the source language's DEMO_SENTENCES entry with its attention (for the
    training-history slider)."""
    result = translator.translate(DEMO_SENTENCES[translator.info.source_language])
    return {
        "source_tokens": result.source_tokens,
        "target_tokens": result.target_tokens,
        # a model without attention has none to show
        "attention": np.round(result.attention, 4).tolist() if translator.info.maps else [],
    }


def validation_loss(model, pairs: list[tuple[list[int], list[int]]]) -> float:
    """Mean per-token cross-entropy (nats, no smoothing) with teacher forcing."""
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for batch in make_batches(pairs, 6000):
            src, lengths, tgt_in, tgt_out = (t.to(model.device) for t in collate([pairs[i] for i in batch]))
            logits, _ = model(src, lengths, tgt_in)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD, reduction="sum"
            ).item()
            count += int((tgt_out != PAD).sum())
    return total / max(count, 1)


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 of every parameter's float32 bytes, in name order (equal digests = identical weights)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def save_resume_state(path: Path, model, optimizer, rng: random.Random, progress: dict) -> None:
    """Write the whole training state to one safetensors file, atomically (no pickle anywhere).

    Tensors: ``model.*`` (float32 weights), ``optim.{i}.{key}`` (Adam state per
    parameter index), ``torch_rng``. Metadata "state": JSON of ``progress``, the
    optimizer's param groups and the Python generator's state.
    """
    tensors = {f"model.{k}": v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    optim = optimizer.state_dict()
    for index, state in optim["state"].items():
        for key, value in state.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    tensors["torch_rng"] = torch.get_rng_state()
    meta = {**progress, "param_groups": optim["param_groups"], "python_rng": rng.getstate()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"state": json.dumps(meta)})


def load_resume_state(path: Path, model, optimizer, rng: random.Random) -> dict:
    """Restore what ``save_resume_state`` wrote into ``model``, ``optimizer`` and ``rng``; return the progress dict.

    Raises:
        ValueError: the file is not a readable resume state (names it).
    """
    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["state"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (OSError, KeyError, ValueError, RuntimeError) as err:
        raise ValueError(f"{path} is not a readable resume state ({err}); delete it to start over") from None
    model.load_state_dict({k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")})
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value.to(model.device) if value.dim() else value
    optimizer.load_state_dict({"state": state, "param_groups": meta.pop("param_groups")})
    torch.set_rng_state(tensors["torch_rng"])
    version, internal, gauss = meta.pop("python_rng")
    rng.setstate((version, tuple(internal), gauss))
    return meta


def warm_start(model: torch.nn.Module, directory: Path, corpus: Corpus) -> list[str]:
    """Copy a trained model's weights into ``model`` where names match; the rest keep their initialisation.

    The run's vocabularies must be the old model's or extend them (a larger ``--src-vocab`` /
    ``--tgt-vocab`` on the same split: ``Vocab.build`` ranks tokens the same way, so the old
    vocabulary is a prefix of the new one). Then the rows of the old tokens are copied into
    every tensor indexed by the vocabulary (embeddings, output bias, a lexicon) and the new
    tokens' rows keep their initialisation.

    Args:
        model: the new model; directory: a model directory (``checkpoint.load`` validates it);
        corpus: the run's corpus.

    Returns:
        the names (first part) of the parameters and buffers the old model lacked, then
        "NAME: A → B rows" for each tensor grown with a vocabulary (sorted).

    Raises:
        CheckpointError: a broken model directory. ValueError: vocabularies that neither equal nor
            extend the old ones, a tensor of another shape, or a tensor the new model lacks.
    """
    old = checkpoint.load(directory)
    sizes = set()  # (old rows, new rows) of each vocabulary
    for old_vocab, new_vocab in ((old.src_vocab, corpus.src_vocab), (old.tgt_vocab, corpus.tgt_vocab)):
        if new_vocab.tokens[: len(old_vocab)] != old_vocab.tokens:
            raise ValueError(
                f"{directory} was trained with other vocabularies; a warm start needs the same split "
                "and the same or larger vocabulary sizes"
            )
        sizes.add((len(old_vocab), len(new_vocab)))
    current, weights, grown = model.state_dict(), {}, []
    for name, tensor in old.model.state_dict().items():
        if name not in current:
            raise ValueError(f"{directory} has weights the new model lacks: {name}")
        target = current[name]
        if target.shape == tensor.shape:
            weights[name] = tensor
        elif target.shape[1:] == tensor.shape[1:] and (tensor.shape[0], target.shape[0]) in sizes:
            weights[name] = torch.cat([tensor.to(target.dtype), target[tensor.shape[0] :]])
            grown.append(f"{name}: {tensor.shape[0]} → {target.shape[0]} rows")
        else:
            raise ValueError(f"{directory}: {name} is {tuple(tensor.shape)}, the new model's {tuple(target.shape)}")
    result = model.load_state_dict(weights, strict=False)
    return sorted({name.split(".")[0] for name in result.missing_keys}) + sorted(grown)


def train_model(
    corpus: Corpus,
    model_config,
    config: TrainConfig,
    out: Path,
    gold_dir: Path | None = DEFAULT_GOLD,
    data_path: Path | None = None,
    info: ModelInfo | None = None,
    device: str = "cpu",
    shown_by_default: bool = False,
) -> dict | None:
    """Train one model, keep its best epoch in ``out`` and write its card and history.

    Args:
        corpus: from ``tatoeba.prepare_corpus``.
        model_config: a registered family's config (vocabulary sizes must match the corpus).
        config: the recipe.
        out: model directory (config.json, model.safetensors, vocabularies,
            history.json, README.md; resume.safetensors while training).
        gold_dir: WPT03 dev alignments for AER (skipped when None or absent).
        data_path: the corpus file, recorded on the card relative to the repository.
        info: the contract written to config.json (English→French translation by default).
        device: "cpu" or "cuda".
        shown_by_default: written on the card: the app selects the model when a page opens
            (``catalog.ModelEntry.shown_by_default``).

    Returns:
        The card dict written into config.json (on rank 0; None on the other ranks).

    Raises:
        ValueError: ``out`` holds a resume state made with a different recipe or
            architecture (the message names the fields).
    """
    processes = Processes.from_environment(device)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out = Path(out)
    family = next(f for f in FAMILIES if f.config_class is type(model_config))
    model = family(model_config).to(processes.device)
    if model_config.copies:
        if not corpus.lexicon:
            raise ValueError("a lexicon pointer needs a corpus prepared with its lexicon (prepare_corpus(lexicon=…))")
        model.lexicon.copy_(lexicon_table(corpus.lexicon, corpus.src_vocab, corpus.tgt_vocab))
    info = info or ModelInfo.of(model, corpus.pair.source, corpus.pair.target, corpus.segmentation)
    run = TrainingRun(corpus, model_config, config, out, model, info, processes)
    run.resume_or_warm_start()
    run.run(config.epochs, config.max_minutes)
    tqdm.write(f"rank {processes.rank}: final weights sha256 {weights_digest(model)}")
    if processes.world_size > 1:
        dist.barrier()
    if not processes.main:
        return None
    card = finish(
        corpus, model_config, config, out, gold_dir, data_path, info, run.progress, processes, shown_by_default
    )
    run.resume_path.unlink(missing_ok=True)
    return card


class EpochRun:
    """The skeleton both training loops share (translation: ``TrainingRun``; classification:
    ``classify.ClassifierRun``): epochs until the recipe's count or time budget, ``progress`` kept in
    ``resume.safetensors`` after every epoch so a killed run continues after its last finished epoch, and the
    learning rate halved after an epoch whose validation score did not improve.

    A subclass sets ``best_key`` (the progress entry of the best validation score) and implements ``epoch``.

    Attributes:
        progress: {"epoch", "history", best_key, "best_epoch", "seconds", "cpu_seconds", "recipe", "model", …}.
    """

    best_key = "best_score"
    kept = ("epoch", "history", "best_epoch", "seconds", "cpu_seconds")  # with best_key: what a resume restores

    def __init__(self, out: Path, model, optimizer, rng: random.Random, recipe: dict, architecture: dict):
        self.out, self.model, self.optimizer, self.rng = out, model, optimizer, rng
        self.resume_path = out / RESUME_FILE
        self.progress = {
            "epoch": 0,
            "history": [],
            self.best_key: -1.0,
            "best_epoch": 0,
            "seconds": 0.0,
            "cpu_seconds": 0.0,
            "recipe": recipe,
            "model": architecture,
        }
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    def resume(self, differences) -> bool:
        """Restore ``progress`` and the model's, optimizer's and batch order's state from ``out``'s resume state.

        Args:
            differences: saved progress dict → the fields where its recipe or architecture differs from this run's.

        Returns:
            False when there is no resume state.

        Raises:
            ValueError: a resume state made with another recipe or architecture (the message names the fields).
        """
        if not self.resume_path.is_file():
            return False
        saved = load_resume_state(self.resume_path, self.model, self.optimizer, self.rng)
        changed = differences(saved)
        if changed:
            raise ValueError(
                f"{self.resume_path} was made with another recipe ({'; '.join(changed)}); delete it to start over"
            )
        self.progress.update({k: saved[k] for k in (*self.kept, self.best_key) if k in saved})
        return True

    def start_clocks(self) -> None:
        """Start the wall and CPU clocks where the saved seconds left them."""
        self.start = time.perf_counter() - self.progress["seconds"]
        self.cpu_start = time.process_time() - self.progress["cpu_seconds"]

    def elapsed(self) -> float:
        """Seconds of training so far, those of earlier runs of a resumed one included."""
        return time.perf_counter() - self.start

    def run(self, epochs: int, max_minutes: float) -> None:
        """Train epochs after the last finished one up to ``epochs``, stopping when ``max_minutes`` run out."""
        for epoch in range(self.progress["epoch"] + 1, epochs + 1):
            if self.progress["history"] and self.elapsed() > max_minutes * 60:  # a resumed run whose budget is spent
                break
            if self.epoch(epoch):
                break

    def epoch(self, epoch: int) -> bool:
        """Train and validate epoch ``epoch``, then ``end_epoch``; True when the time budget ran out in it."""
        raise NotImplementedError

    def end_epoch(self, epoch: int, improved: bool, main: bool = True) -> None:
        """After validation: halve the learning rate unless the score ``improved``, record the clocks and (on the
        ``main`` process) save the resume state."""
        if not improved:
            for group in self.optimizer.param_groups:
                group["lr"] /= 2
        self.progress.update(epoch=epoch, seconds=self.elapsed(), cpu_seconds=time.process_time() - self.cpu_start)
        if main:
            save_resume_state(self.resume_path, self.model, self.optimizer, self.rng, self.progress)


class TrainingRun(EpochRun):
    """One model's training between its first and its last epoch: the model, the optimizer, the batch order and
    ``progress`` (epoch, steps, history, best validation BLEU, seconds), which ``resume.safetensors`` keeps
    after every epoch so a killed run continues where it stopped.

    Attributes:
        progress: {"epoch", "steps", "history", "best_bleu", "best_epoch", "seconds", "cpu_seconds", "recipe",
            "model", "bf16_used", and "started_from" after a warm start}.
    """

    best_key = "best_bleu"
    kept = (*EpochRun.kept, "steps", "started_from")

    def __init__(self, corpus: Corpus, model_config, config: TrainConfig, out: Path, model, info, processes):
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        super().__init__(out, model, optimizer, random.Random(config.seed), asdict(config), model_config.to_dict())
        self.corpus, self.model_config, self.config = corpus, model_config, config
        self.info, self.processes = info, processes
        self.progress["steps"] = 0
        self.trainer = torch.nn.parallel.DistributedDataParallel(model) if processes.world_size > 1 else model
        self.valid_sources, self.valid_streams = reference_streams(corpus.split.valid)
        self.valid_pairs = encode_pairs(
            [
                (corpus.tokens(s, corpus.pair.source), corpus.tokens(r, corpus.pair.target))
                for s in self.valid_sources
                for r in corpus.split.valid[s]
            ],
            corpus.src_vocab,
            corpus.tgt_vocab,
        )
        self.translator = Translator(model, corpus.src_vocab, corpus.tgt_vocab, name=out.name, info=info)
        self.use_bf16 = config.bf16 and bf16_is_fast(processes.device)
        self.progress["bf16_used"] = self.use_bf16
        if config.bf16 and not self.use_bf16 and processes.main:
            tqdm.write(
                f"{out.name}: this CPU has no bfloat16 instructions; training in float32 (bf16 would be emulated, "
                "slower)"
            )
        self.links, self.supervised = self.guidance()

    def guidance(self) -> tuple[list | None, tuple[int, int] | None]:
        """(eflomal links of every training pair, the supervised (layer, head)) for guided alignment; (None, None)
        without it.

        Raises:
            ValueError: guided training of a model whose training pass returns no attention weights.
        """
        if not self.config.guided_lambda:
            return None, None
        supervised = self.model.supervised_map()
        if supervised is None:
            raise ValueError(
                f"guided training needs attention weights from the training pass; this {self.info.family} "
                "model returns none (a Transformer returns them only with an alignment layer: "
                "--alignment-attention)"
            )
        return guided.corpus_links(self.corpus), supervised

    def resume_or_warm_start(self) -> None:
        """Continue after the last finished epoch of a resume state in ``out`` (``EpochRun.resume``), or start from
        ``init_from``'s weights, or from random ones.

        Raises:
            ValueError: a resume state made with another recipe or architecture (the message names the fields).
        """
        config, out, now = self.config, self.out, self.model_config.to_dict()

        def differences(saved: dict) -> list[str]:
            changed = recipe_differences(saved["recipe"], config)
            return changed + [
                f"{k}: {v!r} then, {now.get(k)!r} now" for k, v in saved["model"].items() if now.get(k) != v
            ]

        if self.resume(differences):
            if self.processes.main:
                tqdm.write(
                    f"{out.name}: resuming after epoch {self.progress['epoch']} "
                    f"({self.progress['seconds'] / 60:.1f} min done)"
                )
        elif config.init_from:
            # read before the first epoch's save, which replaces that card when a run continues in place
            self.progress["started_from"] = starting_point(REPO / config.init_from)
            started_from = warm_start(self.model, REPO / config.init_from, self.corpus)
            if self.processes.main:
                tqdm.write(
                    f"{out.name}: starting from {config.init_from} (new: {', '.join(started_from) or 'nothing'})"
                )
        self.start_clocks()

    def batch_loss(self, batch: list[int], tallies: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(the loss to minimize, the plain cross-entropy) of one batch: label-smoothed cross-entropy, plus λ ×
        the guided-alignment losses (rows, and columns with ``guided_columns``; Chen et al. 2016), plus the
        family's auxiliary loss (REINFORCE for sampled attention). Appends the parts to ``tallies``' lists."""
        config, device = self.config, self.processes.device
        src, lengths, tgt_in, tgt_out = (t.to(device) for t in collate([self.corpus.train[i] for i in batch]))
        # bf16 autocast: 1.5x faster on AVX512-BF16 CPUs at the same loss; weights stay fp32
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.use_bf16):
            logits, attention = self.trainer(src, lengths, tgt_in)
        loss = cross_entropy = torch.nn.functional.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)),
            tgt_out.reshape(-1),
            ignore_index=PAD,
            label_smoothing=config.label_smoothing,
        )
        if self.links is not None:
            supervised = attention[:, self.supervised[0], self.supervised[1]]
            targets = guided.alignment_targets([self.links[i] for i in batch], *attention.shape[-2:]).to(device)
            alignment_loss = guided.guided_alignment_loss(supervised, targets)
            loss = loss + config.guided_lambda * alignment_loss
            tallies["guided_loss"].append(alignment_loss.item())
            if config.guided_columns:
                words = (tgt_out != PAD) & (tgt_out != EOS)
                column_loss = guided.column_alignment_loss(supervised, targets, words)
                loss = loss + config.guided_lambda * column_loss
                tallies["guided_column_loss"].append(column_loss.item())
        extra, stats = self.model.auxiliary_loss(logits, tgt_out)  # e.g. REINFORCE for sampled attention
        if extra is not None:
            loss = loss + extra
            for key, value in stats.items():
                tallies["policy"].setdefault(key, []).append(value)
        return loss, cross_entropy

    def step(self, loss: torch.Tensor) -> None:
        """One optimizer step: the learning rate warmed up over the first ``warmup_steps``, gradients clipped."""
        config = self.config
        self.progress["steps"] += 1
        if self.progress["steps"] <= config.warmup_steps:  # before any halving: warm-up ends in epoch 1
            for group in self.optimizer.param_groups:
                group["lr"] = config.lr * self.progress["steps"] / config.warmup_steps
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.clip)
        self.optimizer.step()

    def epoch(self, epoch: int) -> bool:
        """Train one epoch (this process's share of the batches), validate, keep the best weights, halve the
        learning rate when validation BLEU did not improve, save the resume state. Returns True when the time
        budget ran out during it."""
        processes = self.processes
        self.model.train()
        batches = make_batches(self.corpus.train, self.config.batch_tokens, self.rng)
        # every process takes every world_size-th batch, the same number each (DDP steps in lockstep)
        per_process = len(batches) // processes.world_size if processes.world_size > 1 else len(batches)
        mine = batches[processes.rank :: processes.world_size][:per_process]
        tallies = {"losses": [], "guided_loss": [], "guided_column_loss": [], "policy": {}}
        out_of_time = False
        bar = tqdm(
            mine, desc=f"{self.out.name} epoch {epoch}", unit="batch", mininterval=10, disable=not processes.main
        )
        for batch in bar:
            loss, cross_entropy = self.batch_loss(batch, tallies)
            self.step(loss)
            tallies["losses"].append(cross_entropy.item())  # the history compares cross-entropies across models
            bar.set_postfix(loss=f"{np.mean(tallies['losses'][-100:]):.3f}", refresh=False)
            if processes.any(self.elapsed() > self.config.max_minutes * 60):
                out_of_time = True
                break
        bar.close()
        self.model.eval()
        improved = processes.main and self.validate(epoch, tallies, len(mine))
        self.end_epoch(epoch, processes.share(improved), processes.main)
        return out_of_time

    def validate(self, epoch: int, tallies: dict, batches: int) -> bool:
        """The epoch's history record (losses, validation loss and BLEU, the demo sentence's attention, the guided
        and policy figures); saves the weights when validation BLEU is the best yet. Returns whether it is."""
        losses = tallies["losses"]
        record = {
            "epoch": epoch,
            "fraction": len(losses) / max(batches, 1),
            "train_loss": float(np.mean(losses)) if losses else float("nan"),
            "valid_loss": validation_loss(self.model, self.valid_pairs),
            "valid_bleu": sacrebleu.corpus_bleu(
                translate_batch(self.translator, self.valid_sources), self.valid_streams, lowercase=True
            ).score,
            "minutes": self.elapsed() / 60,
            "lr": self.optimizer.param_groups[0]["lr"],
            "demo": demo_attention(self.translator),
        }
        for key in ("guided_loss", "guided_column_loss"):  # guided training: how far attention is from the links
            if tallies[key]:
                record[key] = float(np.mean(tallies[key]))
        policy = tallies["policy"]
        if policy:  # the REINFORCE curve of sampled hard attention: the epoch, then every 50 batches
            record["policy"] = {key: float(np.mean(values)) for key, values in policy.items()}
            record["policy_curve"] = [
                {key: round(float(np.mean(values[k : k + POLICY_CHUNK])), 4) for key, values in policy.items()}
                for k in range(0, len(losses), POLICY_CHUNK)
            ]
        history = self.progress["history"]
        history.append(record)
        tqdm.write(
            f"{self.out.name} epoch {epoch}: train loss {record['train_loss']:.3f}  valid loss "
            f"{record['valid_loss']:.3f}  valid BLEU {record['valid_bleu']:.2f}  ({record['minutes']:.1f} min)"
        )
        improved = record["valid_bleu"] > self.progress["best_bleu"]
        if improved:
            self.progress["best_bleu"], self.progress["best_epoch"] = record["valid_bleu"], epoch
            checkpoint.save(
                self.out, self.model, self.info, self.corpus.src_vocab, self.corpus.tgt_vocab, {"name": self.out.name}
            )
        atomic_write_text(self.out / checkpoint.HISTORY_FILE, json.dumps(history) + "\n")
        return improved


def alignment_metrics(translator: Translator, gold, choose_reading: bool = False) -> tuple[dict, Metrics]:
    """The dev-gold alignment figures; for a multi-head model first choose its alignment head, and for a model
    trained on both directions (``choose_reading``) how its attention is read as links.

    A model with several layers or heads gets the AER of every head and head mean, plain and
    shifted (``evaluation.head_alignment``; ``Metrics.dev_aer_by_head``, ``dev_shift_aer_by_head``:
    nested lists, layers × heads + mean); the lowest plain AER becomes its alignment attention (chosen
    on this same gold set) and the dev figures are measured with it (heads compared by argmax links).
    With ``choose_reading`` (a model whose columns were guided too, ``TrainConfig.guided_columns``)
    every ``alignment.LINK_READINGS`` is measured on that head (``Metrics.dev_aer_by_links``), and the
    lowest becomes its reading (chosen on the same set).

    Returns:
        (the card entries chosen: {"alignment_head": {"layer", "head"}} for a multi-head model,
        {"alignment_links": reading} with ``choose_reading``, else {}; the figures).
    """
    layers, heads = translator.info.layers, translator.info.heads
    choice, by_head, by_reading = {}, Metrics(), None
    if choose_reading:  # heads are compared by their argmax links, also when the card already names a reading
        translator.card.pop("alignment_links", None)
    if layers * heads > 1:
        grids = head_alignment(translator, gold)
        choice = {"alignment_head": best_head(grids["aer"])}
        translator.card.update(choice)
        by_head = Metrics(
            dev_aer_by_head=np.round(grids["aer"], 4).tolist(),
            dev_shift_aer_by_head=np.round(grids["shift_aer"], 4).tolist(),
            dev_shift_aer_best=float(grids["shift_aer"].min()),
        )
    if choose_reading:
        measured = {}
        for reading in LINK_READINGS:
            translator.card["alignment_links"] = reading
            measured[reading] = dev_alignment(translator, gold)
        by_reading = {reading: round(dev["aer"], 4) for reading, dev in measured.items()}
        chosen = min(by_reading, key=by_reading.get)
        choice["alignment_links"] = translator.card["alignment_links"] = chosen
        dev = measured[chosen]
    else:
        dev = dev_alignment(translator, gold)
    return choice, by_head.merged(dev_metrics(dev)).merged(Metrics(dev_aer_by_links=by_reading))


def finish(
    corpus, model_config, config, out, gold_dir, data_path, info, progress, processes, shown_by_default: bool = False
) -> dict:
    """Evaluate the best epoch, write config.json's card (with ``shown_by_default`` when set) and the
    README.md; return the card."""
    translator = Translator.load(out)
    eval_start = time.perf_counter()
    metrics, alignment_choice = final_metrics(translator, corpus, config, gold_dir, info, progress["best_bleu"])
    card = {
        "name": out.name,
        "language_pair": f"{info.source_language}-{info.target_language}",
        "training": {
            "data": repo_relative(data_path) if data_path else None,
            "data_attribution": corpus.pair.attribution,
            "licence": "CC BY 2.0 FR",
            "split": {**corpus.split.summary(), "train_pairs_after_filter": len(corpus.train)},
            "filter": f"training pairs kept when both sides have 1..{MAX_TRAIN_TOKENS} tokens "
            f"({corpus.filtered_out} dropped)",
            "recipe": asdict(config),
            "command": retrain_command(out.name, model_config, config, corpus.pair.name),
            "epochs_run": len(progress["history"]),
            "best_epoch": progress["best_epoch"],
            "train_minutes": round(progress["seconds"] / 60, 1),
            "train_cpu_minutes": round(progress["cpu_seconds"] / 60, 1),
            "eval_minutes": round((time.perf_counter() - eval_start) / 60, 1),
            "machine": machine_description(config.threads, processes.device.type, processes.world_size),
            "bf16_used": progress["bf16_used"],
            # other jobs sharing the cores stretch wall time; CPU-minutes above do not depend on them
            "load_average_at_end": round(os.getloadavg()[0], 1),
            **({"started_from": progress["started_from"]} if "started_from" in progress else {}),
        },
        "metrics": metrics.to_dict(),
        **alignment_choice,
    }
    if shown_by_default:
        card["shown_by_default"] = True
    card["training"].update(training_sources(corpus, model_config, config, translator, info, card["language_pair"]))
    checkpoint.save(out, translator.model, info, corpus.src_vocab, corpus.tgt_vocab, card)
    weights_mb = sum(p.numel() for p in translator.model.parameters()) * 2 / 1e6
    atomic_write_text(
        out / checkpoint.CARD_FILE, model_card(card, translator.model, info, progress["history"], weights_mb)
    )
    return card


def final_metrics(translator: Translator, corpus, config: TrainConfig, gold_dir, info, best_bleu: float):
    """The best epoch's figures: test BLEU greedy, by length and with beam 5; on the English → French gold, the
    alignment figures (``alignment_metrics``) and the trained-as × decoded-as grid.

    Returns:
        (``Metrics``, the card's alignment choice fields, {} without gold).
    """
    by_length = bleu_by_length(translator, corpus.split.test)
    metrics = Metrics(
        test_bleu_greedy=by_length["all"]["bleu"],
        test_bleu_by_length=rounded_by_length(by_length),
        test_bleu_beam5=bleu(translator, corpus.split.test, beam=5),
        valid_bleu=best_bleu,
    )
    gold_pair = info.pair_name == GOLD_PAIR  # other language pairs have no gold alignments
    if gold_dir is None or not Path(gold_dir, "dev.wa.nonullalign").is_file() or not info.maps or not gold_pair:
        return metrics, {}
    alignment_choice, alignment = alignment_metrics(translator, load_gold(gold_dir), config.guided_columns)
    grid = decoding_grid(translator, corpus.split.test, load_gold(gold_dir))
    return metrics.merged(alignment).merged(Metrics(decoding_grid=grid)), alignment_choice


def training_sources(corpus, model_config, config: TrainConfig, translator: Translator, info, pair: str) -> dict:
    """The card's ``training`` entries on what besides the corpus went into training: CC-CEDICT's proper nouns
    (credited beside the corpus), a lexicon pointer's entries, the guided-alignment supervision."""
    training = {}
    if config.dictionary:  # credited beside the corpus on the card
        training["dictionary"] = {
            "source": DICTIONARY_ATTRIBUTION,
            "pairs": len(proper_noun_pairs()),
            "what": "proper nouns (capitalized pinyin), 2–4 characters, added to the training pairs only",
            "repeats": config.dictionary_repeats,
        }
        training["data_attribution"] = corpus.pair.attribution + (
            f"; with {len(proper_noun_pairs())} proper nouns from {DICTIONARY_ATTRIBUTION}"
        )
    if corpus.lexicon and model_config.copies:
        training["lexicon"] = {
            "source": DICTIONARY_ATTRIBUTION,
            "entries": len(corpus.lexicon),
            "what": f"proper nouns that are one token ({describe_tokens('zh', corpus.segmentation)}) and one English "
            "token (北京 → beijing), copied through attention (pointer-generator, See et al. 2017); their "
            "words added to both vocabularies",
        }
    if config.guided_lambda:
        training["supervision"] = {
            "method": "guided alignment (Chen et al. 2016): cross-entropy between attention rows and links"
            + (
                "; and between each source word's column, normalized over the target words, and its links"
                if config.guided_columns
                else ""
            ),
            "lambda": config.guided_lambda,
            "links": "eflomal (Östling & Tiedemann 2016), both directions, grow-diag-final-and, on the training pairs",
            "supervised_map": list(translator.model.supervised_map()),
            "unguided_twin": guided.unguided_twin(model_config, pair, segmentation=info.segmentation),
        }
    return training
