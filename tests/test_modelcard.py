"""The typed model card: every shipped card's figures read as Metrics, a wrong figure is refused at load."""

import json
import shutil

import pytest

from attnviz.data.modelcard import Metrics
from attnviz.inference import checkpoint
from attnviz.inference.catalog import discover
from attnviz.inference.checkpoint import CheckpointError


@pytest.mark.parametrize("entry", discover(), ids=lambda e: e.name)
def test_every_shipped_card_reads_as_metrics_and_writes_back_the_same(entry):
    metrics = Metrics.from_card(entry.config)
    assert metrics.to_dict() == entry.config.get("metrics", {})
    assert (metrics.test_bleu_greedy is not None) == (entry.info.task == "translation")
    assert (metrics.test_accuracy is not None) == (entry.info.task == "classification")


def test_figures_are_rounded_and_merged_without_losing_measured_ones():
    old = Metrics(test_bleu_greedy=44.79381, dev_aer=0.43)
    new = old.merged(Metrics(dev_aer=0.412345678, dev_zeros=0.0))
    assert new.to_dict() == {"test_bleu_greedy": 44.7938, "dev_aer": 0.4123, "dev_zeros": 0.0}


def test_the_best_single_head_leaves_out_each_layers_mean():
    assert Metrics(dev_aer_by_head=[[0.5, 0.4, 0.1], [0.3, 0.6, 0.2]]).best_single_head() == (1, 0)
    assert Metrics().best_single_head() is None


@pytest.mark.parametrize(
    "figures, message",
    [
        ({"dev_aerr": 0.3}, "'metrics.dev_aerr' is not a figure"),
        ({"dev_aer": "low"}, "'metrics.dev_aer' must be a number"),
        ({"dev_aer_by_head": {"a": 1}}, "'metrics.dev_aer_by_head' must be a list"),
        ({"test_accuracy": True}, "'metrics.test_accuracy' must be a number"),
    ],
)
def test_a_card_with_a_wrong_figure_is_refused_in_one_line(tmp_path, tiny_dir, figures, message):
    directory = tmp_path / "model"
    shutil.copytree(tiny_dir, directory)
    config = json.loads((directory / checkpoint.CONFIG_FILE).read_text())
    (directory / checkpoint.CONFIG_FILE).write_text(json.dumps({**config, "metrics": figures}))
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(directory)
