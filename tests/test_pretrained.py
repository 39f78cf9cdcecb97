"""The shipped model zoo: every model loads, matches its config, is small, and translates simple sentences."""

import json
from dataclasses import asdict

import pytest

from attnviz.data.tatoeba import PAIRS, repo_relative
from attnviz.families import FAMILIES, LANGUAGES
from attnviz.inference import checkpoint
from attnviz.inference.catalog import discover
from attnviz.inference.checkpoint import PRETRAINED, priors_path
from attnviz.inference.translator import Translator
from attnviz.measurement.evaluation import DECODINGS
from attnviz.training.recipes import ZOO, TrainConfig, family_flags


def test_the_whole_zoo_is_shipped():
    assert [r.name for r in ZOO if checkpoint.missing_files(PRETRAINED / r.name)] == []


def test_discovery_finds_the_zoo_with_its_contract():
    entries = {e.name: e for e in discover()}
    for recipe in ZOO:
        entry = entries[recipe.name]
        assert entry.problem is None and entry.info == recipe.info
        source, target = recipe.info.source_language, recipe.info.target_language
        assert entry.group == f"translation · {LANGUAGES[source]} → {LANGUAGES[target]}"
        # data paths are stored relative to the repository, never as this machine's absolute path
        assert entry.config["training"]["data"] == repo_relative(PAIRS[recipe.info.pair_name].data)
        assert not entry.config["training"]["data"].startswith("/")
        assert entry.retrain_command.startswith("python -m attnviz train " + " ".join(family_flags(recipe)))


# held-in everyday sentences of each language pair with the word every decent model must produce
SIMPLE = {
    "en-fr": [("i am cold .", "froid"), ("he is my brother .", "frère"), ("where is the station ?", "gare")],
    "zh-en": [("我很累。", "tired"), ("我爱你。", "love"), ("他是我的哥哥。", "brother")],
}


@pytest.fixture(scope="module", params=ZOO, ids=[r.name for r in ZOO])
def shipped(request):
    recipe = request.param
    return recipe.name, recipe, Translator.load(PRETRAINED / recipe.name)


def test_config_matches_weights_and_zoo(shipped):
    name, recipe, translator = shipped
    config = checkpoint.read_config(PRETRAINED / name)
    assert translator.info == recipe.info
    # loading already checked every tensor's shape against config.json
    # the recipe's fields, as the family reads them back off the loaded config (its train flags' values)
    read_back = FAMILIES.get(recipe.family).fields_of(translator.model.config)
    assert {key: read_back[key] for key in recipe.fields} == recipe.fields
    if recipe.family == "rnn":
        assert (config["embedding_size"], config["encoder_size"], config["decoder_size"]) == (256, 128, 256)
    # the card's recipe is the last stage's: the recipe's changes, then each stage's, continuing in place
    final = asdict(recipe.train_configs(TrainConfig(), f"pretrained/{name}")[-1])
    changed = {
        *recipe.train,
        *(key for stage in recipe.stages for key in stage),
        *(["init_from"] if recipe.stages else []),
    }
    assert {key: config["training"]["recipe"][key] for key in changed} == {key: final[key] for key in changed}
    if recipe.stages:
        assert config["training"]["started_from"]["name"] == name
    assert (PRETRAINED / name / checkpoint.WEIGHTS_FILE).stat().st_size <= 25e6


def test_card_and_history(shipped):
    name, _, translator = shipped
    config = checkpoint.read_config(PRETRAINED / name)
    assert "CC BY 2.0 FR" in config["training"]["licence"] and "Tatoeba" in config["training"]["data_attribution"]
    for key in ("test_bleu_greedy", "test_bleu_beam5", "test_bleu_by_length"):
        assert key in config["metrics"]
    by_length = config["metrics"]["test_bleu_by_length"]
    assert by_length["all"]["bleu"] == pytest.approx(config["metrics"]["test_bleu_greedy"], abs=1e-3)
    assert sum(v["sentences"] for k, v in by_length.items() if k != "all") == by_length["all"]["sentences"]
    card = (PRETRAINED / name / "README.md").read_text(encoding="utf-8")
    assert "Tatoeba" in card and f"{config['metrics']['test_bleu_greedy']:.2f}" in card
    history = json.loads((PRETRAINED / name / "history.json").read_text())
    assert len(history) == config["training"]["epochs_run"]
    demo = history[-1]["demo"]
    if not translator.info.maps:  # the baseline without attention says so, and has no alignment figures
        assert "No attention" in card and "dev_aer" not in config["metrics"] and demo["attention"] == []
        return
    assert len(demo["attention"]) == len(demo["target_tokens"])
    assert all(len(row) == len(demo["source_tokens"]) for row in demo["attention"])
    if translator.info.pair_name != "en-fr":  # the gold alignments are English–French only
        assert "dev_aer" not in config["metrics"]
        return
    assert "dev_aer" in config["metrics"] and "dev_zeros" in config["metrics"]
    grid = config["metrics"]["decoding_grid"]
    assert set(grid) == set(DECODINGS)
    assert f"soft (softmax): {grid['soft']['bleu']:.1f} · {grid['soft']['aer']:.3f}" in card
    trained = translator.model.decoding_normalizer
    if trained in grid:  # decoded as trained, the grid repeats the headline figure
        assert grid[trained]["bleu"] == pytest.approx(config["metrics"]["test_bleu_greedy"], abs=1e-3)


@pytest.mark.parametrize("index", range(3))
def test_translates_simple_sentences(shipped, index):
    *_, translator = shipped
    sentence, word = SIMPLE[translator.info.pair_name][index]
    assert word in translator.translate(sentence).text


def test_eflomal_priors_of_every_language_pair_are_shipped_and_small():
    for info in {recipe.info for recipe in ZOO}:
        priors = priors_path(info.pair_name, info.segmentation)
        assert priors.is_file() and priors.stat().st_size < 5e6, priors


@pytest.mark.parametrize("sentence", ["欢迎来北京", "欢迎来北京。"])
@pytest.mark.parametrize("name", [r.name for r in ZOO if r.info.source_language == "zh"])
def test_the_seed_notes_example_is_welcome_to_beijing_looking_at_beijing(name, sentence):
    """Every Chinese → English model translates the seed notes' 欢迎来北京, bare and with its 。, as "welcome to
    beijing", writing Beijing while its alignment attention looks at 北京 (or one of its characters)."""
    result = Translator.load(PRETRAINED / name).translate(sentence)
    assert result.text.lower().startswith("welcome to beijing"), result.text
    row = result.target_tokens.index("beijing")
    attended = result.source_tokens[int(result.attention[row].argmax())]
    assert attended in ("北京", "北", "京"), attended


def test_the_lesson_model_is_shipped():
    """``LanguagePair.lesson_model`` is what the Context vectors view opens with for Chinese."""
    lesson = PAIRS["zh-en"].lesson_model
    assert lesson in [r.name for r in ZOO] and not checkpoint.missing_files(PRETRAINED / lesson)


def test_a_lexicon_pointer_writes_names_it_saw_only_in_the_dictionary():
    """Names absent from every Tatoeba sentence, in one template: the lexicon-pointer model writes most of
    them (docs/models.md: 90 / 100 / 99 % of 200 in three templates, 99 % in this one), copying through attention."""
    from attnviz.data.dictionary import unseen_names
    from attnviz.data.tatoeba import PAIRS

    translator = Translator.load(PRETRAINED / "zh-en-additive-characters-lexicon")
    names = unseen_names(PAIRS["zh-en"].data, 40, seed=1)
    written = copied = 0
    for chinese, english in names:
        result = translator.translate(f"他住在{chinese}。")
        if english.lower() in result.target_tokens:
            written += 1
            copied += float(result.copied[result.target_tokens.index(english.lower())]) > 0.5
    assert written >= 24, f"{written} of {len(names)} names written"  # 60 %
    assert copied >= 0.9 * written  # and nearly all through the copy path


def test_the_alignment_head_read_both_ways_scores_its_card_aer_on_the_gold():
    """The shipped model guided in both directions reads its links as the intersection of row and column argmax;
    recomputed on the 37 Hansards pairs its AER is the card's, and below its own argmax reading's."""
    from attnviz.measurement.evaluation import DEFAULT_GOLD, dev_alignment, load_gold

    translator = Translator.load(PRETRAINED / "en-fr-additive-alignment-both-ways")
    metrics = translator.card["metrics"]
    assert (
        translator.link_reading
        == "intersection"
        == min(metrics["dev_aer_by_links"], key=metrics["dev_aer_by_links"].get)
    )
    gold = load_gold(DEFAULT_GOLD)
    assert dev_alignment(translator, gold)["aer"] == pytest.approx(metrics["dev_aer"], abs=1e-3)
    translator.card["alignment_links"] = "argmax"
    assert dev_alignment(translator, gold)["aer"] > metrics["dev_aer"] + 0.03


def test_the_aligned_transformer_scores_its_card_aer_with_its_guided_head():
    """The Transformer trained to align (Garg et al. 2019) shows its guided head (layer 1, head 1, read with the
    whole translation); recomputed on the 37 Hansards pairs its AER is the card's, far below its unguided twin's."""
    from attnviz.measurement.evaluation import DEFAULT_GOLD, dev_alignment, load_gold

    translator = Translator.load(PRETRAINED / "en-fr-transformer-aligned")
    metrics, twin = translator.metrics, Translator.load(PRETRAINED / "en-fr-transformer").metrics
    assert translator.card["alignment_head"] == {"layer": 0, "head": 0}
    assert translator.card["training"]["supervision"]["supervised_map"] == [0, 0]
    assert dev_alignment(translator, load_gold(DEFAULT_GOLD))["aer"] == pytest.approx(metrics.dev_aer, abs=1e-3)
    assert metrics.dev_aer < twin.dev_aer - 0.2


def test_evaluate_checks_a_card_against_what_it_measures(tmp_path, capsys):
    """`evaluate --check-cards` re-measures test BLEU and dev AER and compares them with the card (4 decimals);
    a card whose figure was changed is caught. A Chinese model gets no AER on the English–French gold."""
    import shutil

    from attnviz.cli import main

    assert (
        main(["evaluate", "--models", str(PRETRAINED / "en-fr-dot"), "--check-cards", "--csv", str(tmp_path / "e.csv")])
        == 0
    )
    assert "card figures reproduced: 1 of 1 models" in capsys.readouterr().out
    edited = tmp_path / "en-fr-dot"
    shutil.copytree(PRETRAINED / "en-fr-dot", edited)
    card = json.loads((edited / "config.json").read_text(encoding="utf-8"))
    card["metrics"]["test_bleu_greedy"] += 0.01
    (edited / "config.json").write_text(json.dumps(card), encoding="utf-8")
    zh = PRETRAINED / "zh-en-additive-bahdanau"
    assert main(["evaluate", "--models", str(edited), str(zh), "--check-cards", "--csv", str(tmp_path / "e.csv")]) == 1
    out = capsys.readouterr().out
    assert "differs: en-fr-dot: test_bleu_greedy measured" in out and "card figures reproduced: 1 of 2 models" in out
    zh_row = next(line for line in out.splitlines() if line.startswith("| zh-en-additive-bahdanau"))
    assert zh_row.split("|")[5].strip() == "–"  # no AER
