"""``python -m attnviz align`` and ``evaluate`` on a tiny model."""

import csv

from attnviz.alignment import parse_pharaoh

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


def test_align_threshold_gives_superset_at_zero(tiny_dir, tmp_path):
    src = write(tmp_path / "src", ["i am cold ."])
    tgt = write(tmp_path / "tgt", ["j' ai froid ."])
    args = ["align", "--model", str(tiny_dir), "--src", str(src), "--tgt", str(tgt), "--pretokenized"]
    everything = parse_pharaoh(run(args + ["--threshold", "0"], "").stdout.strip())
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
        ["evaluate", "--models", str(tiny_dir), "--gold-dir", str(gold), "--data", str(data),
         "--priors", str(tmp_path / "none.gz"), "--bleu-sentences", "30", "--csv", str(out)],
        "",
    )
    assert result.returncode == 0, result.stderr
    assert "| model" in result.stdout and "tiny-additive" in result.stdout
    (row,) = list(csv.DictReader(out.open()))
    assert row["family"] == "rnn" and row["attention"].startswith("additive") and 0 <= float(row["AER"]) <= 1 and float(row["ms/sentence"]) > 0
