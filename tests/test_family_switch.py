"""FAMILIES is the only switch: a family declared in one place trains and translates through the CLI."""

import io
import json
import sys
from dataclasses import dataclass

import pytest

from attnviz.cli import build_parser, main
from attnviz.families import FAMILIES, TrainFlag
from attnviz.families.bottleneck import BottleneckConfig, BottleneckSeq2Seq
from attnviz.training.recipes import family_flags

PAIRS = [
    (f"the {a} {n} is here .", f"le {nf} {af} est ici .")
    for n, nf in (("cat", "chat"), ("dog", "chien"), ("bird", "oiseau"), ("horse", "cheval"))
    for a, af in (("black", "noir"), ("white", "blanc"), ("small", "petit"))
] * 6


@dataclass
class EchoConfig(BottleneckConfig):
    """A throw-away family's config: the bottleneck's, its own class so that the registry tells them apart."""


class EchoSeq2Seq(BottleneckSeq2Seq):
    """A throw-away family: one module, one registration, one flag of its own."""

    family = "echo"
    display_name = "echo (test)"
    config_class = EchoConfig

    @classmethod
    def train_flags(cls):
        return (TrainFlag("--echo-decoder-size", "decoder_size", {"type": int, "default": 16}),)

    @classmethod
    def make_config(cls, src_vocab_size, tgt_vocab_size, decoder_size=16):
        return EchoConfig(
            src_vocab_size, tgt_vocab_size, embedding_size=16, encoder_size=8, decoder_size=decoder_size, dropout=0.0
        )


@pytest.fixture
def echo():
    FAMILIES.register(EchoSeq2Seq)
    yield EchoSeq2Seq
    FAMILIES.unregister("echo")


def test_a_registered_family_trains_and_translates_through_the_cli(echo, tmp_path, monkeypatch, capsys):
    data = tmp_path / "pairs.txt"
    data.write_text("".join(f"{e}\t{f}\n" for e, f in PAIRS), encoding="utf-8")
    out = tmp_path / "echo-model"
    assert build_parser().parse_args(["train", "--family", "echo", "--echo-decoder-size", "8"]).echo_decoder_size == 8
    status = main(
        [
            "train",
            "--family",
            "echo",
            "--echo-decoder-size",
            "24",
            "--out",
            str(out),
            "--data",
            str(data),
            "--valid-sentences",
            "2",
            "--test-sentences",
            "2",
            "--epochs",
            "1",
            "--max-minutes",
            "1",
            "--threads",
            "1",
            "--src-vocab",
            "30",
            "--tgt-vocab",
            "30",
            "--gold-dir",
            str(tmp_path / "none"),
        ]
    )
    assert status == 0
    card = json.loads((out / "config.json").read_text())
    assert card["family"] == "echo" and card["decoder_size"] == 24
    assert "--family echo --echo-decoder-size 24" in card["training"]["command"]
    assert family_flags(EchoSeq2Seq.make_config(5, 5, 24)) == ["--family", "echo", "--echo-decoder-size", "24"]
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("the black cat is here .\n"))
    assert main(["translate", "--model", str(out)]) == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_an_unknown_family_or_a_bad_field_is_one_line(echo, capsys):
    assert main(["train", "--family", "echo", "--echo-decoder-size", "0", "--out", "/tmp/never"]) == 2
    assert "decoder_size" in capsys.readouterr().err
