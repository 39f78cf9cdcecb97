"""A Hugging Face encoder–decoder from a local folder: a tiny randomly initialised MarianMT with a real
SentencePiece tokenizer, built and saved with ``save_pretrained`` in the test, then discovered, loaded,
decoded, aligned and shown by the app — with the loading code users' folders go through."""

import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from attnviz.families.huggingface import (
    ID_OFFSET,
    UNKNOWN_LANGUAGE,
    HuggingFaceError,
    language_pair,
    read_pickled_weights,
)
from attnviz.inference.catalog import discover_all, user_folders
from attnviz.inference.checkpoint import CheckpointError
from attnviz.inference.huggingface import HuggingFaceTranslator, grouping, merge_attention, word_starts
from attnviz.inference.translator import InputError, Translator

from .conftest import ROOT, open_app
from .test_app import chart_weights, charts

ENGLISH = [
    "the cat sleeps on the mat",
    "i am tired",
    "welcome to beijing",
    "the agreement was signed in august",
    "i love you",
    "she sees her brother",
    "we are not here",
    "you are cold",
]
FRENCH = [
    "le chat dort sur le tapis",
    "je suis fatigué",
    "bienvenue à pékin",
    "l'accord a été signé en août",
    "je t'aime",
    "elle voit son frère",
    "nous ne sommes pas ici",
    "vous avez froid",
]


def make_marian(folder: Path, seed: int = 0) -> Path:
    """A 2+2-layer, 2-head MarianMT (d 16, random weights) with SentencePiece models trained on a few sentences,
    written with ``save_pretrained`` as a user's folder would be."""
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    for side, sentences in (("source", ENGLISH), ("target", FRENCH)):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences * 10),
            model_writer=model,
            vocab_size=60,
            model_type="unigram",
            character_coverage=1.0,
            minloglevel=2,
            hard_vocab_limit=False,
        )
        (folder / f"{side}.spm").write_bytes(model.getvalue())
    vocab = {"</s>": 0, "<unk>": 1}
    for side in ("source", "target"):
        processor = spm.SentencePieceProcessor(model_file=str(folder / f"{side}.spm"))
        for k in range(processor.get_piece_size()):
            vocab.setdefault(processor.id_to_piece(k), len(vocab))
    vocab.pop("<s>", None)
    vocab = {piece: k for k, piece in enumerate(vocab)}
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(folder / "source.spm"),
        str(folder / "target.spm"),
        str(folder / "vocab.json"),
        source_lang="en",
        target_lang="fr",
    )
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=16,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=256,
        pad_token_id=vocab["<pad>"],
        eos_token_id=0,
        decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=0,
    )
    torch.manual_seed(seed)
    MarianMTModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def marian(tmp_path_factory) -> Path:
    return make_marian(tmp_path_factory.mktemp("models") / "opus-mt-en-fr-tiny")


@pytest.fixture(scope="module")
def translator(marian) -> HuggingFaceTranslator:
    return Translator.load(marian)


def test_pieces_merge_to_words_by_the_sum_over_keys_and_the_mean_over_queries():
    # Clark et al. (2019): attention to a word sums its pieces, attention from a word averages them
    pieces = ["▁bien", "venue", "▁à", "</s>"]
    starts = word_starts(pieces, {"</s>"})
    assert starts == [True, False, True, True]
    words = grouping(starts)
    assert words.tolist() == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    weights = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.125, 0.125], [0.0, 0.0, 1.0, 0.0], [0.25] * 4])
    merged = merge_attention(weights, words, words)
    expected = np.array([[(0.3 + 0.75) / 2, (0.3 + 0.125) / 2, (0.4 + 0.125) / 2], [0.0, 1.0, 0.0], [0.5, 0.25, 0.25]])
    np.testing.assert_allclose(merged, expected, atol=1e-12)
    np.testing.assert_allclose(merged.sum(1), 1.0)
    causal = np.where(np.tril(np.ones((4, 4))) > 0, weights, np.nan)
    assert np.isnan(merge_attention(causal, words, words)[0, 2])  # every merged cell masked stays masked


def test_a_folder_is_found_through_attnviz_models_with_its_languages(marian, tmp_path):
    assert user_folders(f"{marian}:{tmp_path / 'absent'}") == [marian, tmp_path / "absent"]
    entries = {e.name: e for e in discover_all(tmp_path / "empty", [marian.parent, tmp_path / "absent"])}
    entry = entries[marian.name]
    assert entry.problem is None and entry.info.family == "huggingface"
    assert (entry.info.pair_name, entry.group) == ("en-fr", "translation · English → French")
    assert "not a folder" in entries["absent"].problem


def test_languages_come_from_the_sidecar_then_the_tokenizer_then_the_folder_name(tmp_path):
    folder = tmp_path / "opus-mt-de-en"
    folder.mkdir()
    assert language_pair(folder, {}) == ("de", "en")
    (folder / "tokenizer_config.json").write_text(json.dumps({"source_lang": "ja", "target_lang": "ko"}))
    assert language_pair(folder, {}) == ("ja", "ko")
    (folder / "attnviz.json").write_text(json.dumps({"source_language": "zh", "target_language": "en"}))
    assert language_pair(folder, {}) == ("zh", "en")
    (folder / "attnviz.json").write_text(json.dumps({"source_language": "<b>", "target_language": "en"}))
    with pytest.raises(HuggingFaceError, match="ISO codes"):
        language_pair(folder, {})
    anonymous = tmp_path / "my-model"
    anonymous.mkdir()
    assert language_pair(anonymous, {}) == (UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE)


def mystery_copy(marian: Path, folder: Path) -> Path:
    """A copy of the tiny Marian whose tokenizer does not name its languages, in a folder whose name does not."""
    folder.mkdir()
    for path in marian.iterdir():
        if path.name != "tokenizer_config.json":
            (folder / path.name).write_bytes(path.read_bytes())
    config = json.loads((marian / "tokenizer_config.json").read_text())
    config.pop("source_lang", None), config.pop("target_lang", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def test_a_model_whose_languages_no_file_names_still_loads_and_translates(marian, tmp_path):
    folder = mystery_copy(marian, tmp_path / "mystery")
    entry = next(e for e in discover_all(tmp_path / "none", [folder]) if e.name == "mystery")
    assert entry.problem is None and entry.group == "translation · languages unknown"
    assert Translator.load(folder).translate("i am tired").target_tokens


def test_greedy_decoding_writes_what_the_models_own_generate_writes(translator):
    from transformers import GenerationConfig

    source = translator.source("the cat sleeps on the mat")
    result = translator.translate("the cat sleeps on the mat")
    hf = translator.model.hf
    ids = torch.tensor([translator.model.to_model_ids(torch.tensor(source.ids)).tolist()])
    length = len(result.pieces.target_ids)  # one more: generate forces its end token at its last step
    generated = hf.generate(
        ids,
        generation_config=GenerationConfig(
            max_new_tokens=length + 1,
            min_new_tokens=0,
            num_beams=1,
            do_sample=False,
            decoder_start_token_id=hf.config.decoder_start_token_id,
            eos_token_id=hf.config.eos_token_id,
            pad_token_id=hf.config.pad_token_id,
            bad_words_ids=[[hf.config.pad_token_id]],
        ),
    )[0, 1:].tolist()
    ours = translator.model.to_model_ids(torch.tensor(result.pieces.target_ids)).tolist()
    assert ours == generated[: len(ours)]


def test_the_family_keeps_the_decoding_contract(translator):
    from .test_architecture import assert_decoding_contract

    assert_decoding_contract(translator.model, translator.source("i am tired").ids, atol=1e-5, rtol=1e-4)


def test_forced_attention_is_the_models_own_cross_attention_merged_to_words(translator):
    result = translator.force("welcome to beijing", "bienvenue à pékin")
    assert result.source_tokens == ["welcome", "to", "beijing", "</s>"]
    assert result.target_tokens == ["bienvenue", "à", "pékin", "</s>"]
    pieces = result.pieces
    hf = translator.model.hf
    src = translator.model.to_model_ids(torch.tensor([pieces.source_ids]))
    decoder_inputs = translator.model.to_model_ids(torch.tensor([[2, *pieces.target_ids[:-1]]]))
    with torch.no_grad():
        reference = hf(input_ids=src, decoder_input_ids=decoder_inputs, output_attentions=True).cross_attentions
    expected = torch.stack(reference, 1)[0].double().numpy()  # (L, H, T, S) over pieces
    np.testing.assert_allclose(pieces.heads, expected, atol=1e-5)
    assert result.heads.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(result.heads.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(result.attention, result.heads[-1].mean(0), atol=1e-12)  # the card's default: last layer
    maps = translator.self_attention(result.source_ids, result.target_ids)
    assert maps["encoder_self"].shape == (2, 2, 4, 4) and maps["decoder_self"].shape == (2, 2, 4, 4)


def test_norm_based_attention_reads_the_models_own_values_and_merges_to_words(translator):
    """f^h(x_j) through encoder_attn's v_proj and out_proj: Σ_h Σ_j α^h_ij f^h(x_j) + b_O is the block's output, and
    the norm-based map of the card's attention (the last layer's heads) is merged to words like attention."""
    from attnviz.inference.attribution import norm_based

    result = translator.force("welcome to beijing", "bienvenue à pékin")
    pieces, model = result.pieces, translator.model
    vectors = model.value_vectors(pieces.source_ids)  # (L, H, S, d) over pieces
    block = model.attention_block("cross", 1)
    with torch.no_grad():
        memory = model.encode(torch.tensor([pieces.source_ids]), torch.tensor([len(pieces.source_ids)])).memory
        x = torch.randn(1, 2, memory.size(-1))
        output, weights = block(x, key_value_states=memory, output_attentions=True)[:2]
    rebuilt = np.einsum("hts,hsd->td", weights[0].numpy(), vectors[1]) + block.out_proj.bias.detach().numpy()
    np.testing.assert_allclose(rebuilt, output[0].numpy(), atol=1e-4)
    found = translator.attribution(result)
    assert found.methods[0] == "norm_based" and found.norm_based.shape == result.attention.shape
    expected = norm_based(pieces.heads, vectors, 1, None)  # the card's default: the last layer's heads
    words = translator.words([translator.source_piece(i) for i in pieces.source_ids])[1]
    targets = translator.words([translator.source_piece(i) for i in pieces.target_ids])[1]
    np.testing.assert_allclose(
        found.norm_based, targets @ expected @ words.T / targets.sum(1, keepdims=True), atol=1e-5
    )


def test_one_step_of_one_head_is_read_through_hooks_and_agrees_with_the_records(translator):
    result = translator.translate("the cat sleeps").pieces
    step, head = min(2, len(result.target_ids) - 1), (1, 1)
    trace = translator.trace(result, step, head)
    d_k = translator.model.config.d_model // translator.model.config.heads
    np.testing.assert_allclose(trace.energies, trace.keys @ trace.query / np.sqrt(d_k), rtol=1e-5)
    softmax = np.exp(trace.energies - trace.energies.max())
    np.testing.assert_allclose(trace.weights, softmax / softmax.sum(), atol=1e-6)
    np.testing.assert_allclose(trace.weights, result.heads[head[0], head[1], step], atol=1e-5)
    assert translator.scorer.breakdown(trace.query, trace.keys[0]).energy == pytest.approx(
        float(trace.energies[0]), rel=1e-5
    )


def test_another_models_words_are_read_one_row_each(translator):
    words = ["le", "chat", "dort", "</s>"]
    result = translator.force_tokens("the cat sleeps", words)
    assert result.target_tokens == words and result.attention.shape == (4, 4)


def test_beam_search_and_switching_heads_off_run(translator):
    best = translator.translate("i love you", beam=3)
    assert best.alternatives and best.attention.shape[1] == 4
    quiet = translator.without_heads([("cross", 1, 0), ("encoder_self", 0, 1)])
    assert quiet.translate("i love you").source_tokens == best.source_tokens
    with pytest.raises(ValueError, match="head 3 outside"):
        translator.without_heads([("cross", 0, 2)])


def test_decoding_cannot_change_its_softmax_and_says_so(translator):
    from attnviz.attention.normalizers import Normalizer

    with pytest.raises(ValueError, match="own softmax"):
        translator.translate("i am tired", Normalizer("sparsemax"))
    with pytest.raises(ValueError, match="cannot be overridden"):
        translator.translate("i am tired", override={0: 1})
    with pytest.raises(InputError, match="empty"):
        translator.translate("   ")


class RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(marian, tmp_path):
    folder = tmp_path / "opus-mt-en-fr-hostile"
    folder.mkdir()
    for path in marian.iterdir():
        if path.name != "model.safetensors":
            (folder / path.name).write_bytes(path.read_bytes())
    marker = tmp_path / "ran"
    with open(folder / "pytorch_model.bin", "wb") as f:
        pickle.dump({"model.shared.weight": RunsCode(marker)}, f)
    with pytest.raises(HuggingFaceError, match="refused .*nothing in it was run"):
        read_pickled_weights(folder / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="refused"):
        Translator.load(folder)
    run = subprocess.run(
        [sys.executable, "-m", "attnviz", "convert-hf", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode != 0 and run.stderr.count("\n") == 1 and "refused" in run.stderr
    assert "Unsupported" in run.stderr  # says what the unpickler refused
    assert not marker.exists() and not (folder / "model.safetensors").exists()


def test_a_pickled_folder_loads_weights_only_and_converts_to_safetensors_once(marian, translator, tmp_path):
    from safetensors.torch import load_file

    folder = tmp_path / "opus-mt-en-fr-pickled"
    folder.mkdir()
    for path in marian.iterdir():
        if path.name != "model.safetensors":
            (folder / path.name).write_bytes(path.read_bytes())
    torch.save(load_file(marian / "model.safetensors"), folder / "pytorch_model.bin")
    expected = translator.translate("she sees her brother")
    assert Translator.load(folder).translate("she sees her brother").target_tokens == expected.target_tokens
    run = subprocess.run(
        [sys.executable, "-m", "attnviz", "convert-hf", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert (folder / "model.safetensors").is_file()
    assert Translator.load(folder).translate("she sees her brother").target_tokens == expected.target_tokens


def test_a_folder_that_names_its_own_code_is_refused(marian, tmp_path):
    folder = tmp_path / "opus-mt-en-fr-remote"
    folder.mkdir()
    for path in marian.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSeq2SeqLM": "modeling_evil.Evil"}
    (folder / "config.json").write_text(json.dumps(config))
    entry = next(e for e in discover_all(tmp_path / "none", [folder]))
    assert "never runs code" in entry.problem and "\n" not in entry.problem
    with pytest.raises(CheckpointError, match="trust_remote_code"):
        Translator.load(folder)


def test_the_cli_translates_aligns_and_evaluates_a_folder(marian, tmp_path):
    def attnviz(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "attnviz", *args], input=stdin, capture_output=True, text=True, cwd=ROOT
        )

    out = attnviz("translate", "--model", str(marian), "--json", stdin="welcome to beijing\n")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["family"] == "huggingface" and record["source_tokens"] == ["welcome", "to", "beijing", "</s>"]
    assert len(record["heads"]) == 2 and len(record["heads"][0]) == 2
    (tmp_path / "en").write_text("welcome to beijing\n")
    (tmp_path / "fr").write_text("bienvenue à pékin\n")
    aligned = attnviz("align", "--model", str(marian), "--src", str(tmp_path / "en"), "--tgt", str(tmp_path / "fr"))
    assert aligned.returncode == 0, aligned.stderr
    assert all(0 <= int(j) <= 2 and 0 <= int(i) <= 2 for j, i in (link.split("-") for link in aligned.stdout.split()))
    listed = subprocess.run(
        [sys.executable, "-m", "attnviz", "models"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ATTNVIZ_MODELS": str(marian)},
    )
    assert "opus-mt-en-fr-tiny" in listed.stdout and "huggingface" in listed.stdout


def test_the_piece_ids_are_the_models_shifted_with_its_specials_on_attnviz(translator):
    model = translator.model
    assert model.from_model_ids([model.specials[3], 7]) == [3, 7 + ID_OFFSET]
    logits = torch.randn(1, model.config.tgt_vocab_size - ID_OFFSET)
    scores = model.scores(logits)
    assert scores[0, 3] == logits[0, model.specials[3]] and torch.isinf(scores[0, model.specials[3] + ID_OFFSET])
    assert torch.isinf(scores[0, 0]) and torch.isinf(scores[0, 2])


@pytest.fixture
def app_with(marian, monkeypatch):
    """The app with the tiny Marian in ATTNVIZ_MODELS (the catalog is read again, and again after the test)."""
    from attnviz.ui import state

    monkeypatch.setenv("ATTNVIZ_MODELS", str(marian))
    state.catalog.clear()
    yield lambda **params: open_app(**params)
    state.catalog.clear()


VIEWS_THAT_DRAW = [
    "Compare",
    "Heads",
    "Difference",
    "Attention vs alignment",
    "Step by step",
    "Attention vs attribution",
]


def test_every_view_works_on_the_folder_or_says_why_in_one_line(app_with, marian):
    from attnviz.ui.navigation import view_pages

    pages = {v.title: str(v.path.relative_to(ROOT)) for v in view_pages()}
    at = app_with(m=f"{marian.name},en-fr-additive", s="the cat sleeps on the mat").run()
    assert marian.name in " ".join(str(m.value) for m in at.sidebar.multiselect)
    for title, path in pages.items():
        at.switch_page(path).run()
        text = "\n".join(str(m.value) for m in [*at.markdown, *at.caption, *at.info, *at.warning])
        assert not at.exception, title
        if title in VIEWS_THAT_DRAW:
            assert charts(at), title
        assert "Traceback" not in text, title


def test_heads_measures_which_head_of_the_folder_aligns_on_request(app_with, marian):
    at = app_with(m=marian.name, s="the cat sleeps on the mat").run()
    at.switch_page(str(Path("attnviz/ui/views/heads.py"))).run()
    before = len(charts(at))
    at.button(key="heads_measure").click().run()
    drawn = charts(at)
    assert len(drawn) == before + 2  # AER by head, plain and shifted: 2 layers × (2 heads + their mean)
    aer = chart_weights(drawn[-2])
    assert aer.shape == (2, 3) and ((0 <= aer) & (aer <= 1)).all()


def test_compare_shows_the_folders_words_and_on_request_its_pieces(app_with, marian):
    at = app_with(m=f"en-fr-additive,{marian.name}", s="welcome to beijing").run()
    words = chart_weights(charts(at)[1])
    assert words.shape[1] == 4  # welcome to beijing </s>
    at.toggle(key="compare_pieces").set_value(True).run()
    pieces = chart_weights(charts(at)[1])
    assert pieces.shape[1] > 4 and pieces.shape[0] >= words.shape[0]
    np.testing.assert_allclose(pieces.sum(1), 1.0, atol=1e-5)
    assert chart_weights(charts(at)[0]).shape[1] == 4  # the GRU reads words: unchanged
    assert at.query_params["pieces"] == ["1"] or at.query_params["pieces"] == "1"


def test_the_app_lists_a_model_of_unknown_languages_under_its_own_pair(marian, tmp_path, monkeypatch):
    from attnviz.ui import state

    folder = mystery_copy(marian, tmp_path / "mystery")
    monkeypatch.setenv("ATTNVIZ_MODELS", str(folder))
    state.catalog.clear()
    try:
        at = open_app(pair="und-und", s="i am tired").run()
        assert [chart.proto.id.endswith("-heat-mystery") for chart in charts(at)] == [True]
        pairs = next(r for r in at.sidebar.radio if r.key == "pair")
        assert pairs.options[-1] == "unknown language → unknown language" and pairs.value == "und-und"
    finally:
        state.catalog.clear()


def test_the_app_and_the_cli_start_without_transformers_or_captum(marian):
    probe = (
        "import sys, attnviz.cli, attnviz.ui.state, attnviz.ui.common\n"
        "from attnviz.inference.catalog import discover_all\n"
        "assert any(e.info and e.info.family == 'huggingface' for e in discover_all())\n"
        "print(sorted(m for m in ('transformers', 'captum', 'sentencepiece') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ATTNVIZ_MODELS": str(marian)},
    )
    assert run.returncode == 0, run.stderr[-500:]
    assert run.stdout.strip() == "[]"


def test_checking_cards_leaves_out_a_folder_without_a_card(translator):
    from attnviz.measurement.evaluation import ModelEvaluation, card_differences

    measured = ModelEvaluation(
        Path("opus-mt-en-fr-tiny"), translator, {"all": {"bleu": 1.0, "sentences": 1}}, {"aer": 0.9}, 1.0
    )
    assert card_differences([measured]) == {}


def test_wordpiece_and_word_level_tokenizers_come_out_as_their_words(tmp_path):
    """A tokenizer that marks continuations (WordPiece's ##) or nothing (a word-level vocabulary) is read by how it
    joins pieces: its sentence comes out as its words, not as one word for the whole sentence."""
    from transformers import BertTokenizerFast, PreTrainedTokenizerFast

    from attnviz.inference.huggingface import continuation_mark, piece_words

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "black", "cat", "sleep", "##ing", "."]
    wordpiece = BertTokenizerFast(vocab={w: k for k, w in enumerate(vocab)}, eos_token="[SEP]")
    pieces = wordpiece.convert_ids_to_tokens(wordpiece("the black cat sleeping.")["input_ids"])
    assert pieces == ["[CLS]", "the", "black", "cat", "sleep", "##ing", ".", "[SEP]"]
    assert continuation_mark(wordpiece) == "##"
    specials = set(wordpiece.all_special_tokens) - {wordpiece.unk_token}
    words, groups = piece_words(pieces, wordpiece, specials, "##")
    assert words == ["[CLS]", "the", "black", "cat", "sleeping", ".", "</s>"]
    assert groups.shape == (7, 8) and groups[4].tolist() == [0, 0, 0, 0, 1, 1, 0, 0]

    # a word-level tokenizer as a folder's tokenizer.json describes one: every word a piece, no marks
    special = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 0, "content": "<unk>", **special}, {"id": 1, "content": "</s>", **special}],
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "WordLevel",
            "vocab": {"<unk>": 0, "</s>": 1, "le": 2, "chat": 3, "dort": 4},
            "unk_token": "<unk>",
        },
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    word_level = PreTrainedTokenizerFast(
        tokenizer_file=str(tmp_path / "tokenizer.json"), unk_token="<unk>", eos_token="</s>"
    )
    pieces = [*word_level.convert_ids_to_tokens(word_level("le chat dort")["input_ids"]), "</s>"]
    assert continuation_mark(word_level) == ""
    words, _ = piece_words(pieces, word_level, {"</s>"}, "")
    assert words == ["le", "chat", "dort", "</s>"]


def test_a_sentencepiece_tokenizer_marks_first_pieces(translator):
    assert translator.continuation is None  # ▁ marks where a word begins; unmarked pieces continue it
    words, _ = translator.words(["▁bien", "venue", "▁à", "</s>"])
    assert words == ["bienvenue", "à", "</s>"]
