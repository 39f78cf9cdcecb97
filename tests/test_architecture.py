"""The architecture's promises: registries are the one source of truth, families keep the contract, the UI is thin."""

import ast
import re

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import NORMALIZERS, Normalizer, NormalizerKind
from attnviz.attention.registry import Registry, RegistryError
from attnviz.attention.scorers import SCORERS, Breakdown, Scorer
from attnviz.cli import build_parser
from attnviz.families import FAMILIES, ModelInfo, TranslationModel, build
from attnviz.families.rnn import RNNConfig, RNNSeq2Seq
from attnviz.inference import checkpoint, decoding
from attnviz.inference.translator import Translator
from attnviz.ui.navigation import VIEWS_DIR, read_view, view_pages

from .conftest import EN_FR, ROOT, tiny_bottleneck, tiny_model, tiny_transformer

PACKAGE = ROOT / "attnviz"


def cli_choices(command: str, option: str) -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return list(next(a for a in sub._actions if option in a.option_strings).choices)


class CosineScorer(Scorer):
    """e_j = qᵀh_j / (|q| |h_j|): a throw-away scorer registered by a test."""

    name = "cosine"
    display_name = "cosine (test)"
    formula = r"e_{ij} = \frac{q_i^\top h_j}{\lVert q_i \rVert \lVert h_j \rVert}"
    source = "a test"
    equal_sizes = True

    def score(self, query, prepared):
        return torch.nn.functional.cosine_similarity(prepared, query.unsqueeze(1), dim=-1)

    def breakdown(self, query, key):
        q, h = np.asarray(query, dtype=np.float64), np.asarray(key, dtype=np.float64)
        energy = float(q @ h / (np.linalg.norm(q) * np.linalg.norm(h)))
        return Breakdown({"q_i · h_j": q * h}, energy, rf"e_{{ij}} = {energy:.3f}")


@pytest.fixture
def cosine():
    SCORERS.register(CosineScorer)
    yield CosineScorer
    SCORERS.unregister(CosineScorer.name)


def test_a_new_scorer_is_one_class(cosine):
    assert "cosine" in cli_choices("train", "--scorer")
    model, src_vocab, tgt_vocab = tiny_model("cosine")
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    assert translator.describe().startswith("cosine (test) ·")  # the app's model label
    result = translator.translate("i am cold .")
    np.testing.assert_allclose(result.attention.sum(1), 1.0, rtol=1e-5)
    # its energies are the cosines the formula says, recomputed in float64
    trace = model.trace(result.source_ids, result.target_ids, 0, Normalizer())
    expected = [model.scorer.breakdown(trace.query, k).energy for k in trace.keys]
    np.testing.assert_allclose(trace.energies, expected, atol=1e-5)


def test_a_new_normalizer_is_one_entry():
    kind = NormalizerKind(
        "uniform",
        "uniform (test)",
        r"\alpha_{ij} = 1/S",
        "a test",
        False,
        (),
        lambda e, m, n: m.float() / m.float().sum(-1, keepdim=True),
    )
    NORMALIZERS.register(kind)
    try:
        assert "uniform" in cli_choices("translate", "--mode")
        model, *_ = tiny_model()
        hyp = decoding.greedy(model, [4, 5, 6, 3], Normalizer("uniform"))
        torch.testing.assert_close(hyp.attention, torch.full_like(hyp.attention, 0.25))
    finally:
        NORMALIZERS.unregister("uniform")


def test_incomplete_entries_fail_at_registration_naming_the_piece():
    class NoFormula(Scorer):
        name, display_name, source = "broken", "broken", "nowhere"

        def score(self, query, prepared):
            return prepared.sum(-1)

        def breakdown(self, query, key):
            raise NotImplementedError

    with pytest.raises(RegistryError, match="lacks 'formula'"):
        SCORERS.register(NoFormula)

    class NoBreakdown(Scorer):
        name, display_name, formula, source = "broken", "broken", "e", "nowhere"

        def score(self, query, prepared):
            return prepared.sum(-1)

    with pytest.raises(RegistryError, match=r"does not define breakdown\(\)"):
        SCORERS.register(NoBreakdown)

    class NoStep(TranslationModel):
        family, display_name, config_class = "broken", "broken", RNNConfig

        def describe(self):
            return "broken"

    with pytest.raises(RegistryError, match=r"does not define encode\(\)"):
        FAMILIES.register(NoStep)
    with pytest.raises(RegistryError, match="already registered"):
        SCORERS.register(SCORERS.get("dot"))
    assert "broken" not in SCORERS and "broken" not in FAMILIES


def test_unknown_names_list_the_registered_ones():
    with pytest.raises(ValueError, match=", ".join(SCORERS.names())):
        SCORERS.get("nope")
    registry = Registry("thing")
    with pytest.raises(ValueError, match="unknown thing 'x'"):
        registry.get("x")


def python_sources():
    return [*PACKAGE.rglob("*.py"), *(ROOT / "scripts").glob("*.py"), ROOT / "streamlit_app.py"]


def string_literals(path) -> list[str]:
    """Every string constant the code uses, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


@pytest.mark.parametrize("name", SCORERS.names())
def test_a_scorer_name_is_written_in_at_most_two_source_files(name):
    # its registry entry and the recipe that trains it; everything else reads SCORERS
    files = [
        p.relative_to(ROOT)
        for p in python_sources()
        if any(re.search(rf"(?<![\w-]){name}(?![\w-])", s) for s in string_literals(p))
    ]
    assert len(files) <= 2, files


def test_the_ui_does_not_import_training_code():
    for path in (PACKAGE / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any("training" in n or n.endswith(".train") for n in names), (path, names)


def test_every_view_is_its_own_file_with_icon_order_and_a_title_in_the_catalogues():
    pages = view_pages()
    assert [p.path.name for p in pages] and len({p.path for p in pages}) == len(pages)
    assert len({p.title for p in pages}) == len(pages) and len({p.url_path for p in pages}) == len(pages)
    assert sorted(p.path for p in pages) == sorted(VIEWS_DIR.glob("*.py"))


def test_a_view_without_its_literals_is_refused(tmp_path):
    path = tmp_path / "nameless.py"
    path.write_text('ICON = ":material/help:"\nimport streamlit\n')
    with pytest.raises(RegistryError, match="nameless.py lacks ORDER, SECTION"):
        read_view(path)
    path.write_text('ICON = ":material/help:"\nORDER = 99\nSECTION = "elsewhere"\n')
    with pytest.raises(RegistryError, match="SECTION 'elsewhere' is not one of lesson, comparing, inside, beyond"):
        read_view(path)
    path.write_text('ICON = ":material/help:"\nORDER = 99\nSECTION = "inside"\n')
    with pytest.raises(RegistryError, match="nameless.py has no title: add views.nameless to the message catalogues"):
        read_view(path)


TINY = {
    "rnn": tiny_model,
    "transformer": tiny_transformer,
    "bottleneck": tiny_bottleneck,
}  # a new family adds its tiny model here


# the families attnviz trains and saves; a Hugging Face model keeps the same contract (tests/test_huggingface.py)
@pytest.mark.parametrize("family", [f.family for f in FAMILIES if f.task == "translation" and f.trainable])
def test_families_report_attention_as_layers_heads_target_source(family, tmp_path):
    model, src_vocab, tgt_vocab = TINY[family]()
    layers, heads = model.attention_shape()
    info = ModelInfo.of(model, "en", "fr")
    checkpoint.save(tmp_path / family, model, info, src_vocab, tgt_vocab)
    config = checkpoint.read_config(tmp_path / family)
    rebuilt, read_info = build(config)
    assert isinstance(rebuilt, FAMILIES.get(family)) and read_info == info
    loaded = checkpoint.load(tmp_path / family).model
    assert (layers, heads) == loaded.attention_shape()
    assert_decoding_contract(loaded, [4, 5, 6, 3], atol=1e-6, rtol=1e-5)


def assert_decoding_contract(model, src: list[int], atol: float, rtol: float) -> None:
    """Greedy attention is (layers, heads, T, S) with rows summing to 1, a beam of 1 records the same, and forced
    decoding of the greedy output reads it again (to ``atol``/``rtol``): what every translation family keeps."""
    layers, heads = model.attention_shape()
    hyp = decoding.greedy(model, src)
    assert hyp.attention.shape == (layers, heads, len(hyp.ids), len(src))
    torch.testing.assert_close(hyp.attention.sum(-1), torch.ones(layers, heads, len(hyp.ids)))
    (beam,) = decoding.beam_search(model, src, 1)
    torch.testing.assert_close(beam.attention, hyp.attention)
    forced = decoding.forced(model, src, hyp.ids.tolist()[:-1]) if hyp.ids[-1] == 3 else hyp
    torch.testing.assert_close(forced.attention, hyp.attention, atol=atol, rtol=rtol)


def test_attention_is_the_softmax_of_the_energies_in_float64():
    model, *_ = tiny_model("general", seed=3)
    hyp = decoding.greedy(model, [4, 5, 6, 7, 3])
    energies = hyp.energies.double()
    expected = torch.exp(energies - energies.amax(-1, keepdim=True))
    expected /= expected.sum(-1, keepdim=True)
    torch.testing.assert_close(hyp.attention.double(), expected, atol=1e-6, rtol=1e-5)


def test_json_has_family_and_full_heads():
    model, src_vocab, tgt_vocab = tiny_model()
    result = Translator(model, src_vocab, tgt_vocab, info=EN_FR).translate("i am cold .")
    data = result.to_json()
    assert data["family"] == "rnn"
    assert np.array(data["heads"]).shape == (1, 1, len(result.target_tokens), len(result.source_tokens))
    np.testing.assert_allclose(np.array(data["heads"])[0, 0], data["attention"], atol=1e-6)


def test_contract_fields_are_checked():
    good = {**EN_FR.to_dict(), **RNNConfig(10, 10).to_dict()}
    assert ModelInfo.from_config(good) == EN_FR
    for change, field in [
        ({"task": "parsing"}, "task"),
        ({"family": "lstm"}, "lstm"),
        ({"source_language": "xx"}, "source_language"),
        ({"target_language": None}, "target_language"),
        ({"attention": {"layers": 0}}, "attention.layers"),
    ]:
        with pytest.raises(ValueError, match=field):
            ModelInfo.from_config({**good, **change})
    with pytest.raises(ValueError, match="'encoder_size' must be an integer"):
        build({**good, "encoder_size": "128"})
    with pytest.raises(ValueError, match="'decoder_size' must be in 1..4096"):
        build({**good, "decoder_size": 10**9})
    assert isinstance(build(good)[0], RNNSeq2Seq)
