"""The translate CLI on a tiny model written to a temp dir."""

import json
import subprocess
import sys

import pytest

from attnviz.data.tokenization import MAX_TOKENS

from .conftest import ROOT


def run(args, stdin):
    return subprocess.run(
        [sys.executable, "-m", "attnviz", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120
    )


LINES = ["i am cold .", "", "word " * (MAX_TOKENS + 1), "the cat is black ."]


@pytest.mark.parametrize("mode", ["soft", "hard", "topk", "sample"])
def test_translate_keeps_lines_aligned(tiny_dir, mode):
    result = run(["translate", "--model", str(tiny_dir), "--mode", mode, "--k", "2"], "\n".join(LINES) + "\n")
    out = result.stdout.split("\n")[:-1]
    assert len(out) == len(LINES)
    assert out[1] == "" and out[2] == ""
    assert out[0] != "" or out[3] != ""  # random weights may emit </s> at once, but not for every line
    assert "line 2: the sentence is empty" in result.stderr
    assert f"line 3: the sentence has {MAX_TOKENS + 1} tokens; the limit is {MAX_TOKENS}" in result.stderr
    assert result.returncode == 1


@pytest.mark.parametrize("mode", ["soft", "hard", "topk", "sample"])
def test_translate_json(tiny_dir, mode):
    result = run(["translate", "--model", str(tiny_dir), "--json", "--mode", mode, "--beam", "2"], "I am cold.\n")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    S, T = len(obj["source_tokens"]), len(obj["target_tokens"])
    assert obj["source_tokens"] == ["I", "am", "cold", ".", "</s>"]
    assert len(obj["attention"]) == len(obj["energies"]) == T
    assert all(len(row) == S and abs(sum(row) - 1) < 1e-4 for row in obj["attention"])


def test_sample_is_reproducible_and_the_seed_chooses_the_sample(tiny_dir):
    def sample(seed: int) -> str:
        args = ["translate", "--model", str(tiny_dir), "--json", "--mode", "sample", "--seed", str(seed)]
        return run(args, "the cat is black .\n").stdout

    assert sample(5) == sample(5)
    # a random model's attention is spread out: other seeds sample other positions (an ignored flag gives one)
    assert len({json.dumps(json.loads(sample(seed))["attention"]) for seed in range(6)}) > 1


def test_missing_model_is_a_clear_error(tmp_path):
    result = run(["translate", "--model", str(tmp_path / "none")], "hi\n")
    assert result.returncode == 2
    assert "error: no model directory" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["en-fr-additive", "en-fr-transformer-aligned"])
def test_translate_json_attribution_carries_the_norm_based_map(name):
    """``translate --json --attribution``: norm-based attention ‖α_ij f(x_j)‖ (T × S, ≥ 0) beside the signed
    attributions, for an RNN and for the aligned Transformer."""
    model = ROOT / "pretrained" / name
    if not model.is_dir():
        pytest.skip(f"no {name} in pretrained/")
    result = run(["translate", "--model", str(model), "--json", "--attribution"], "The cat is black.\n")
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    found = obj["attribution"]
    assert list(found) == ["norm_based", "gradient_x_input", "integrated_gradients", "leave_one_out"]
    T, S = len(obj["target_tokens"]), len(obj["source_tokens"])
    norm = found["norm_based"]
    assert len(norm) == T and all(len(row) == S and min(row) >= 0 for row in norm)
    # the largest weight of a row is where its norm-based reading is largest, or close to it
    assert (
        sum(
            max(range(S), key=row.__getitem__) == max(range(S), key=a.__getitem__)
            for row, a in zip(norm, obj["attention"])
        )
        >= T // 2
    )
