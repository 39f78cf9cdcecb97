"""Command line: ``python -m attnviz {translate,align,evaluate,reference,train} …`` — the same code the app calls."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .attention.alignment import to_pharaoh
from .attention.normalizers import NORMALIZERS, Normalizer
from .data.dictionary import lexicon_entries
from .data.files import atomic_write_text
from .data.modelcard import Metrics
from .data.reviews import IMDB_DIR, read_reviews
from .data.tatoeba import DEFAULT_PAIR, PAIRS, prepare_corpus, repo_relative
from .data.tokenization import MAX_TOKENS, SEGMENTATIONS
from .families import DEFAULT_FAMILY, FAMILIES
from .families.classifier import POOLINGS, ClassifierConfig
from .families.huggingface import convert_to_safetensors
from .inference import checkpoint
from .inference.catalog import discover_all, grouped, task_of
from .inference.checkpoint import PRETRAINED, PRIORS, CheckpointError, priors_path
from .inference.classifier import Classifier
from .inference.reference import ReferenceAligner, train_priors
from .inference.translator import InputError, Translator, json_numbers
from .measurement.evaluation import (
    DEFAULT_GOLD,
    GOLD_PAIR,
    attention_links,
    card_differences,
    classifier_table,
    eflomal_dev_alignment,
    evaluate_models,
    evaluation_table,
    load_gold,
)
from .presentation.lecture import LectureError
from .presentation.lecture import read as read_lecture
from .presentation.lecture_export import export_lecture
from .training import loop, recipes
from .training.card import model_card
from .training.classify import (
    CLASSIFIER_ZOO,
    READ_LENGTHS,
    ClassifierRecipe,
    choose_read_length,
    classifier_flags,
    train_classifier,
)
from .training.corpora import Corpora
from .training.loop import alignment_metrics
from .training.recipes import TrainConfig, family_flags, recipe_flags

MAX_BEAM = 16


def _normalizer(args, model) -> Normalizer:
    """The --mode normalizer with its parameters; without --mode, ``model``'s default (see ``decoding_normalizer``)."""
    return Normalizer(args.mode or model.decoding_normalizer, k=args.k, temperature=args.temperature, seed=args.seed)


def cmd_translate(args) -> int:
    """stdin source-language lines → stdout translations (or JSON objects), one output line per input line."""

    translator = Translator.load(args.model)
    normalizer = _normalizer(args, translator.model)
    failures = 0
    for number, line in enumerate(sys.stdin, 1):
        try:
            result = translator.translate(line, normalizer, beam=args.beam, pretokenized=args.pretokenized)
        except InputError as err:
            print(f"line {number}: {err}", file=sys.stderr)
            print("", flush=True)
            failures += 1
            continue
        record = result.to_json()
        if args.attribution:  # a_ij of each method, (T, S) like "attention": signed, the norm-based ≥ 0
            found = translator.attribution(result)
            record["attribution"] = {method: json_numbers(found.of(method)) for method in found.methods}
        print(json.dumps(record, ensure_ascii=False) if args.json else result.text, flush=True)
    return 1 if failures else 0


def cmd_classify(args) -> int:
    """stdin texts → stdout ``label<TAB>P(positive)`` (or JSON objects), one output line per input line."""

    classifier = Classifier.load(args.model)
    failures = 0
    for number, line in enumerate(sys.stdin, 1):
        try:
            verdict = classifier.classify(line)
        except InputError as err:
            print(f"line {number}: {err}", file=sys.stderr)
            print("", flush=True)
            failures += 1
            continue
        label = classifier.labels[int(verdict.probabilities.argmax())]
        positive = float(verdict.probabilities[-1])
        if args.json:
            record = {
                "label": label,
                "p_positive": round(positive, 6),
                "tokens": verdict.tokens,
                "unknown": verdict.unknown,
                "truncated": verdict.truncated,
                "attention": [round(float(w), 6) for w in verdict.attention.mean(0)],
            }
            if len(verdict.attention) > 1:  # per head: (H, S)
                record["heads"] = [[round(float(w), 6) for w in row] for row in verdict.attention]
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            print(f"{label}\t{positive:.4f}", flush=True)
    return 1 if failures else 0


def cmd_train_classifier(args) -> int:
    """Train the IMDB review classifiers (one, or the zoo's two with --all)."""

    recipe = ClassifierRecipe(
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        seed=args.seed,
        threads=args.threads,
        lr=args.lr,
        weight_decay=args.weight_decay,
        init_from=repo_relative(args.init_from) if args.init_from else "",
        word_vector_epochs=args.word_vector_epochs,
    )
    if args.all:  # in the zoo's order
        jobs = [
            (
                Path(args.out or PRETRAINED) / e.name,
                {"dropout": args.dropout, **e.fields},
                replace(recipe, **e.recipe),
                e.reread,
            )
            for e in CLASSIFIER_ZOO
        ]
    elif args.out:
        jobs = [
            (
                Path(args.out),
                {"pooling": args.pooling, "heads": args.heads, "dropout": args.dropout},
                recipe,
                args.reread,
            )
        ]
    else:
        print("train-classifier: give --out DIR, or --all", file=sys.stderr)
        return 2
    if args.reread and not args.all and not (Path(args.out) / checkpoint.CONFIG_FILE).is_file():
        print(f"train-classifier: --reread needs a trained classifier in {args.out}", file=sys.stderr)
        return 2
    print(f"reading {args.data_dir} …", file=sys.stderr)
    train, test = read_reviews(Path(args.data_dir) / "train.tsv.gz"), read_reviews(Path(args.data_dir) / "test.tsv.gz")
    for out, fields, job_recipe, reread in jobs:
        if not (args.reread and not args.all):  # --reread --out DIR: the model there is not trained again
            config = ClassifierConfig(5, 2, **fields)
            command = " ".join(
                [
                    "python -m attnviz train-classifier",
                    *classifier_flags(config, job_recipe),
                    "--out",
                    f"pretrained/{out.name}",
                ]
            )
            card = train_classifier(train, test, config, job_recipe, out, Path(args.data_dir), command)
            print(f"{out}: {json.dumps(card['metrics'])}", file=sys.stderr)
        if reread:
            accuracy = choose_read_length(out, train, test, data_dir=Path(args.data_dir))
            metrics = checkpoint.load(out).config["metrics"]
            print(
                f"{out}: validation accuracy by tokens read: "
                + ", ".join(f"{n} {a:.2%}" for n, a in accuracy.items())
                + f"; reads {max(accuracy, key=lambda n: (accuracy[n], n))}; test accuracy {metrics['test_accuracy']:.2%}",
                file=sys.stderr,
            )
    return 0


def _read_lines(path: Path) -> list[str]:
    """Lines split on "\n" only ("\r\n" accepted): a form feed, vertical tab or U+2028 stays inside its line.

    Raises:
        FileNotFoundError: no such file; ValueError: invalid UTF-8, naming the file and line.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"no file {path}")
    data = Path(path).read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    text = []
    for number, raw in enumerate(lines, 1):
        try:
            text.append(raw.removesuffix(b"\r").decode("utf-8"))
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}, line {number}: not valid UTF-8 (byte {err.start + 1} of the line)") from None
    return text


def _bounded(kind, low, high, name: str, low_open: bool = False):
    """An argparse type: ``kind`` within [low, high] ((low, high] with ``low_open``), finite, else one clear message."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a{'n integer' if kind is int else ' number'}, got {text!r}"
            ) from None
        if value != value or not (low < value <= high if low_open else low <= value <= high):
            interval = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
            raise argparse.ArgumentTypeError(f"{name} must be in {interval}, got {text}")
        return value

    return parse


def cmd_align(args) -> int:
    """Force-decode each (src, tgt) line pair and print its attention links in Pharaoh format."""

    translator = Translator.load(args.model)
    src, tgt = _read_lines(args.src), _read_lines(args.tgt)
    if len(src) != len(tgt):
        print(f"error: {args.src} has {len(src)} lines but {args.tgt} has {len(tgt)}", file=sys.stderr)
        return 2
    failures = 0
    for number, (e, f) in enumerate(zip(src, tgt), 1):
        try:
            result = translator.force(e, f, pretokenized=args.pretokenized)
        except InputError as err:
            print(f"pair {number}: {err}", file=sys.stderr)
            print("", flush=True)
            failures += 1
            continue
        print(to_pharaoh(attention_links(translator, result.attention, args.threshold)), flush=True)
    return 1 if failures else 0


def cmd_evaluate(args) -> int:
    """Print the Markdown evaluation table of the given models (and eflomal) and write it as CSV."""

    paths = args.models or [e.path for e in discover_all() if e.info and not e.problem]
    tasks = {path: task_of(checkpoint.read_config(path)) for path in paths}  # CheckpointError names a bad one
    models = [path for path in paths if tasks[path] == "translation"]
    classifiers = [path for path in paths if tasks[path] == "classification"]
    if not models and not classifiers:
        print(f"error: no models given and none in {PRETRAINED}", file=sys.stderr)
        return 2
    accuracy = None
    if classifiers:
        accuracy = classifier_table(classifiers, args.imdb_dir)
        print(accuracy.to_markdown(index=False, floatfmt=".4f") + "\n")
        if not models:
            return _checked_cards(args, [], accuracy)
    evaluations = evaluate_models(
        models,
        args.gold_dir,
        args.data,
        bleu_sentences=args.bleu_sentences,
        grid=args.write_cards,
        attribution=args.attribution,
    )
    table = evaluation_table(evaluations, args.gold_dir, args.priors)
    by_length = [c for c in table.columns if c.startswith("BLEU ")]
    # tabulate only treats None as missing: NaN (eflomal has no BLEU) would print "nan"
    printable = table.astype(object).where(table.notna(), None)
    print(printable.drop(columns=by_length).to_markdown(index=False, floatfmt=".3f", missingval="–"))
    counts = evaluations[0].by_length
    print(
        "\nBLEU by source length (Moses tokens; sentences per bucket: "
        + ", ".join(f"{k} {v['sentences']}" for k, v in counts.items() if k != "all")
        + ")\n"
    )
    models_only = printable[printable["BLEU"].notna()]
    print(models_only[["model", "BLEU", *by_length]].to_markdown(index=False, floatfmt=".2f", missingval="–"))
    if args.write_cards:
        for evaluation in evaluations:
            if args.bleu_sentences:
                print("not writing cards: BLEU on part of the test split (--bleu-sentences)", file=sys.stderr)
                break
            card = dict(evaluation.translator.card)
            if "training" not in card:
                print(
                    f"{evaluation.path}: not a finished model (no training section); card not written", file=sys.stderr
                )
                continue
            card["metrics"] = Metrics.from_card(card).merged(evaluation.card_metrics()).to_dict()
            _write_card(evaluation.path, evaluation.translator, card)
            print(f"{evaluation.path}: card updated", file=sys.stderr)
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"\nwritten to {args.csv}", file=sys.stderr)
    return _checked_cards(args, evaluations, accuracy)


def _checked_cards(args, evaluations: list, accuracy) -> int:
    """With --check-cards: print each figure that differs from its card (exit 1), or that all reproduce."""
    if not args.check_cards:
        return 0
    differences = card_differences(evaluations, accuracy)
    for line in (line for lines in differences.values() for line in lines):
        print(f"differs: {line}")
    reproduced = sum(not lines for lines in differences.values())
    print(f"card figures reproduced: {reproduced} of {len(differences)} models")
    return 0 if reproduced == len(differences) else 1


def _write_card(directory: Path, translator, card: dict) -> None:
    """Write a model's config.json ``card`` and regenerate its README.md card, each atomically."""

    atomic_write_text(Path(directory) / checkpoint.CONFIG_FILE, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    history = checkpoint.read_history(Path(directory))
    weights_mb = sum(p.numel() for p in translator.model.parameters()) * 2 / 1e6
    atomic_write_text(
        Path(directory) / checkpoint.CARD_FILE, model_card(card, translator.model, translator.info, history, weights_mb)
    )


def _segmentation_refused(command: str, pair, segmentation: str) -> bool:
    """Say so and return True when ``segmentation`` asks to cut Chinese in ``pair`` (a ``tatoeba.LanguagePair``),
    which has none."""
    if segmentation != "words" and "zh" not in (pair.source, pair.target):
        print(
            f"{command}: --segmentation cuts Chinese text; {pair.name} has none (use it with --pair zh-en)",
            file=sys.stderr,
        )
        return True
    return False


def cmd_reference(args) -> int:
    """Train eflomal priors on a language pair's training split (the models' split) and, for English–French,
    report eflomal's AER on the gold set."""

    pair = PAIRS[args.pair]
    if _segmentation_refused("reference", pair, args.segmentation):
        return 2
    out = args.out or priors_path(pair.name, args.segmentation)
    corpus = prepare_corpus(
        args.data or pair.data,
        args.split_seed,
        1,
        1,
        args.valid_sentences,
        args.test_sentences,
        pair,
        segmentation=args.segmentation,
    )  # vocabularies unused: specials only
    start = time.perf_counter()
    stats = train_priors([s for s, _ in corpus.train_tokens], [t for _, t in corpus.train_tokens], out)
    print(
        f"eflomal priors from {stats['pairs']} training pairs: {stats['lexical_priors']} lexical priors, "
        f"{stats['bytes'] / 1e6:.1f} MB, {time.perf_counter() - start:.0f} s -> {out}",
        file=sys.stderr,
    )
    if pair.name == GOLD_PAIR and Path(args.gold_dir).is_dir():
        scores = eflomal_dev_alignment(ReferenceAligner(out), load_gold(args.gold_dir))
        print(
            f"eflomal on the gold set: AER {scores['aer']:.3f}, precision {scores['precision']:.3f}, "
            f"recall {scores['recall']:.3f}",
            file=sys.stderr,
        )
    return 0


def cmd_heads(args) -> int:
    """Measure every head's AER on the dev gold, choose the model's alignment head and write it to its card."""

    translator = Translator.load(args.model)
    if translator.info.layers * translator.info.heads == 1:
        print(f"error: {args.model} has one attention head; nothing to choose", file=sys.stderr)
        return 2
    if "training" not in translator.card:
        print(f"error: {args.model} is not a finished model (its card has no training section)", file=sys.stderr)
        return 2
    card = dict(translator.card)
    both_directions = bool(card["training"].get("recipe", {}).get("guided_columns"))
    choice, measured = alignment_metrics(translator, load_gold(args.gold_dir), both_directions)
    card.update(choice)
    metrics = translator.metrics.merged(measured)
    card["metrics"] = metrics.to_dict()
    for name, grid in (
        ("dev AER by head", metrics.dev_aer_by_head),
        ("dev AER by head, shifted", metrics.dev_shift_aer_by_head),
    ):
        grid = np.array(grid)
        print(f"{name} (rows: layers; columns: heads, then their mean)")
        for layer, row in enumerate(grid, 1):
            print(f"  layer {layer}: " + "  ".join(f"{v:.3f}" for v in row))
    choice = card["alignment_head"]
    print(
        f"alignment head: layer {choice['layer'] + 1}, "
        + ("mean over heads" if choice["head"] is None else f"head {choice['head'] + 1}")
        + (f", links read by {card['alignment_links']}" if both_directions else "")
        + f"; dev AER {metrics.dev_aer:.3f}"
    )
    _write_card(Path(args.model), translator, card)
    return 0


def cmd_models(args) -> int:
    """List the model directories under pretrained/ (and the folders ATTNVIZ_MODELS names) by task and pair."""
    for group, entries in grouped(discover_all(args.root)).items():
        print(group)
        for e in entries:
            status = f"  ({e.problem})" if e.problem else ""
            print(f"  {e.name:28} {e.info.family if e.info else '?':8}{status}")
    return 0


def cmd_convert_hf(args) -> int:
    """Convert a Hugging Face folder's pickled weights to safetensors (weights-only reading)."""
    path = convert_to_safetensors(args.folder)  # HuggingFaceError (a ValueError) prints as one line
    print(f"{path}: written ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_export_lecture(args) -> int:
    """Write a lecture file as one self-contained HTML file (no server, no network)."""
    try:
        lecture = read_lecture(args.lecture)
        summary = export_lecture(lecture, args.out, args.root)
    except (LectureError, CheckpointError) as err:
        print(f"export-lecture: {err}", file=sys.stderr)
        return 2
    for problem in summary["problems"]:
        print(f"export-lecture: {problem}", file=sys.stderr)
    print(
        f"{args.out}: {summary['slides']} slides, {summary['figures']} heatmaps, {summary['bytes'] / 1e6:.1f} MB",
        file=sys.stderr,
    )
    return 0


def cmd_train(args) -> int:
    """Train one model, or the whole zoo with --all (one process, or several under torchrun)."""

    config = TrainConfig(**{f.name: getattr(args, f.name) for f in recipes.train_options()})
    config = replace(config, init_from=repo_relative(Path(config.init_from)) if config.init_from else "")
    if config.guided_columns and not config.guided_lambda:
        print("train: --guided-columns needs --guided-lambda above 0 (it weighs the columns too)", file=sys.stderr)
        return 2
    if args.all:  # each zoo recipe of the pair, with its own changes to the shared training recipe, stage by stage
        jobs = [
            (out, r, stage)
            for r in recipes.ZOO
            if r.info.pair_name == args.pair
            for out in [Path(args.out or PRETRAINED) / r.name]
            for stage in r.train_configs(config, repo_relative(out))
        ]
    elif not args.out:
        print("train: give --out DIR (with --scorer NAME, or --family NAME), or --all", file=sys.stderr)
        return 2
    else:
        family = FAMILIES.get(args.family)
        try:  # the architecture's own checks, before any data is read
            fields = family.recipe_fields({f.field: getattr(args, f.dest) for f in family.train_flags()})
        except ValueError as err:
            print(f"train: {err}", file=sys.stderr)
            return 2
        jobs = [(Path(args.out), recipes.flags_recipe(Path(args.out).name, family.family, fields, args.pair), config)]
    if args.all and args.jobs > 1:
        return _train_in_parallel(args, jobs)
    pair = PAIRS[args.pair]
    if config.dictionary and pair.name != "zh-en":
        print("train: --dictionary adds Chinese → English pairs; use it with --pair zh-en", file=sys.stderr)
        return 2
    if config.name_contexts and pair.name != "zh-en":
        print(
            "train: --name-contexts puts Chinese city names into new pairs; use it with --pair zh-en", file=sys.stderr
        )
        return 2
    if _segmentation_refused("train", pair, config.segmentation):
        return 2
    for _, recipe, job_config in jobs:
        refusal = FAMILIES.get(recipe.family).refusal(recipe.fields, pair.name, job_config.segmentation)
        if refusal:
            print(f"train: {refusal}", file=sys.stderr)
            return 2
    data = args.data or pair.data
    corpora = Corpora(data, pair)  # the recipes of a pair may differ in the corpus they read
    for out, recipe, job_config in jobs:
        lexicon = lexicon_entries(job_config.segmentation) if recipe.fields.get("lexicon_pointer") else ()
        corpus = corpora.of(job_config, lexicon)
        card = loop.train_model(
            corpus,
            recipes.model_config(recipe, corpus),
            job_config,
            out,
            args.gold_dir,
            data,
            device=args.device,
            shown_by_default=recipe.shown_by_default,
        )
        if card is not None:
            print(f"{out}: {json.dumps(card['metrics'])}", file=sys.stderr)
    return 0


def _train_in_parallel(args, jobs: list[tuple]) -> int:
    """Train the zoo as separate processes, at most ``args.jobs`` at a time: jobs are (out, Recipe, TrainConfig),
    a recipe's stages one after another in its directory.

    Small GRU steps use one core poorly; on 2 cores, two 1-thread processes train
    1.35× faster in total than one 2-thread process (measured here). Logs go to DIR.log.
    """

    pending, running, failed, started = list(jobs), [], [], set()
    while pending or running:
        while len(running) < args.jobs:
            busy = {item[0] for item in running}  # a recipe's next stage waits for the weights of the one running
            job = next((job for job in pending if job[0] not in busy), None)
            if job is None:
                break
            pending.remove(job)
            out, recipe, config = job
            command = [
                sys.executable,
                "-m",
                "attnviz",
                "train",
                *family_flags(recipe),
                "--out",
                str(out),
                "--pair",
                args.pair,
                "--gold-dir",
                str(args.gold_dir),
                "--device",
                args.device,
                *recipe_flags(config),
                *(["--data", str(args.data)] if args.data else []),
            ]
            log = open(f"{out}.log", "a" if out in started else "w")  # a later stage's log follows the first's
            started.add(out)
            running.append((out, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), log))
            print(f"started {out} (log {out}.log)", file=sys.stderr)
        time.sleep(5)
        for item in list(running):
            out, process, log = item
            if process.poll() is not None:
                log.close()
                running.remove(item)
                print(f"finished {out}: exit {process.returncode}", file=sys.stderr)
                if process.returncode:
                    failed.append(out)
                    pending = [job for job in pending if job[0] != out]  # its later stages would start from nothing
    return 1 if failed else 0


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    """``train``'s recipe flags, as ``TrainConfig``'s fields declare them (``recipes.option``); each value lands in
    the field of its name."""
    kinds = {"int": int, "float": float, "str": str}
    for f in recipes.train_options():
        meta = f.metadata
        arguments = {"dest": f.name, "default": f.default, "help": meta["help"] or None}
        if f.type == "bool":
            arguments["action"] = "store_true"
        elif meta["bounds"]:
            arguments["type"] = _bounded(kinds[f.type], *meta["bounds"], meta["flag"])
        else:
            arguments["type"] = kinds[f.type]
        if meta["choices"]:
            arguments["choices"] = meta["choices"]
        parser.add_argument(meta["flag"], **arguments)


def _translate_parser(sub) -> None:
    """Add the ``translate`` subcommand: stdin sentences → translations (or JSON with attention)."""
    tr = sub.add_parser(
        "translate",
        help="translate lines from stdin (English → French, or Chinese → English: the model's languages)",
        description=f"Reads sentences in the model's source language (one per line, at most {MAX_TOKENS} tokens) "
        "from stdin and writes one translation per line; a bad line gives a message on stderr and an empty line.",
    )
    tr.add_argument("--model", type=Path, required=True, help="model directory, e.g. pretrained/en-fr-additive")
    tr.add_argument(
        "--mode",
        choices=NORMALIZERS.names(),
        help="attention normalizer (default: the one the model was trained with, usually soft)",
    )
    tr.add_argument(
        "--k", type=_bounded(int, 1, MAX_TOKENS + 1, "--k"), default=2, help="positions kept by --mode topk"
    )
    tr.add_argument(
        "--temperature",
        type=_bounded(float, 0.0, 1e6, "--temperature", low_open=True),
        default=1.0,
        help="τ dividing the energies (soft, sample); finite, > 0",
    )
    tr.add_argument("--seed", type=_bounded(int, 0, 2**32 - 1, "--seed"), default=0, help="seed of --mode sample")
    tr.add_argument(
        "--beam", type=_bounded(int, 1, MAX_BEAM, "--beam"), default=1, help=f"beam size 1–{MAX_BEAM} (1 = greedy)"
    )
    tr.add_argument("--pretokenized", action="store_true", help="input is tokenized: split on spaces only")
    tr.add_argument("--json", action="store_true", help="one JSON object per line with tokens, attention, energies")
    tr.add_argument(
        "--attribution",
        action="store_true",
        help='with --json: also "attribution", T × S each: norm-based attention ‖α_ij f(x_j)‖ (≥ 0; Kobayashi et '
        "al. 2020) and each source word's signed effect on each written word by gradient × input, integrated "
        "gradients and leave-one-out",
    )
    tr.set_defaults(func=cmd_translate)


def _align_parser(sub) -> None:
    """Add the ``align`` subcommand: sentence pairs → Pharaoh links."""
    al = sub.add_parser(
        "align",
        help="word alignments from attention (Pharaoh format)",
        description="Force-decodes each sentence pair and writes its attention links as Pharaoh "
        "'j-i' pairs (0-based, source index first), one line per input pair (empty when it cannot be aligned).",
    )
    al.add_argument("--model", type=Path, required=True)
    al.add_argument(
        "--src", type=Path, required=True, help="source sentences (the model's source language), one per line"
    )
    al.add_argument("--tgt", type=Path, required=True, help="their translations, one per line")
    al.add_argument("--pretokenized", action="store_true", help="split on spaces only; positions refer to those tokens")
    al.add_argument(
        "--threshold",
        type=_bounded(float, 0.0, 1.0, "--threshold", low_open=True),
        help="all links with weight ≥ τ instead of the model's reading (the argmax per word unless its card names another)",
    )
    al.set_defaults(func=cmd_align)


def _evaluate_parser(sub) -> None:
    """Add the ``evaluate`` subcommand: the quality table of the models."""
    ev = sub.add_parser("evaluate", help="one table: BLEU, AER, entropy, monotonicity, speed per model")
    ev.add_argument("--models", type=Path, nargs="*", help="model directories (default: all in pretrained/)")
    ev.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD)
    ev.add_argument("--data", type=Path, help="corpus of each model's test split (default: its language pair's file)")
    ev.add_argument("--priors", type=Path, default=PRIORS, help="eflomal priors (row skipped if absent)")
    ev.add_argument("--imdb-dir", type=Path, default=IMDB_DIR, help="test.tsv.gz of the review classifiers")
    ev.add_argument("--bleu-sentences", type=int, help="use only the first N test sentences for BLEU")
    ev.add_argument("--csv", type=Path, default=Path("evaluation.csv"), help="also write the table here")
    ev.add_argument(
        "--write-cards",
        action="store_true",
        help="store BLEU by source length, the share of zero weights and BLEU/AER decoded with each "
        "normalizer (the trained-as × decoded-as grid) on each model's card",
    )
    ev.add_argument(
        "--attribution",
        action="store_true",
        help="English → French models: also the AER of links read from norm-based attention, gradient × input, "
        "integrated gradients and leave-one-out on the gold pairs, beside attention's (slow: a median gold pair took 18 s for a "
        "GRU on a busy 2-core machine)",
    )
    ev.add_argument(
        "--check-cards",
        action="store_true",
        help="compare test BLEU, dev AER and test accuracy with each model's card (4 decimals); exit 1 if one differs",
    )
    ev.set_defaults(func=cmd_evaluate)


def _reference_parser(sub) -> None:
    """Add the ``reference`` subcommand: eflomal's priors."""
    defaults = TrainConfig()
    rf = sub.add_parser("reference", help="train the eflomal reference aligner's priors on the training split")
    rf.add_argument("--pair", choices=tuple(PAIRS), default=DEFAULT_PAIR.name, help="source-target languages")
    rf.add_argument(
        "--segmentation",
        choices=SEGMENTATIONS,
        default="words",
        help="zh-en: Chinese words, characters, or characters with CC-CEDICT's names whole",
    )
    rf.add_argument("--data", type=Path, help="the Tatoeba file (default: the pair's, under ../shared/data)")
    rf.add_argument("--split-seed", type=int, default=defaults.split_seed)
    rf.add_argument(
        "--valid-sentences",
        type=int,
        default=defaults.valid_sentences,
        help="as the models of the pair were trained with",
    )
    rf.add_argument("--test-sentences", type=int, default=defaults.test_sentences)
    rf.add_argument("--out", type=Path, help="priors file (default: pretrained/eflomal-PAIR[-SEGMENTATION].priors.gz)")
    rf.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD)
    rf.set_defaults(func=cmd_reference)


def _heads_parser(sub) -> None:
    """Add the ``heads`` subcommand: a multi-head model's alignment head."""
    hd = sub.add_parser("heads", help="choose a multi-head model's alignment head by AER on the dev gold")
    hd.add_argument("--model", type=Path, required=True, help="model directory, e.g. pretrained/en-fr-transformer")
    hd.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD, help="WPT03 dev alignments")
    hd.set_defaults(func=cmd_heads)


def _convert_hf_parser(sub) -> None:
    """Add the ``convert-hf`` subcommand: a pickled Hugging Face folder → safetensors."""
    hf = sub.add_parser(
        "convert-hf",
        help="write model.safetensors beside a Hugging Face folder's pickled pytorch_model.bin",
        description="Reads pytorch_model.bin with torch's weights-only loader (a file that would run code is "
        "refused) and writes model.safetensors beside it, once; attnviz then loads the folder from safetensors.",
    )
    hf.add_argument("folder", type=Path, help="a Hugging Face model folder, e.g. models/opus-mt-en-fr")
    hf.set_defaults(func=cmd_convert_hf)


def _models_parser(sub) -> None:
    """Add the ``models`` subcommand: the model list."""
    md = sub.add_parser(
        "models", help="list the models under pretrained/ (and ATTNVIZ_MODELS) by task and language pair"
    )
    md.add_argument("--root", type=Path, default=PRETRAINED)
    md.set_defaults(func=cmd_models)


def _export_lecture_parser(sub) -> None:
    """Add the ``export-lecture`` subcommand: a lecture as one HTML file."""
    ex = sub.add_parser(
        "export-lecture",
        help="write a lecture as one self-contained HTML file (no server, no network)",
        description="Decodes every slide of a lecture file (lectures/*.toml) and writes one HTML file: each slide's "
        "heatmaps with hover, the translations, the speaker notes and ◀/▶, with Plotly's JavaScript inlined.",
    )
    ex.add_argument("lecture", type=Path, help="a lecture file, e.g. lectures/seed-notes.toml")
    ex.add_argument("--out", type=Path, required=True, help="the HTML file to write, e.g. seed-notes.html")
    ex.add_argument("--root", type=Path, default=PRETRAINED, help="the models' folder (default pretrained/)")
    ex.set_defaults(func=cmd_export_lecture)


def _train_parser(sub) -> None:
    """Add the ``train`` subcommand: one model or the zoo."""
    tn = sub.add_parser(
        "train",
        help="train a model (or the whole zoo with --all)",
        description="Trains one model (or the zoo). A directory holding resume.safetensors continues after its "
        "last finished epoch. Under `torchrun --nproc_per_node N -m attnviz train …` the N processes share the "
        "batches (DistributedDataParallel: gloo on CPU, nccl with --device cuda).",
    )
    translation_families = FAMILIES.select(lambda f: f.task == "translation" and f.trainable)
    tn.add_argument(
        "--family",
        choices=[f.family for f in translation_families],
        default=DEFAULT_FAMILY,
        help=f"model family (default {DEFAULT_FAMILY}; bottleneck = no attention, the baseline)",
    )
    declared = set()
    for family in translation_families:  # each family declares its own flags; one shared by two is added once
        for flag in family.train_flags():
            if flag.option not in declared:
                declared.add(flag.option)
                tn.add_argument(flag.option, **flag.arguments)
    tn.add_argument("--all", action="store_true", help="train every zoo recipe into --out (default pretrained/)")
    tn.add_argument(
        "--pair",
        choices=tuple(PAIRS),
        default=DEFAULT_PAIR.name,
        help="source-target languages: en-fr, or zh-en (Chinese → English)",
    )
    tn.add_argument("--data", type=Path, help="the Tatoeba file (default: the pair's, under ../shared/data)")
    _add_train_options(tn)
    tn.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD, help="WPT03 dev alignments for AER")
    tn.add_argument("--out", type=Path, help="model directory (with --all: the parent directory)")
    tn.add_argument("--jobs", type=int, default=1, help="with --all: models trained at once, as separate processes")
    tn.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to train (default cpu)")
    tn.set_defaults(func=cmd_train)


def _classify_parser(sub) -> None:
    """Add the ``classify`` subcommand: review sentiment from stdin."""
    cl = sub.add_parser(
        "classify",
        help="classify English texts from stdin (movie-review sentiment)",
        description="Reads one text per line from stdin and writes label<TAB>P(positive) per line; "
        "--json writes the tokens and the attention (per head too for a multi-head model).",
    )
    cl.add_argument(
        "--model", type=Path, required=True, help="classifier directory, e.g. pretrained/imdb-self-attention"
    )
    cl.add_argument("--json", action="store_true", help="one JSON object per line with tokens and attention")
    cl.set_defaults(func=cmd_classify)


def _train_classifier_parser(sub) -> None:
    """Add the ``train-classifier`` subcommand: the IMDB classifiers."""
    recipe = ClassifierRecipe()
    tc = sub.add_parser("train-classifier", help="train the IMDB review classifiers")
    tc.add_argument("--pooling", choices=tuple(POOLINGS), default="self_attention", help="attention pooling")
    tc.add_argument("--heads", type=int, default=1, help="heads of multihead pooling (1 for self_attention)")
    tc.add_argument("--all", action="store_true", help="the zoo's two classifiers into --out (default pretrained/)")
    tc.add_argument(
        "--data-dir", type=Path, default=IMDB_DIR, help=f"train.tsv.gz and test.tsv.gz (default {IMDB_DIR})"
    )
    tc.add_argument("--out", type=Path, help="model directory (with --all: the parent directory)")
    tc.add_argument("--epochs", type=int, default=recipe.epochs)
    tc.add_argument("--max-minutes", type=float, default=recipe.max_minutes, help="training time budget per model")
    tc.add_argument("--seed", type=int, default=recipe.seed)
    tc.add_argument("--threads", type=int, default=recipe.threads, help="torch threads")
    tc.add_argument(
        "--lr", type=_bounded(float, 0.0, 1.0, "--lr", low_open=True), default=recipe.lr, help="Adam learning rate"
    )
    tc.add_argument(
        "--weight-decay",
        type=_bounded(float, 0.0, 1.0, "--weight-decay"),
        default=recipe.weight_decay,
        help="AdamW's decoupled weight decay (default 0: plain Adam)",
    )
    tc.add_argument(
        "--dropout",
        type=_bounded(float, 0.0, 0.99, "--dropout"),
        default=ClassifierConfig.dropout,
        help="dropout on the embeddings and the pooled vector",
    )
    tc.add_argument("--init-from", type=Path, help="start from a trained classifier's weights (same vocabulary)")
    tc.add_argument(
        "--word-vector-epochs",
        type=_bounded(int, 0, 100, "--word-vector-epochs"),
        default=recipe.word_vector_epochs,
        help="start the embeddings from skip-gram word vectors trained this many epochs on the training reviews (default 0: random)",
    )
    tc.add_argument(
        "--reread",
        action="store_true",
        help="for the trained classifier in --out (no training; --all does it for the zoo's word-vector "
        f"models after training): choose how many tokens of a review it reads among {', '.join(map(str, READ_LENGTHS))} on the validation reviews, "
        "then re-measure the test set",
    )
    tc.set_defaults(func=cmd_train_classifier)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``python -m attnviz``: one function per subcommand."""
    parser = argparse.ArgumentParser(prog="python -m attnviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _translate_parser(sub)
    _align_parser(sub)
    _evaluate_parser(sub)
    _reference_parser(sub)
    _heads_parser(sub)
    _convert_hf_parser(sub)
    _models_parser(sub)
    _export_lecture_parser(sub)
    _train_parser(sub)
    _classify_parser(sub)
    _train_classifier_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (errors are printed, never raised as tracebacks)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`… | head`): end quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
