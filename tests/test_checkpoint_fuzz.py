"""Fuzzing model directories with Hypothesis: mutated config fields, vocabularies, safetensors headers,
truncated files and NaN weights. Every case loads (a harmless mutation) or raises the one-line
CheckpointError; nothing else escapes, nothing hangs, and rejecting a hostile checkpoint allocates
almost nothing.

CI runs 1,000 mutated checkpoints; the long run (10,000):

    HYPOTHESIS_PROFILE=fuzz pytest tests/test_checkpoint_fuzz.py
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file

from attnviz.inference import checkpoint
from attnviz.inference.checkpoint import CheckpointError

from .conftest import EN_FR, ROOT, tiny_model

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` leaves it out of the quick loop

PROFILES = {"ci": 1_000, "fuzz": 10_000}
EXAMPLES = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
FUZZ = settings(max_examples=EXAMPLES, deadline=5000, suppress_health_check=list(HealthCheck))

ORIGINAL = Path(tempfile.mkdtemp(prefix="attnviz-fuzz-")) / "tiny"
model, src_vocab, tgt_vocab = tiny_model()
checkpoint.save(ORIGINAL, model, EN_FR, src_vocab, tgt_vocab, {"training": {"data": "none (random weights)"}})
CONFIG = json.loads((ORIGINAL / checkpoint.CONFIG_FILE).read_text())
WEIGHTS = load_file(str(ORIGINAL / checkpoint.WEIGHTS_FILE))
VOCABS = [name for name in checkpoint.model_files(CONFIG) if name.startswith("vocab")]

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(
            [
                0,
                1,
                -1,
                10**9,
                2**31,
                4097,
                1_000_001,
                "rnn",
                "transformer",
                "bottleneck",
                "additive",
                "sample",
                "zh",
                "",
            ]
        ),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def config_mutation(directory: Path, data) -> None:
    config = json.loads(json.dumps(CONFIG))
    key = data.draw(st.sampled_from(sorted(config) + ["attention.layers", "attention.heads", "attention.maps"]))
    if data.draw(st.booleans(), label="delete"):
        config.pop(key, None)
    elif key.startswith("attention."):
        config["attention"][key.split(".")[1]] = data.draw(json_values)
    else:
        config[key] = data.draw(json_values)
    (directory / checkpoint.CONFIG_FILE).write_text(json.dumps(config, allow_nan=True))


def vocab_mutation(directory: Path, data) -> None:
    name = data.draw(st.sampled_from(VOCABS))
    path, tokens = (
        directory / name,
        json.loads((ORIGINAL / name).read_text()),
    )  # the original: another mutation may have broken it
    kind = data.draw(st.sampled_from(["duplicate", "empty", "drop", "replace", "bytes"]))
    if kind == "bytes":
        path.write_bytes(data.draw(st.binary(max_size=200)))
        return
    position = data.draw(st.integers(0, len(tokens) - 1))
    if kind == "duplicate":
        tokens.insert(position, tokens[-1])
    elif kind == "empty":
        tokens[position] = ""
    elif kind == "drop":
        del tokens[position]
    else:
        tokens[position] = data.draw(json_values)
    path.write_text(json.dumps(tokens))


def header_mutation(directory: Path, data) -> None:
    weights = dict(WEIGHTS)
    name = data.draw(st.sampled_from(sorted(weights)))
    kind = data.draw(st.sampled_from(["shape", "dtype", "rename", "drop", "nan", "inf"]))
    tensor = weights[name]
    if kind == "shape":
        weights[name] = torch.zeros(data.draw(st.lists(st.integers(0, 40), min_size=1, max_size=3)), dtype=tensor.dtype)
    elif kind == "dtype":
        weights[name] = tensor.to(data.draw(st.sampled_from([torch.int64, torch.int8, torch.float64, torch.bool])))
    elif kind == "rename":
        weights[name + data.draw(st.text(min_size=1, max_size=5))] = weights.pop(name)
    elif kind == "drop":
        del weights[name]
    else:
        weights[name] = tensor.clone().flatten().index_fill(0, torch.tensor([0]), float(kind)).reshape(tensor.shape)
    save_file(weights, str(directory / checkpoint.WEIGHTS_FILE))


def file_mutation(directory: Path, data) -> None:
    path = directory / data.draw(st.sampled_from(checkpoint.model_files(CONFIG)))
    raw = bytearray(path.read_bytes())
    kinds = ["truncate", "flip", "header_length", "garbage"] if len(raw) >= 8 else ["garbage"]
    kind = data.draw(st.sampled_from(kinds))
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    elif kind == "header_length":  # safetensors begins with the header's byte length
        raw[:8] = struct.pack("<Q", data.draw(st.sampled_from([0, 7, 2**31, 2**63, len(raw) * 10])))
    else:
        raw = bytearray(data.draw(st.binary(max_size=500)))
    path.write_bytes(bytes(raw))


MUTATIONS = [config_mutation, vocab_mutation, header_mutation, file_mutation]


@FUZZ
@given(st.data())
def test_a_mutated_checkpoint_loads_or_gets_one_checkpoint_error(data):
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "model"
        shutil.copytree(ORIGINAL, directory)
        for mutation in data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=2)):
            mutation(directory, data)
        try:
            loaded = checkpoint.load(directory)
        except CheckpointError as err:
            assert "\n" not in str(err) and str(err)
            return
        # accepted: it must then be a working model with finite weights
        assert all(torch.isfinite(p).all() for p in loaded.model.parameters())


HOSTILE = {
    # the vocabularies fit, so only the safetensors header (against a module built on the meta device) refuses it
    "huge layers": {"embedding_size": 4096, "encoder_size": 4096, "decoder_size": 4096, "attention_size": 4096},
    "huge sizes": {
        "embedding_size": 4096,
        "encoder_size": 4096,
        "decoder_size": 4096,
        "attention_size": 4096,
        "src_vocab_size": 1_000_000,
        "tgt_vocab_size": 1_000_000,
    },
    "over the caps": {"embedding_size": 10**9, "src_vocab_size": 10**12},
}


def test_rejecting_a_hostile_checkpoint_stays_under_200_mb(tmp_path):
    """Sizes that would need gigabytes are refused from the config and the header alone (measured in a
    fresh process: peak resident memory while loading, minus the memory before)."""
    for label, change in HOSTILE.items():
        directory = tmp_path / label.replace(" ", "-")
        shutil.copytree(ORIGINAL, directory)
        config = {**CONFIG, **change}
        (directory / checkpoint.CONFIG_FILE).write_text(json.dumps(config))
        probe = (
            "import resource, sys\n"
            "from attnviz.inference import checkpoint\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n    checkpoint.load(sys.argv[1])\n    print('LOADED')\n"
            "except checkpoint.CheckpointError as err:\n    print('REFUSED', err)\n"
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe, str(directory)], capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert out.returncode == 0, out.stderr
        assert "REFUSED" in out.stdout, (label, out.stdout)
        growth_kb = int(out.stdout.split("PEAK_KB")[1])
        assert growth_kb < 200_000, f"{label}: rejecting took {growth_kb / 1000:.0f} MB"
