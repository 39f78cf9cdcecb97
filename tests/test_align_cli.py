"""``python -m attnviz align`` and ``evaluate`` on a tiny model."""

import csv

import pytest

from attnviz.attention.alignment import parse_pharaoh

from .test_cli import run


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_align_one_line_per_pair_under_bad_input(tiny_dir, tmp_path):
    src = write(tmp_path / "src", ["i am cold .", "", "the cat is black .", "word " * 60])
    tgt = write(tmp_path / "tgt", ["j' ai froid .", "le chat", "le chat est noir .", "mot"])
    result = run(["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt), "--pretokenized"], "")
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == 4
    assert lines[1] == "" and lines[3] == ""
    assert "pair 2: the sentence is empty" in result.stderr and "pair 4:" in result.stderr
    links = parse_pharaoh(lines[0])
    # argmax links: at most one per French word, positions inside the pretokenized sentences
    assert {i for _, i in links} <= set(range(4)) and {j for j, _ in links} <= set(range(4))
    assert len(links) == len({i for _, i in links})
    assert result.returncode == 1


def test_align_threshold_near_zero_links_everything(tiny_dir, tmp_path):
    src = write(tmp_path / "src", ["i am cold ."])
    tgt = write(tmp_path / "tgt", ["j' ai froid ."])
    args = ["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt), "--pretokenized"]
    # softmax weights are all > 0, so the smallest allowed threshold keeps every link
    everything = parse_pharaoh(run(args + ["--threshold", "1e-30"], "").stdout.strip())
    assert everything == {(j, i) for j in range(4) for i in range(4)}


def test_align_mismatched_files(tiny_dir, tmp_path):
    src = write(tmp_path / "src", ["a", "b"])
    tgt = write(tmp_path / "tgt", ["a"])
    result = run(["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt)], "")
    assert result.returncode == 2 and "has 2 lines" in result.stderr


def test_evaluate_table(tiny_dir, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    write(gold / "dev.e", ["i am cold . ", "the cat is black . "])
    write(gold / "dev.f", ["j' ai froid . ", "le chat est noir . "])
    write(gold / "dev.wa.nonullalign", ["1 1 1 S", "1 3 3 S", "2 1 1 S", "2 2 2 P"])
    data = write(tmp_path / "corpus.txt", [f"i am cold {n} .\tj'ai froid {n} ." for n in range(4100)])
    out = tmp_path / "table.csv"
    result = run(
        [
            "evaluate",
            "--models",
            str(tiny_dir),
            "--gold-dir",
            str(gold),
            "--data",
            str(data),
            "--priors",
            str(tmp_path / "none.gz"),
            "--bleu-sentences",
            "30",
            "--csv",
            str(out),
        ],
        "",
    )
    assert result.returncode == 0, result.stderr
    assert "| model" in result.stdout and "tiny-additive" in result.stdout
    (row,) = list(csv.DictReader(out.open()))
    assert (
        row["family"] == "rnn"
        and row["attention"].startswith("additive")
        and 0 <= float(row["AER"]) <= 1
        and float(row["ms/sentence"]) > 0
    )
    assert float(row["zeros"]) == 0  # a softmax never gives an exact zero
    assert row["links"] == "argmax"  # its card names no other reading
    # every test sentence has 5 tokens: the 1–5 bucket is the whole set, the others are empty
    assert "BLEU by source length" in result.stdout and "1–5 30)" in result.stdout
    assert float(row["BLEU 1–5"]) == pytest.approx(float(row["BLEU"])) and "BLEU 6–7" not in row


def test_align_splits_on_newlines_only(tiny_dir, tmp_path):
    src, tgt = tmp_path / "src.txt", tmp_path / "tgt.txt"
    src.write_text("i am\x0ccold .\ni am cold .\r\nthe cat\u2028is black .\n", encoding="utf-8")
    tgt.write_text("j' ai froid .\nj' ai froid .\r\nle chat est noir .\n", encoding="utf-8")
    result = run(["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt)], "")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3  # the form feed and U+2028 did not add pairs


def test_align_names_the_file_and_line_of_bad_utf8(tiny_dir, tmp_path):
    src, tgt = tmp_path / "src.txt", tmp_path / "tgt.txt"
    src.write_bytes(b"i am cold .\ni am \xff cold .\n")
    tgt.write_text("j' ai froid .\nj' ai froid .\n", encoding="utf-8")
    result = run(["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt)], "")
    assert result.returncode == 2 and f"{src}, line 2: not valid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--temperature", "nan", "--temperature must be in (0.0, 1000000.0]"),
        ("--temperature", "0", "--temperature must be in (0.0"),
        ("--beam", "0", "--beam must be in [1, 16]"),
        ("--beam", "17", "--beam must be in [1, 16]"),
        ("--seed", "-1", "--seed must be in [0, 4294967295]"),
        ("--k", "x", "--k must be an integer"),
    ],
)
def test_numeric_options_are_checked_before_any_work(tiny_dir, option, value, message):
    result = run(["translate", "--model", str(tiny_dir), option, value], "i am cold .\n")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["nan", "0", "2", "-1"])
def test_threshold_must_be_in_0_1(tiny_dir, tmp_path, value):
    (tmp_path / "s").write_text("i am cold .\n")
    result = run(
        [
            "align",
            "--model",
            str(tiny_dir),
            "--src",
            str(tmp_path / "s"),
            "--tgt",
            str(tmp_path / "s"),
            "--threshold",
            value,
        ],
        "",
    )
    assert result.returncode == 2 and "--threshold must be in (0.0, 1.0]" in result.stderr
