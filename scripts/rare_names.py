"""Rare names: how often a Chinese → English model writes a place name it never saw in a Tatoeba sentence.

The names are CC-CEDICT proper nouns (``dictionary.proper_noun_pairs``) whose Chinese never occurs in the
whole Tatoeba Chinese–English corpus; each is put in a template sentence, and a translation counts when
the English name appears in it. A model trained with ``--dictionary`` saw each name only as a one-word
pair; one trained without never saw it at all.

    python scripts/rare_names.py --model pretrained/zh-en-additive [--names 200] [--seed 0]

Prints the share of names written correctly per template, and a few examples; and how many of the
names a lexicon pointer could copy (one Chinese and one English token: ``dictionary.lexicon_entries``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.data.dictionary import lexicon_entries, unseen_names  # noqa: E402
from attnviz.data.tatoeba import PAIRS  # noqa: E402
from attnviz.inference.translator import Translator  # noqa: E402

TEMPLATES = ("我想去{name}。", "{name}很漂亮。", "他住在{name}。")  # I want to go to …; … is beautiful; he lives in …


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a zh-en model directory")
    parser.add_argument("--names", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=PAIRS["zh-en"].data, help="the Tatoeba Chinese–English file")
    args = parser.parse_args()
    translator = Translator.load(args.model)
    names = unseen_names(args.data, args.names, args.seed)
    print(f"{args.model.name}: {len(names)} CC-CEDICT names absent from {args.data.name}")
    lexicon = dict(lexicon_entries(translator.info.segmentation))
    print(
        f"  {sum(zh in lexicon for zh, _ in names)} of them are one token in this model's segmentation "
        f"({translator.info.segmentation}) and one English token: what a lexicon pointer can copy"
    )
    for template in TEMPLATES:
        hits, examples = 0, []
        for zh, en in names:
            text = translator.translate(template.format(name=zh)).text
            hit = en.lower() in text.lower()
            hits += hit
            if len(examples) < 4:
                examples.append(f"{template.format(name=zh)} → {text}" + ("" if hit else f"   (expected {en})"))
        print(f"  {template}: {hits}/{len(names)} = {hits / len(names):.0%} name written")
        for example in examples:
            print(f"      {example}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
