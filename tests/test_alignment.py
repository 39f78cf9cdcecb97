"""Alignment metrics and formats, on hand-made cases whose answers are known."""

import numpy as np
import pytest

from attnviz.attention.alignment import (
    Gold,
    alignment_error_rate,
    argmax_agreement,
    argmax_links,
    column_argmax_links,
    entropy,
    grow_diag_final_and,
    intersection_links,
    monotonicity,
    parse_pharaoh,
    read_links,
    read_wpt,
    symmetrized_links,
    threshold_links,
    to_pharaoh,
    word_entropy,
    write_wpt,
)

S2 = {(0, 0), (1, 1)}


def test_aer_perfect():
    scores = alignment_error_rate([S2], [Gold(S2, S2)])
    assert (scores.aer, scores.precision, scores.recall) == (0.0, 1.0, 1.0)


def test_aer_empty_prediction():
    scores = alignment_error_rate([set()], [Gold(S2, S2)])
    assert (scores.aer, scores.precision, scores.recall) == (1.0, 1.0, 0.0)


def test_aer_all_possible():
    # no sure links: predicting exactly the possible ones is error-free, recall is undefined (0)
    scores = alignment_error_rate([S2], [Gold(set(), S2)])
    assert scores.aer == 0.0 and scores.precision == 1.0 and scores.recall == 0.0


def test_aer_one_wrong_link():
    scores = alignment_error_rate([{(0, 0), (1, 0)}], [Gold(S2, S2)])
    # |A∩S| = |A∩P| = 1, |A| = |S| = 2  ->  AER = 1 - 2/4
    assert (scores.aer, scores.precision, scores.recall) == (0.5, 0.5, 0.5)


def test_aer_possible_link_counts_for_precision_only():
    gold = Gold({(0, 0)}, {(0, 0), (1, 1)})
    scores = alignment_error_rate([{(0, 0), (1, 1)}], [gold])
    # AER = 1 - (1 + 2) / (2 + 1) = 0
    assert scores.aer == pytest.approx(0.0) and scores.precision == 1.0 and scores.recall == 1.0


def test_aer_pools_counts_over_sentences():
    scores = alignment_error_rate([S2, set()], [Gold(S2, S2), Gold({(0, 0)}, {(0, 0)})])
    assert scores.aer == pytest.approx(1 - 4 / 5)
    with pytest.raises(ValueError):
        alignment_error_rate([S2], [])


def test_argmax_links_drop_end_of_sentence():
    weights = np.array(
        [
            [0.1, 0.8, 0.1],  # word 0 -> source 1
            [0.2, 0.1, 0.7],  # word 1 -> </s>: no link
            [0.6, 0.3, 0.1],  # word 2 -> source 0
            [0.0, 0.0, 1.0],  # </s> row: dropped
        ]
    )
    assert argmax_links(weights) == {(1, 0), (0, 2)}
    assert threshold_links(weights, 0.25) == {(1, 0), (0, 2), (1, 2)}


def test_pharaoh_round_trip():
    links = {(3, 0), (0, 1), (1, 1)}
    line = to_pharaoh(links)
    assert line == "0-1 1-1 3-0"
    assert parse_pharaoh(line) == links
    assert parse_pharaoh("") == set()
    with pytest.raises(ValueError):
        parse_pharaoh("0-1 x")


def test_wpt_round_trip(tmp_path):
    path = tmp_path / "gold.wa"
    path.write_text("1 1 1 S\n1 2 3 P\n3 2 2 S\n")
    gold = read_wpt(path)
    assert len(gold) == 3
    assert gold[0].sure == {(0, 0)} and gold[0].possible == {(0, 0), (1, 2)}
    assert gold[1].sure == gold[1].possible == set()
    assert gold[2].sure == {(1, 1)}
    write_wpt(gold, tmp_path / "again.wa")
    again = read_wpt(tmp_path / "again.wa")
    assert [(g.sure, g.possible) for g in again] == [(g.sure, g.possible) for g in gold]
    (tmp_path / "bad.wa").write_text("1 1 1 X\n")
    with pytest.raises(ValueError, match="bad.wa:1"):
        read_wpt(tmp_path / "bad.wa")


def test_real_gold_file_reads():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "hansards-wpt03" / "dev.wa.nonullalign"
    if not path.is_file():
        pytest.skip("shared data not present")
    gold = read_wpt(path)
    assert len(gold) == 37 and all(g.sure <= g.possible for g in gold)


def test_entropy_monotonicity_agreement():
    one_hot = np.eye(3)
    uniform = np.full((2, 4), 0.25)
    assert entropy(one_hot) == 0.0
    assert entropy(uniform) == pytest.approx(np.log(4))
    assert monotonicity(one_hot) == 1.0
    assert monotonicity(one_hot[::-1]) == 0.0
    assert argmax_agreement(one_hot, one_hot[[0, 2, 1]]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        argmax_agreement(one_hot, uniform)


def test_word_entropy_drops_the_end_row():
    weights = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # two words, then </s>
    assert word_entropy(weights) == pytest.approx(np.log(2) / 2)  # (ln 2 + 0) / 2
    assert word_entropy(np.array([[0.5, 0.5]])) == 0.0  # only </s>: an empty translation


def test_grow_diag_final_and():
    forward = {(0, 0), (1, 1), (2, 1)}
    reverse = {(0, 0), (1, 1), (3, 2)}
    # from the intersection {(0,0), (1,1)}: (2,1) neighbours (1,1) and aligns new source word 2;
    # then (3,2) neighbours (2,1) diagonally and aligns new words 3 and 2
    assert grow_diag_final_and(forward, reverse) == {(0, 0), (1, 1), (2, 1), (3, 2)}
    # final-and: a lone union link whose two words are both unaligned is added
    assert grow_diag_final_and({(0, 0)}, {(5, 5)}) == {(0, 0), (5, 5)}
    # a neighbouring union link that aligns an unaligned target word is grown
    assert grow_diag_final_and({(0, 0), (0, 1)}, {(0, 0)}) == {(0, 0), (0, 1)}
    # one whose words are both aligned already is not
    assert grow_diag_final_and({(0, 0), (1, 1), (0, 1)}, {(0, 0), (1, 1)}) == {(0, 0), (1, 1)}


def test_link_readings_of_one_matrix_by_hand():
    # 3 target words × 3 source words (+ </s> row and column); rows sum to 1
    weights = np.array(
        [
            [0.7, 0.2, 0.0, 0.1],
            [0.6, 0.3, 0.0, 0.1],  # word 1 looks at source 0 too, but source 0 is word 0's most
            [0.1, 0.1, 0.7, 0.1],
            [0.0, 0.0, 0.0, 1.0],  # </s>
        ]
    )
    assert argmax_links(weights) == {(0, 0), (0, 1), (2, 2)}
    assert column_argmax_links(weights) == {(0, 0), (1, 1), (2, 2)}  # source 1's strongest row is word 1
    assert intersection_links(weights) == {(0, 0), (2, 2)}
    assert symmetrized_links(weights) == {(0, 0), (0, 1), (1, 1), (2, 2)}
    assert read_links(weights, "intersection") == intersection_links(weights)
    assert read_links(weights) == argmax_links(weights)
    with pytest.raises(ValueError, match="unknown link reading 'max'; choose one of argmax"):
        read_links(weights, "max")
    assert column_argmax_links(np.ones((1, 1))) == set()  # only </s>


def test_aer_by_length_splits_the_gold_pairs_by_english_words():
    from attnviz.measurement.evaluation import GoldSet, aer_by_length

    short, long_ = "a b c", " ".join(f"w{k}" for k in range(22))
    gold = GoldSet([short, long_, short], ["x y z"] * 3, [Gold(S2, S2)] * 3)
    # right on both short pairs, half wrong on the long one: AER 0, then 1 − 2·1/(2 + 2) = 0.5
    by_length = aer_by_length([S2, {(0, 0), (1, 0)}, S2], gold)
    assert by_length == {"1–14": 0.0, "15–20": None, "21+": pytest.approx(0.5)}
