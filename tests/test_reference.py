"""The eflomal reference aligner on a tiny corpus whose alignment is obvious."""

import itertools

import pytest

from attnviz.inference.reference import ReferenceAligner, train_priors

DETERMINERS = [("the", "le"), ("a", "un")]
NOUNS = [("cat", "chat"), ("dog", "chien"), ("bird", "oiseau"), ("horse", "cheval")]
VERBS = [("sleeps", "dort"), ("eats", "mange"), ("runs", "court")]


def corpus():
    src, tgt = [], []
    for (de, df), (ne, nf), (ve, vf) in itertools.product(DETERMINERS, NOUNS, VERBS):
        src.append([de, ne, ve])
        tgt.append([df, nf, vf])
    return src * 10, tgt * 10


@pytest.fixture(scope="module")
def priors(tmp_path_factory):
    path = tmp_path_factory.mktemp("eflomal") / "tiny.priors.gz"
    src, tgt = corpus()
    stats = train_priors(src, tgt, path)
    assert stats["pairs"] == 240 and stats["lexical_priors"] > 0 and path.stat().st_size == stats["bytes"]
    return path


def test_aligns_new_pair_with_priors(priors):
    aligner = ReferenceAligner(priors)
    links = aligner.align(["the", "horse", "eats"], ["le", "cheval", "mange"])
    assert links == {(0, 0), (1, 1), (2, 2)}


def test_align_many_keeps_order_and_empty_pairs(priors):
    aligner = ReferenceAligner(priors)
    result = aligner.align_many(
        [["a", "dog", "runs"], [], ["the", "cat"]], [["un", "chien", "court"], ["x"], ["le", "chat"]]
    )
    assert len(result) == 3
    assert result[1] == set()
    assert result[0] == {(0, 0), (1, 1), (2, 2)}


def test_missing_priors_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="attnviz reference"):
        ReferenceAligner(tmp_path / "none.priors.gz")


def test_rejects_mismatched_corpus(tmp_path):
    with pytest.raises(ValueError):
        train_priors([["a"]], [], tmp_path / "x.gz")
