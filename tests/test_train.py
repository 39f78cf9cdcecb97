"""The training loop on a tiny synthetic corpus: it learns, saves the best epoch, writes card and history."""

import json

from attnviz import checkpoint
from attnviz.data import encode_pairs, make_batches, model_tokens, split_by_source
from attnviz.model import ModelConfig
from attnviz.tokenization import Vocab
from attnviz.train import Corpus, TrainConfig, train_model
from attnviz.translator import Translator

NOUNS = [("cat", "chat"), ("dog", "chien"), ("bird", "oiseau"), ("horse", "cheval"), ("fish", "poisson")]
ADJECTIVES = [("black", "noir"), ("big", "grand"), ("small", "petit"), ("white", "blanc")]


def tiny_corpus() -> Corpus:
    pairs = [
        (f"the {a} {n} number {k} .", f"le {nf} {af} numéro {k} .")
        for n, nf in NOUNS for a, af in ADJECTIVES for k in range(12)
    ]
    split = split_by_source(pairs, seed=1, n_valid=20, n_test=20)
    tokens = [(model_tokens(e, "en"), model_tokens(f, "fr")) for e, f in split.train]
    src, tgt = Vocab.build((s for s, _ in tokens), 100), Vocab.build((t for _, t in tokens), 100)
    return Corpus(split, src, tgt, encode_pairs(tokens, src, tgt), 0)


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
    config = ModelConfig(len(corpus.src_vocab), len(corpus.tgt_vocab), scorer="general", embedding_size=32,
                         encoder_size=16, decoder_size=32, attention_size=16, dropout=0.0)
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
    assert "--epochs 12 --max-minutes 5 --seed 1 --threads 1`" in readme  # the card's retrain command is the recipe
    assert not checkpoint.missing_files(tmp_path / "m")


def test_time_budget_stops_cleanly_and_still_saves(tmp_path):
    corpus = tiny_corpus()
    config = ModelConfig(len(corpus.src_vocab), len(corpus.tgt_vocab), embedding_size=16, encoder_size=8,
                         decoder_size=16, attention_size=8)
    recipe = TrainConfig(epochs=50, max_minutes=0.0, batch_tokens=300, threads=1)
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None)
    assert card["training"]["epochs_run"] == 1
    history = json.loads((tmp_path / "m" / "history.json").read_text())
    assert history[0]["fraction"] < 1.0
    assert not checkpoint.missing_files(tmp_path / "m")
