"""The training loop on a tiny synthetic corpus: it learns, saves the best epoch, writes card and history,
runs on two processes with identical weights, and resumes after being killed."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from attnviz.data.tatoeba import Corpus, encode_pairs, make_batches, split_by_source
from attnviz.data.tokenization import Vocab, model_tokens
from attnviz.families.rnn import RNNConfig
from attnviz.inference import checkpoint
from attnviz.inference.translator import Translator
from attnviz.training.loop import RESUME_FILE, train_model
from attnviz.training.recipes import TrainConfig

from .conftest import ROOT

NOUNS = [("cat", "chat"), ("dog", "chien"), ("bird", "oiseau"), ("horse", "cheval"), ("fish", "poisson")]
ADJECTIVES = [("black", "noir"), ("big", "grand"), ("small", "petit"), ("white", "blanc")]


def tiny_corpus() -> Corpus:
    pairs = [
        (f"the {a} {n} number {k} .", f"le {nf} {af} numéro {k} .")
        for n, nf in NOUNS
        for a, af in ADJECTIVES
        for k in range(12)
    ]
    split = split_by_source(pairs, seed=1, n_valid=20, n_test=20)
    tokens = [(model_tokens(e, "en"), model_tokens(f, "fr")) for e, f in split.train]
    src, tgt = Vocab.build((s for s, _ in tokens), 100), Vocab.build((t for _, t in tokens), 100)
    return Corpus(split, src, tgt, encode_pairs(tokens, src, tgt), 0, tokens)


def test_make_batches_respects_token_budget():
    pairs = [([1] * n, [2] * n) for n in range(1, 30)]
    batches = make_batches(pairs, max_tokens=40)
    assert sorted(i for b in batches for i in b) == list(range(29))
    for batch in batches:
        longest = max(max(len(pairs[i][0]), len(pairs[i][1]) + 1) for i in batch)
        assert longest * len(batch) <= 40 or len(batch) == 1


def test_split_is_by_english_sentence():
    pairs = [(f"s{k}", f"t{k}") for k in range(50)] + [("s1", "other"), ("s2", "autre")]
    split = split_by_source(pairs, seed=3, n_valid=5, n_test=5)
    train_sources = {e for e, _ in split.train}
    assert not train_sources & set(split.valid) and not train_sources & set(split.test)
    assert not set(split.valid) & set(split.test)
    assert sum(len(v) for v in split.valid.values()) + sum(len(v) for v in split.test.values()) + len(split.train) == 52
    assert split_by_source(pairs, seed=3, n_valid=5, n_test=5).test == split.test  # deterministic


def test_training_learns_and_writes_a_complete_model(tmp_path):
    corpus = tiny_corpus()
    config = RNNConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        scorer="general",
        embedding_size=32,
        encoder_size=16,
        decoder_size=32,
        attention_size=16,
        dropout=0.0,
    )
    recipe = TrainConfig(epochs=12, max_minutes=5, batch_tokens=60, lr=1e-2, threads=1, bf16=False)
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None)
    history = json.loads((tmp_path / "m" / "history.json").read_text())
    assert len(history) == card["training"]["epochs_run"] == 12
    assert history[-1]["valid_loss"] < history[0]["valid_loss"]
    assert card["metrics"]["test_bleu_greedy"] > 30  # a trivially learnable task
    assert "demo" in history[0] and len(history[0]["demo"]["attention"]) == len(history[0]["demo"]["target_tokens"])
    loaded = Translator.load(tmp_path / "m")
    assert loaded.card["training"]["best_epoch"] == card["training"]["best_epoch"]
    readme = (tmp_path / "m" / "README.md").read_text()
    assert "Tatoeba" in readme
    assert (
        "--epochs 12 --max-minutes 5 --seed 1 --threads 1 --lr 0.01`" in readme
    )  # the card's retrain command is the recipe
    assert not checkpoint.missing_files(tmp_path / "m")
    assert not (tmp_path / "m" / RESUME_FILE).exists()  # removed once the model is complete
    assert loaded.card["training"]["command"].startswith("python -m attnviz train --scorer general")


def test_a_stage_continues_in_place_and_its_card_keeps_where_it_started(tmp_path):
    """A recipe's later stage (``Recipe.stages``) trains again in the same directory from the weights there; its
    card keeps the first run's command, epochs and figures, and the README says where it started."""
    from attnviz.training.recipes import Recipe

    corpus = tiny_corpus()
    config = RNNConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        embedding_size=32,
        encoder_size=16,
        decoder_size=32,
        attention_size=16,
        dropout=0.0,
    )
    shared = TrainConfig(epochs=2, max_minutes=5, batch_tokens=300, lr=1e-2, threads=1, bf16=False)
    stages = Recipe("m", "rnn", stages=({"lr": 5e-3, "epochs": 1},)).train_configs(shared, str(tmp_path / "m"))
    assert [(c.lr, c.epochs, c.init_from) for c in stages] == [(1e-2, 2, ""), (5e-3, 1, str(tmp_path / "m"))]
    first = train_model(corpus, config, stages[0], tmp_path / "m", gold_dir=None)
    second = train_model(corpus, config, stages[1], tmp_path / "m", gold_dir=None)
    start = second["training"]["started_from"]
    assert (start["name"], start["command"], start["epochs_run"]) == ("m", first["training"]["command"], 2)
    assert start["metrics"]["test_bleu_greedy"] == first["metrics"]["test_bleu_greedy"]
    assert second["training"]["epochs_run"] == 1 and "--lr 0.005" in second["training"]["command"]
    readme = (tmp_path / "m" / "README.md").read_text()
    assert f"Started from the weights of `m` (test BLEU {first['metrics']['test_bleu_greedy']:.2f} greedy" in readme
    assert first["training"]["command"] in readme


def test_a_flags_run_into_a_zoo_models_directory_keeps_it_shown_by_default():
    """Retraining a shipped model with its card's command (flags, not ``--all``) still writes
    ``shown_by_default`` on the card; a directory of another name, or of the other pair, does not."""
    from attnviz.training.recipes import ZOO, flags_recipe

    shown = [r for r in ZOO if r.shown_by_default]
    assert any(r.name == "en-fr-transformer-aligned" for r in shown)
    for recipe in shown:
        assert flags_recipe(recipe.name, recipe.family, recipe.fields, recipe.info.pair_name).shown_by_default
    assert not flags_recipe("my-transformer", "transformer", {}, "en-fr").shown_by_default
    assert not flags_recipe("en-fr-transformer-aligned", "transformer", {}, "zh-en").shown_by_default
    assert not flags_recipe("en-fr-bottleneck", "rnn", {}, "en-fr").shown_by_default  # a zoo model not shown first


def test_time_budget_stops_cleanly_and_still_saves(tmp_path):
    corpus = tiny_corpus()
    config = RNNConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=8,
    )
    recipe = TrainConfig(epochs=50, max_minutes=0.0, batch_tokens=300, threads=1)
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None, shown_by_default=True)
    assert card["training"]["epochs_run"] == 1
    history = json.loads((tmp_path / "m" / "history.json").read_text())
    assert history[0]["fraction"] < 1.0
    assert not checkpoint.missing_files(tmp_path / "m")
    from attnviz.inference.catalog import entry

    assert entry(tmp_path / "m").shown_by_default  # the card says so, and the app reads it
    assert not entry(ROOT / "pretrained" / "en-fr-additive-hard").shown_by_default


def test_warmup_raises_the_learning_rate_linearly_and_is_on_the_card(tmp_path):
    corpus = tiny_corpus()
    config = RNNConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=8,
    )
    recipe = TrainConfig(epochs=1, batch_tokens=300, lr=1e-2, warmup_steps=1000, threads=1, bf16=False)
    batches = len(make_batches(corpus.train, recipe.batch_tokens))
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None)
    history = json.loads((tmp_path / "m" / "history.json").read_text())
    assert abs(history[0]["lr"] - 1e-2 * batches / 1000) < 1e-12  # still warming up after one epoch
    assert "--lr 0.01 --warmup-steps 1000" in card["training"]["command"]


def write_corpus(path):
    """The tiny corpus as a fra.txt-style file (English<TAB>French), for the command line."""
    pairs = [
        (f"the {a} {n} number {k} .", f"le {nf} {af} numéro {k} .")
        for n, nf in NOUNS
        for a, af in ADJECTIVES
        for k in range(12)
    ]
    path.write_text("".join(f"{e}\t{f}\n" for e, f in pairs), encoding="utf-8")
    return path


def train_command(corpus, out, epochs):
    return [
        "--scorer",
        "general",
        "--out",
        str(out),
        "--data",
        str(corpus),
        "--gold-dir",
        str(out.parent / "no-gold"),
        "--epochs",
        str(epochs),
        "--threads",
        "1",
        "--src-vocab",
        "60",
        "--tgt-vocab",
        "60",
        "--valid-sentences",
        "20",
        "--test-sentences",
        "20",
    ]


def run_module(args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def test_two_processes_train_identical_weights(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt")
    result = run_module(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "attnviz",
            "train",
            *train_command(corpus, tmp_path / "ddp", 2),
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    digests = dict(re.findall(r"rank (\d): final weights sha256 ([0-9a-f]{64})", result.stdout + result.stderr))
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    card = checkpoint.read_config(tmp_path / "ddp")
    assert "2 processes" in card["training"]["machine"] and card["training"]["epochs_run"] == 2


def resume_epoch(path) -> int:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return json.loads(f.metadata()["state"])["epoch"]


def test_killed_training_resumes_where_it_stopped(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt")
    whole = run_module([sys.executable, "-m", "attnviz", "train", *train_command(corpus, tmp_path / "whole", 5)])
    assert whole.returncode == 0, whole.stderr[-3000:]

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "attnviz", "train", *train_command(corpus, out, 5)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not ((out / RESUME_FILE).is_file() and resume_epoch(out / RESUME_FILE) >= 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stopped_after = resume_epoch(out / RESUME_FILE)
    assert 2 <= stopped_after < 5

    resumed = run_module(command)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming after epoch {stopped_after}" in resumed.stdout + resumed.stderr
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    reference = json.loads((tmp_path / "whole" / "history.json").read_text())
    assert [h["valid_loss"] for h in history] == [h["valid_loss"] for h in reference]
    # the same weights, bit for bit, as the run that was never interrupted
    assert (out / "model.safetensors").read_bytes() == (tmp_path / "whole" / "model.safetensors").read_bytes()
    assert not (out / RESUME_FILE).exists()


def test_a_recipe_saved_before_a_field_existed_resumes_with_its_default():
    from dataclasses import asdict

    from attnviz.training.recipes import recipe_differences

    saved = asdict(TrainConfig())
    del saved["guided_lambda"]  # a resume state written before guided training existed
    assert recipe_differences(saved, TrainConfig()) == []
    assert recipe_differences({**saved, "lr": 0.5}, TrainConfig()) == ["lr: 0.5 then, 0.002 now"]


def test_a_split_read_into_english_keeps_the_english_parts():
    pairs = [("I eat.", "我吃。"), ("I eat.", "我吃饭。"), ("Go.", "走。"), ("Go away.", "走。"), ("Run.", "跑。")]
    split = split_by_source(pairs, seed=2, n_valid=1, n_test=1)
    flipped = split.into_english()
    assert sorted(flipped.train) == sorted((o, e) for e, o in split.train)
    # each held-out Chinese sentence has the English sentences of its part as references
    for part, english in ((flipped.valid, split.valid), (flipped.test, split.test)):
        assert sorted((o, e) for o, refs in part.items() for e in refs) == sorted(
            (o, e) for e, others in english.items() for o in others
        )


def test_a_chinese_corpus_is_prepared_source_chinese_target_english(tmp_path):
    from attnviz.data.tatoeba import PAIRS, prepare_corpus

    lines = [f"I see {n}.\t我看见{z}。" for n, z in (("a cat", "一只猫"), ("a dog", "一只狗"), ("Beijing", "北京"))] * 4
    lines += [f"Sentence {k}.\t句子{k}。" for k in range(40)]
    (tmp_path / "cmn.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = prepare_corpus(tmp_path / "cmn.txt", 1, 100, 100, n_valid=5, n_test=5, pair=PAIRS["zh-en"])
    assert corpus.pair.name == "zh-en"
    source, target = next((s, t) for s, t in corpus.train_tokens if "北京" in s)
    assert source == ["我", "看见", "北京", "。"] and target == ["i", "see", "beijing", "."]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in corpus.split.test)  # Chinese sources


def test_a_share_of_training_pairs_loses_its_final_punctuation_on_both_sides(tmp_path):
    from attnviz.data.tatoeba import PAIRS, prepare_corpus, without_final_punctuation

    pairs = [
        (["欢", "迎", "。"], ["welcome", "."]),
        (["好", "？", "！"], ["ok", "?", "!"]),
        (["。"], ["."]),
        (["我", "爱", "你"], ["i", "love", "you", "."]),
    ]
    assert without_final_punctuation(pairs, 1.0, 1) == [
        (["欢", "迎"], ["welcome"]),
        (["好"], ["ok"]),
        (["。"], ["."]),  # nothing would be left
        (["我", "爱", "你"], ["i", "love", "you", "."]),
    ]  # one side has no final punctuation
    assert without_final_punctuation(pairs, 0.0, 1) == pairs
    many = without_final_punctuation([(["a", "."], ["b", "."])] * 1000, 0.5, 7)
    assert 400 < sum(s == ["a"] for s, _ in many) < 600
    assert many == without_final_punctuation([(["a", "."], ["b", "."])] * 1000, 0.5, 7)  # seeded
    lines = [f"Sentence {k}.\t句子{k}。" for k in range(60)]
    (tmp_path / "cmn.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = prepare_corpus(
        tmp_path / "cmn.txt", 1, 100, 100, n_valid=5, n_test=5, pair=PAIRS["zh-en"], unpunctuated=1.0
    )
    assert all(s[-1] != "。" and t[-1] != "." for s, t in corpus.train_tokens)
    assert all(s.endswith("。") for s in corpus.split.test)  # held-out sentences keep theirs


def test_the_unpunctuated_share_is_in_the_retrain_command_and_the_cli_reads_it_back():
    from attnviz.cli import build_parser
    from attnviz.training.recipes import recipe_flags

    assert "--unpunctuated" not in recipe_flags(TrainConfig())
    flags = recipe_flags(TrainConfig(unpunctuated=0.5))
    assert flags[flags.index("--unpunctuated") + 1] == "0.5"
    args = build_parser().parse_args(["train", "--out", "x", *flags])
    assert args.unpunctuated == 0.5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--out", "x", "--unpunctuated", "1.5"])
    flags = recipe_flags(TrainConfig(name_contexts=3))
    assert build_parser().parse_args(["train", "--out", "x", *flags]).name_contexts == 3
    from attnviz.cli import main

    assert main(["train", "--out", "x", "--name-contexts", "3"]) == 2  # the city names are Chinese → English only
    flags = recipe_flags(TrainConfig(concatenated=0.25))
    assert build_parser().parse_args(["train", "--out", "x", *flags]).concatenated == 0.25
    flags = recipe_flags(TrainConfig(dictionary=True, dictionary_repeats=3))
    assert flags[flags.index("--dictionary-repeats") + 1] == "3"
    assert build_parser().parse_args(["train", "--out", "x", *flags]).dictionary_repeats == 3


def test_concatenated_pairs_join_two_to_four_training_pairs_end_to_end(tmp_path):
    from attnviz.data.tatoeba import JOINED_PARTS, MAX_JOINED_TOKENS, concatenations, joined_pair, prepare_corpus
    from attnviz.data.tokenization import EOS

    assert joined_pair([([5, 6, EOS], [7]), ([8, EOS], [9, 10])]) == ([5, 6, 8, EOS], [7, 9, 10])
    lengths = [(30, 29), (1, 1), (25, 30), (4, 6)] * 50
    groups = concatenations(lengths, 0.5, 3)
    assert len(groups) == 100 and groups == concatenations(lengths, 0.5, 3)  # seeded
    assert all(JOINED_PARTS[0] <= len(g) <= JOINED_PARTS[1] and len(set(g)) == len(g) for g in groups)
    assert all(sum(lengths[i][side] for i in g) <= MAX_JOINED_TOKENS for g in groups for side in (0, 1))
    assert {len(g) for g in groups} >= {2, 3, 4}
    assert concatenations(lengths, 0.0, 3) == []
    with pytest.raises(ValueError, match="concatenated share"):
        concatenations(lengths, 1.5, 3)
    (tmp_path / "fra.txt").write_text("".join(f"Sentence {k}.\tPhrase {k}.\n" for k in range(60)), encoding="utf-8")
    plain = prepare_corpus(tmp_path / "fra.txt", 1, 100, 100, 5, 5)
    corpus = prepare_corpus(tmp_path / "fra.txt", 1, 100, 100, 5, 5, concatenated=0.5)
    n = len(corpus.train_tokens)
    assert corpus.train[:n] == plain.train and len(corpus.train) == n + len(corpus.joined) == n + round(0.5 * n)
    assert corpus.src_vocab.tokens == plain.src_vocab.tokens  # the vocabularies come from the sentence pairs alone
    parts = corpus.joined[0]
    source, target = corpus.train[n]
    assert source.count(EOS) == 1 and source[-1] == EOS
    assert corpus.src_vocab.decode(source[:-1]) == [w for i in parts for w in corpus.train_tokens[i][0]]
    assert corpus.tgt_vocab.decode(target) == [w for i in parts for w in corpus.train_tokens[i][1]]


def test_rare_city_names_get_the_contexts_of_frequent_ones():
    from attnviz.data.dictionary import RARE_BELOW, rare_name_contexts
    from attnviz.data.names import city_names

    cities = dict(city_names())
    assert cities["北京"] == "Beijing" and cities["波士顿"] == "Boston" and cities["名古屋"] == "Nagoya"
    assert "日本" not in cities and "星期天" not in cities  # a country, a weekday: not cities
    pairs = [("我住在波士頓。", "I live in Boston.")] * (RARE_BELOW + 2)  # Traditional 頓: read Simplified
    pairs += [
        ("我是在北京学的中文。", "It was in Beijing that I studied Chinese."),
        ("他去过名古屋。", "He has been to Nagoya."),
        ("波士顿和北京。", "Boston and Beijing."),  # two names: no new contexts from it
        ("我喜欢猫。", "I like cats."),
    ]
    contexts = rare_name_contexts(pairs, 3, seed=1)
    assert contexts == rare_name_contexts(pairs, 3, seed=1)  # seeded
    # the rare names (北京 in 2 pairs, 名古屋 in 1) go into Boston's 7 sentences and into each other's
    assert len(contexts) == 3 * (RARE_BELOW + 2) + 3 + 3
    assert {c for c in contexts if "波士顿" not in c[0] and "住在" in c[0]} <= {
        ("我住在北京。", "I live in Beijing."),
        ("我住在名古屋。", "I live in Nagoya."),
    }
    assert ("他去过北京。", "He has been to Beijing.") in contexts  # the other rare name
    assert not any("Boston" in e for _, e in contexts) and rare_name_contexts(pairs, 0, 1) == []


def test_cc_cedict_proper_nouns_become_training_pairs(tmp_path):
    from attnviz.data.names import proper_noun, proper_noun_pairs
    from attnviz.data.tatoeba import PAIRS, prepare_corpus

    entry = {"simplified": "北京", "pinyin": "Bei3 jing1", "definitions": ["Beijing, capital of the People's Republic"]}
    assert proper_noun(entry) == ("北京", "Beijing")
    assert proper_noun({**entry, "pinyin": "bei3 jing1"}) is None  # a common noun has lowercase pinyin
    assert proper_noun({"simplified": "纽约", "pinyin": "Niu3 yue1", "definitions": ["New York"]}) == (
        "纽约",
        "New York",
    )
    names = dict(proper_noun_pairs())
    assert names["北京"] == "Beijing" and names["巴黎"] == "Paris" and len(names) > 3000
    (tmp_path / "cmn.txt").write_text("".join(f"Sentence {k}.\t句子{k}。\n" for k in range(30)), encoding="utf-8")
    corpus = prepare_corpus(tmp_path / "cmn.txt", 1, 100, 100, 5, 5, PAIRS["zh-en"], (("北京", "Beijing"),))
    assert (["北京"], ["beijing"]) in corpus.train_tokens  # training only: valid and test come from the corpus
    assert all("北京" not in s for s in [*corpus.split.valid, *corpus.split.test])


def test_a_character_model_records_its_segmentation_and_reads_characters(tmp_path):
    from attnviz.data.tatoeba import PAIRS, prepare_corpus

    lines = [f"I see {n}.\t我看见{z}。" for n, z in (("a cat", "一只猫"), ("a dog", "一只狗"), ("Beijing", "北京"))] * 8
    lines += [f"Sentence {k}.\t句子{k}。" for k in range(40)]
    (tmp_path / "cmn.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = prepare_corpus(tmp_path / "cmn.txt", 1, 100, 100, 5, 5, PAIRS["zh-en"], (), "characters")
    assert (["我", "看", "见", "北", "京", "。"], ["i", "see", "beijing", "."]) in corpus.train_tokens
    config = RNNConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=8,
    )
    recipe = TrainConfig(epochs=1, max_minutes=5, batch_tokens=200, threads=1, bf16=False, segmentation="characters")
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None)
    assert card["training"]["command"].endswith("--segmentation characters --pair zh-en")
    loaded = Translator.load(tmp_path / "m")
    assert loaded.info.segmentation == "characters"  # written to config.json, so the app cuts text the same way
    assert loaded.source("歡迎來北京").display == ["欢", "迎", "来", "北", "京", "</s>"]
    assert "single characters" in (tmp_path / "m" / "README.md").read_text()


def test_segmentation_is_refused_for_a_pair_without_chinese():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "attnviz",
            "train",
            "--scorer",
            "dot",
            "--out",
            "/nonexistent/x",
            "--segmentation",
            "characters",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        "train: --segmentation cuts Chinese text; en-fr has none (use it with --pair zh-en)"
    ]


def test_training_flags_are_declared_once_and_round_trip():
    """A TrainConfig field's ``option`` metadata makes its CLI flag, its place in the retrain command and in the
    corpus key: the command parses back to the same recipe."""
    from attnviz.cli import build_parser
    from attnviz.training.recipes import corpus_key, recipe_flags, train_options

    config = TrainConfig(
        epochs=3,
        max_minutes=7.5,
        seed=4,
        threads=1,
        lr=5e-4,
        warmup_steps=100,
        src_vocab_size=14100,
        tgt_vocab_size=16000,
        guided_lambda=1.0,
        guided_columns=True,
        concatenated=0.1,
        unpunctuated=0.25,
        segmentation="characters",
        dictionary=True,
        dictionary_repeats=3,
        name_contexts=2,
        valid_sentences=500,
        test_sentences=600,
        init_from="pretrained/en-fr-additive",
    )
    args = build_parser().parse_args(["train", "--out", "somewhere", *recipe_flags(config)])
    assert TrainConfig(**{f.name: getattr(args, f.name) for f in train_options()}) == config
    assert corpus_key(config) != corpus_key(TrainConfig()) and corpus_key(replace(config, lr=1.0)) == corpus_key(config)
