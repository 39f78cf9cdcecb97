"""The review classifiers: attention pooling against float64 hand computation, training on a tiny
synthetic review set, the attributions, the classify CLI and the checkpoint checks."""

import gzip
import json
import math
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from attnviz.data.reviews import Review, carve_validation, clean, read_reviews
from attnviz.families.classifier import AttentionClassifier, ClassifierConfig
from attnviz.inference import checkpoint
from attnviz.inference.checkpoint import CheckpointError
from attnviz.inference.classifier import Classifier
from attnviz.inference.translator import InputError
from attnviz.training.classify import CLASSIFIER_ZOO, ClassifierRecipe, train_classifier

from .conftest import ROOT

GOOD, BAD = ["wonderful", "great", "superb"], ["awful", "boring", "dreadful"]
FILLER = "the film was shown on a sunday and my friend said it had a plot with actors in it".split()


def synthetic_reviews(count: int, seed: int) -> list[Review]:
    rng = random.Random(seed)
    reviews = []
    for k in range(count):
        label = ("neg", "pos")[k % 2]
        words = rng.sample(FILLER, 8) + [rng.choice(GOOD if label == "pos" else BAD)]
        rng.shuffle(words)
        reviews.append(Review(label, 8 if label == "pos" else 2, " ".join(words) + " ."))
    return reviews


def small_config(**fields) -> ClassifierConfig:
    return ClassifierConfig(
        60, 2, **{"embedding_size": 16, "encoder_size": 8, "attention_size": 8, "dropout": 0.0, **fields}
    )


def test_self_attention_pooling_matches_float64_by_hand():
    model = AttentionClassifier(small_config()).double().eval()
    src, lengths = torch.tensor([[5, 6, 7, 0]]), torch.tensor([3])
    logits, weights = model(src, lengths)
    h = model.annotations(src, lengths)[0, :3]
    energies = model.v(torch.tanh(model.W(h))).squeeze(-1)
    alpha = torch.exp(energies - energies.max()) / torch.exp(energies - energies.max()).sum()
    np.testing.assert_allclose(weights[0, 0, 0, 0, :3].detach(), alpha.detach(), rtol=1e-12)
    assert weights[0, 0, 0, 0, 3] == 0  # padding gets no weight
    np.testing.assert_allclose(logits[0].detach(), model.output(alpha @ h).detach(), rtol=1e-12)


def test_multihead_pooling_heads_and_shapes():
    model = AttentionClassifier(small_config(pooling="multihead", heads=2)).double().eval()
    src, lengths = torch.tensor([[5, 6, 7], [8, 9, 0]]), torch.tensor([3, 2])
    logits, weights = model(src, lengths)
    assert logits.shape == (2, 2) and weights.shape == (2, 1, 2, 1, 3)
    np.testing.assert_allclose(weights.sum(-1).detach(), 1.0, rtol=1e-12)
    h = model.annotations(src, lengths)[1, :2]
    keys = model.W_K(h).view(2, 2, 4)[:, 1]  # head 2's keys over the two words
    energies = keys @ model.queries[1] / math.sqrt(4)
    np.testing.assert_allclose(weights[1, 0, 1, 0, :2].detach(), torch.softmax(energies, 0).detach(), rtol=1e-12)


@pytest.mark.parametrize(
    "fields,message",
    [({"pooling": "max"}, "pooling"), ({"heads": 2}, "heads"), ({"pooling": "multihead", "heads": 3}, "divisible")],
)
def test_config_refuses_bad_fields(fields, message):
    with pytest.raises(ValueError, match=message):
        small_config(**fields)


def test_reviews_are_read_cleaned_and_split(tmp_path):
    path = tmp_path / "r.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("label\trating\ttext\npos\t9\tGreat.<br /><br />Loved it\nneg\t1\tNo<br/>thanks\n")
    assert read_reviews(path) == [Review("pos", 9, "Great.  Loved it"), Review("neg", 1, "No thanks")]
    assert clean("a<BR />b") == "a b"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("label\trating\ttext\nmaybe\t5\tso so\n")
    with pytest.raises(ValueError, match="line 2"):
        read_reviews(path)
    train, valid = carve_validation(synthetic_reviews(10, 0), 3)
    assert len(train) == 7 and len(valid) == 3 and not set(train) & set(valid)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("clf") / "tiny-imdb"
    recipe = ClassifierRecipe(epochs=6, max_minutes=5, valid_reviews=40, batch_tokens=400, lr=1e-2, vocab_size=60)
    card = train_classifier(
        synthetic_reviews(400, 1),
        synthetic_reviews(100, 2),
        small_config(),
        recipe,
        out,
        command="python -m attnviz train-classifier --out pretrained/tiny-imdb",
    )
    return out, card


def test_a_warm_start_continues_from_the_weights_and_refuses_another_vocabulary(trained, tmp_path):
    out, _ = trained
    recipe = ClassifierRecipe(
        epochs=1,
        max_minutes=0.001,
        valid_reviews=40,
        batch_tokens=400,
        lr=1e-9,
        vocab_size=60,
        weight_decay=0.01,
        init_from=str(out),
    )
    card = train_classifier(
        synthetic_reviews(400, 1), synthetic_reviews(100, 2), small_config(dropout=0.5), recipe, tmp_path / "warm"
    )
    assert card["metrics"]["test_accuracy"] > 0.95  # a near-zero learning rate keeps the trained weights
    assert card["training"]["recipe"]["init_from"] == str(out) and card["training"]["recipe"]["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="another vocabulary"):
        train_classifier(
            synthetic_reviews(400, 1),
            synthetic_reviews(100, 2),
            small_config(),
            ClassifierRecipe(epochs=1, max_minutes=0.001, valid_reviews=40, vocab_size=20, init_from=str(out)),
            tmp_path / "other",
        )


def test_training_learns_the_sentiment_words_and_writes_a_card(trained):
    out, card = trained
    assert card["metrics"]["test_accuracy"] > 0.95
    history = json.loads((out / "history.json").read_text())
    assert len(history) == card["training"]["epochs_run"] and history[-1]["valid_loss"] < history[0]["valid_loss"]
    readme = (out / "README.md").read_text()
    assert "Maas et al." in readme and f"{card['metrics']['test_accuracy']:.2%}" in readme
    assert not checkpoint.missing_files(out) and not (out / "resume.safetensors").exists()


def test_attention_and_attributions_find_the_sentiment_word(trained):
    classifier = Classifier.load(trained[0])
    verdict = classifier.classify("The film was shown on a Sunday and it was superb.")
    assert verdict.probabilities[1] > 0.9 and verdict.truncated == 0
    word = verdict.tokens.index("superb")
    # attention need not peak on it (the BiGRU spreads the word into its neighbours): that is the lesson
    assert verdict.attention.shape == (1, len(verdict.tokens)) and verdict.attention.sum() == pytest.approx(1)
    assert np.argmax(classifier.leave_one_out(verdict.tokens)) == word
    assert np.argmax(classifier.gradient_x_input(verdict.tokens)) == word
    assert classifier.without_tokens(verdict.tokens, {word}).probabilities[1] < verdict.probabilities[1]
    with pytest.raises(InputError, match="every word"):
        classifier.without_tokens(verdict.tokens, set(range(len(verdict.tokens))))


def test_gradient_x_input_sums_to_the_directional_derivative(trained):
    """Σ_j g_j·x_j is d/dε logit(x + εx) at ε = 0, checked by a central difference in float64."""
    classifier = Classifier.load(trained[0])
    classifier.model.double()
    tokens = "my friend said it was dreadful".split()
    src = torch.tensor([classifier.vocab.encode(tokens)])
    lengths = torch.tensor([len(tokens)])
    x = classifier.model.embed(src).detach()
    eps = 1e-6
    plus = classifier.model(src, lengths, embedded=x * (1 + eps))[0][0, 1]
    minus = classifier.model(src, lengths, embedded=x * (1 - eps))[0][0, 1]
    assert classifier.gradient_x_input(tokens).sum() == pytest.approx(((plus - minus) / (2 * eps)).item(), rel=1e-6)


def test_classify_cli_writes_one_line_per_text(trained):
    texts = "It was wonderful.\n\nIt was boring.\n"
    run = subprocess.run(
        [sys.executable, "-m", "attnviz", "classify", "--model", str(trained[0])],
        input=texts,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = run.stdout.split("\n")[:-1]
    assert run.returncode == 1 and "line 2: the text is empty" in run.stderr
    assert lines[0].startswith("pos\t") and lines[1] == "" and lines[2].startswith("neg\t")
    as_json = subprocess.run(
        [sys.executable, "-m", "attnviz", "classify", "--model", str(trained[0]), "--json"],
        input="It was superb.\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    record = json.loads(as_json.stdout)
    assert record["label"] == "pos" and len(record["attention"]) == len(record["tokens"])
    assert sum(record["attention"]) == pytest.approx(1, abs=1e-4)


def test_a_classifier_whose_labels_do_not_match_its_output_is_refused(trained, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(trained[0], copy)
    config = json.loads((copy / "config.json").read_text())
    config["labels"] = ["neg", "pos", "mixed"]
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="3 labels"):
        Classifier.load(copy)


def test_importance_table_ranks_and_rank_correlations():
    from attnviz.inference.classifier import Verdict
    from attnviz.presentation.faithfulness import Importances, most_attended

    scores = Importances(
        ["a", "b", "c", "d"],
        np.array([0.1, 0.4, 0.3, 0.2]),
        np.array([0.0, -0.5, 0.2, 0.1]),
        np.array([1.0, 2.0, 3.0, 4.0]),
    )
    table = scores.table()
    assert list(table["rank by attention"]) == [4, 1, 2, 3]
    assert list(table["rank by leave-one-out"]) == [4, 1, 2, 3]  # by magnitude: |-0.5| first
    rho = scores.correlations()
    assert rho["leave-one-out"] == pytest.approx(1.0)
    # ranks 4,1,2,3 against 4,3,2,1 (descending magnitudes 1..4): Spearman by hand = 1 − 6·Σd²/(n(n²−1))
    assert rho["gradient × input"] == pytest.approx(1 - 6 * (0 + 4 + 0 + 4) / (4 * 15))
    verdict = Verdict(
        ["a", "b", "c", "d"],
        [False] * 4,
        np.array([0.5, 0.5]),
        np.array([[0.1, 0.4, 0.3, 0.2], [0.1, 0.2, 0.5, 0.2]]),
        0,
    )
    assert most_attended(verdict, 2) == {1, 2}  # head means 0.1, 0.3, 0.4, 0.2


def test_evaluate_reports_a_classifiers_accuracy_on_the_test_file(trained, tmp_path):
    with gzip.open(tmp_path / "test.tsv.gz", "wt", encoding="utf-8") as f:
        f.write("label\trating\ttext\n")
        for review in synthetic_reviews(30, 3):
            f.write(f"{review.label}\t{review.rating}\t{review.text}\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "attnviz",
            "evaluate",
            "--models",
            str(trained[0]),
            "--imdb-dir",
            str(tmp_path),
            "--csv",
            str(tmp_path / "e.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    row = next(line for line in run.stdout.splitlines() if "tiny-imdb" in line)
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[2] == "1.0000" and cells[5] == "30"  # every synthetic review right, all 30 read


def test_review_words_go_to_the_browser_as_text():
    """A review's words reach the page as JSON strings, and the element writes text only with fillText and
    textContent (never as markup), so ``<script>`` is drawn as the word it is."""
    from attnviz.presentation.drawing import HEATMAP_JS, Panel, payload
    from attnviz.presentation.plots import FigureStyle

    words = ["<script>", "&", "fine"]
    data = payload(
        [Panel("review", np.array([[0.5, 0.25, 0.25]]), words, ["review"], source_unknown=[False, False, True])],
        FigureStyle(),
        flow=True,
    )
    assert data["flow"] and data["panels"][0]["source"] == words and data["panels"][0]["source_unknown"][2]
    code = HEATMAP_JS.read_text(encoding="utf-8")
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "fillText(word" in code


@pytest.mark.parametrize("entry", CLASSIFIER_ZOO, ids=[e.name for e in CLASSIFIER_ZOO])
def test_the_shipped_classifiers_have_cards_with_full_test_accuracy(entry):
    """Both IMDB classifiers are in pretrained/, measured on all 25,000 test reviews, and tell a positive
    review from a negative one."""
    from attnviz.inference.checkpoint import PRETRAINED, read_config, read_history

    directory = PRETRAINED / entry.name
    classifier = Classifier.load(directory)
    config = read_config(directory)
    metrics, training = config["metrics"], config["training"]
    assert training["split"]["test_reviews"] == 25_000 and 0.5 < metrics["test_accuracy"] <= 1
    assert "Maas" in training["data_attribution"] and training["data"].startswith("../shared/data/imdb-acl")
    assert len(read_history(directory)) == training["epochs_run"] >= 1
    card = (directory / "README.md").read_text(encoding="utf-8")
    assert f"{metrics['test_accuracy']:.2%}" in card and "first 400 tokens" in card
    if entry.reread:  # the read length was chosen on validation, and the card's figures are measured with it
        read = training["read_length"]
        accuracy = {int(n): a for n, a in read["valid_accuracy_by_tokens"].items()}
        assert read["trained_tokens"] == 400 and classifier.model.config.max_tokens == read["chosen_tokens"]
        assert metrics["valid_accuracy"] == accuracy[read["chosen_tokens"]] == max(accuracy.values())
    verdicts = classifier.classify_many(
        ["A wonderful, moving film with brilliant acting.", "The worst movie I have ever seen: boring and stupid."]
    )
    assert verdicts[0, 1] > 0.5 > verdicts[1, 1]


def test_the_read_length_is_chosen_on_validation_and_the_test_is_measured_with_it(tmp_path):
    """A classifier trained on the first 5 tokens of 10-token reviews (the sentiment word is anywhere) reads the
    whole review better; the choice is made on validation, ties go to the longer length, and the card says so."""
    from attnviz.training.classify import choose_read_length

    train, test, out = synthetic_reviews(400, 1), synthetic_reviews(100, 2), tmp_path / "short"
    recipe = ClassifierRecipe(epochs=6, max_minutes=5, valid_reviews=40, batch_tokens=400, lr=1e-2, vocab_size=60)
    before = train_classifier(train, test, small_config(max_tokens=5), recipe, out)
    accuracy = choose_read_length(out, train, test, lengths=(5, 20, 30))
    assert accuracy[20] == accuracy[30] > accuracy[5]
    loaded = checkpoint.load(out)
    card = loaded.config
    assert loaded.model.config.max_tokens == 30  # the tie goes to the longer length
    assert card["training"]["read_length"] == {
        "trained_tokens": 5,
        "chosen_tokens": 30,
        "valid_accuracy_by_tokens": {"5": accuracy[5], "20": accuracy[20], "30": accuracy[30]},
    }
    assert card["metrics"]["valid_accuracy"] == accuracy[30]
    assert card["metrics"]["test_accuracy"] > before["metrics"]["test_accuracy"]
    assert card["metrics"]["test_truncated_share"] == 0 < before["metrics"]["test_truncated_share"]
    assert card["training"]["best_epoch"] == before["training"]["best_epoch"]
    assert "Training read the first 5 tokens" in (out / "README.md").read_text()
    with pytest.raises(ValueError, match="read lengths"):
        choose_read_length(out, train, test, lengths=(0,))
    from attnviz.cli import main

    assert main(["train-classifier", "--reread", "--out", str(tmp_path / "none")]) == 2


def test_word_vectors_start_the_embeddings_and_the_recipe_says_so(tmp_path):
    from attnviz.data.reviews import review_tokens
    from attnviz.data.tokenization import Vocab
    from attnviz.training.classify import classifier_flags, word_vectors

    reviews = synthetic_reviews(400, 1)
    token_lists = [review_tokens(r.text) for r in reviews]
    vocab = Vocab.build(token_lists, 60)
    matrix = word_vectors(token_lists, vocab, 16, epochs=5, seed=1, threads=1)
    assert matrix.shape == (len(vocab), 16) and matrix.dtype == torch.float32
    assert torch.all(matrix[0] == 0)  # the padding row
    known = matrix[4:]
    assert abs(float(known.std()) - 1.0) < 0.05  # word2vec's scale brought to nn.Embedding's N(0, 1)
    assert torch.equal(matrix, word_vectors(token_lists, vocab, 16, epochs=5, seed=1, threads=1))  # seeded
    recipe = ClassifierRecipe(
        epochs=1, max_minutes=0.001, valid_reviews=40, batch_tokens=400, vocab_size=60, word_vector_epochs=3
    )
    card = train_classifier(reviews, synthetic_reviews(100, 2), small_config(), recipe, tmp_path / "wv")
    assert card["training"]["recipe"]["word_vector_epochs"] == 3
    assert "--word-vector-epochs 3" in " ".join(classifier_flags(small_config(), recipe))
