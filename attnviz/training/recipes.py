"""The zoo's recipes: the training hyperparameters (one source of defaults) and the shipped models.

Every model of the English→French zoo shares ``TrainConfig``'s recipe and the
``rnn`` family's default architecture; they differ only in the family fields
listed in ``ZOO``. The CLI's ``train`` defaults, ``train --all`` and the model
cards' retrain commands all read this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from ..data.tatoeba import Corpus
from ..data.tokenization import SEGMENTATIONS
from ..families import FAMILIES, FamilyConfig, ModelInfo

# the sentence each epoch translates for the Training view, by source language (the seed notes' example for Chinese)
DEMO_SENTENCES = {"en": "the little girl is playing in the big garden .", "zh": "欢迎来北京"}


def option(
    flag: str | None = None,
    help: str = "",
    *,
    always: bool = False,
    corpus: bool = False,
    bounds: tuple[float, float] | None = None,
    choices: tuple[str, ...] | None = None,
) -> dict:
    """A ``TrainConfig`` field's metadata — the one place a training flag is declared, from which the CLI's
    ``train`` flags (``train_options``), the card's retrain command (``recipe_flags``) and the corpus cache key
    (``corpus_key``) are made.

    Args:
        flag: its ``train`` option (None: not a flag); help: its help text.
        always: written into every retrain command (else only when it differs from the default).
        corpus: it changes the corpus a run reads (the split, the vocabularies, the added pairs).
        bounds: (low, high), the closed range a value must lie in; choices: the values it may take.
    """
    return {"flag": flag, "help": help, "always": always, "corpus": corpus, "bounds": bounds, "choices": choices}


@dataclass
class TrainConfig:
    """Hyperparameters of the recipe (shared by every model of the zoo).

    Attributes:
        epochs: maximum number of passes over the training pairs.
        max_minutes: wall-clock budget for the training epochs (evaluation after
            it is timed separately); training stops mid-epoch when it runs out.
        seed: model initialisation and batch order.
        split_seed: the corpus split (see ``tatoeba.split_by_source``).
        valid_sentences, test_sentences: source sentences held out for validation and test.
        batch_tokens: padded tokens per batch and process (length-bucketed).
        lr: Adam learning rate; halved when validation BLEU does not improve.
        warmup_steps: the learning rate rises linearly from lr/warmup_steps to lr over
            this many optimizer steps (0: none). Transformers need it (Vaswani et al.
            2017, §5.3); the GRU zoo trains without.
        label_smoothing: ε of the smoothed cross-entropy (Szegedy et al., 2016).
        clip: maximum gradient norm.
        src_vocab_size, tgt_vocab_size: vocabulary sizes, specials included.
        threads: torch intra-op threads per process.
        bf16: bfloat16 autocast for the training forward pass (evaluation stays fp32).
        guided_lambda: weight λ of the guided-alignment loss (``guided``; Chen et al.
            2016): 0 trains attention freely, as the rest of the zoo.
        guided_columns: also supervise each source word's column, normalized over the target
            words (``guided.column_alignment_loss``), with the same λ and links.
        dictionary: add CC-CEDICT's proper nouns to the training pairs (``dictionary``;
            Chinese → English only).
        dictionary_repeats: how many times each of those pairs is added (a name such as 北京 is
            otherwise one pair against the many sentences of 东京's 京).
        segmentation: Chinese words (jieba) or characters (``tokenization.SEGMENTATIONS``);
            other languages are always Moses words.
        unpunctuated: the share of training pairs that lose their sentence-final punctuation on both
            sides (``tatoeba.without_final_punctuation``), so bare phrases translate too.
        name_contexts: Chinese → English: for each training pair naming one city, this many copies with a rare city
            name in its place (``dictionary.rare_name_contexts``; Fadaee et al. 2017), so a name seen in one or two
            sentences (北京) is learned from more; 0: none.
        concatenated: that many more training pairs (a share of the training pairs), each 2–4 of them joined
            end to end (``tatoeba.concatenations``), so long sentences' positions are seen in training.
        init_from: a model directory (relative to the repository) whose weights start the
            run where names and shapes match (a warm start; e.g. adding an alignment head
            to a trained model); "" starts from random weights.
    """

    epochs: int = field(default=12, metadata=option("--epochs", always=True))
    max_minutes: float = field(
        default=40.0, metadata=option("--max-minutes", "training time budget per model", always=True)
    )
    seed: int = field(default=1, metadata=option("--seed", always=True))
    split_seed: int = field(default=1, metadata=option(corpus=True))
    valid_sentences: int = field(
        default=2000, metadata=option("--valid-sentences", "source sentences held out for validation", corpus=True)
    )
    test_sentences: int = field(
        default=2000, metadata=option("--test-sentences", "source sentences held out for the test BLEU", corpus=True)
    )
    batch_tokens: int = 2000
    lr: float = field(default=2e-3, metadata=option("--lr", "peak Adam learning rate"))
    warmup_steps: int = field(
        default=0, metadata=option("--warmup-steps", "optimizer steps of linear learning-rate warm-up (0: none)")
    )
    label_smoothing: float = 0.1
    clip: float = 1.0
    src_vocab_size: int = field(
        default=6000, metadata=option("--src-vocab", "source vocabulary size, specials included", corpus=True)
    )
    tgt_vocab_size: int = field(
        default=8000, metadata=option("--tgt-vocab", "target vocabulary size, specials included", corpus=True)
    )
    threads: int = field(default=2, metadata=option("--threads", "torch threads per training process", always=True))
    bf16: bool = True
    guided_lambda: float = field(
        default=0.0,
        metadata=option(
            "--guided-lambda",
            "weight of the guided-alignment loss against eflomal links of the training pairs (0: none)",
            bounds=(0.0, 1e3),
        ),
    )
    guided_columns: bool = field(
        default=False,
        metadata=option(
            "--guided-columns",
            "with --guided-lambda: also supervise each source word's column of the attention (the English → "
            "French reading of the same links)",
        ),
    )
    dictionary: bool = field(
        default=False,
        metadata=option(
            "--dictionary", "zh-en: add CC-CEDICT's proper nouns (北京 → Beijing …) to the training pairs", corpus=True
        ),
    )
    dictionary_repeats: int = field(
        default=1,
        metadata=option(
            "--dictionary-repeats", "with --dictionary: add each proper noun pair N times", bounds=(1, 20), corpus=True
        ),
    )
    segmentation: str = field(
        default="words",
        metadata=option(
            "--segmentation",
            "zh-en: Chinese tokens are jieba words, single characters, or single characters with CC-CEDICT's "
            "names whole",
            choices=SEGMENTATIONS,
            corpus=True,
        ),
    )
    unpunctuated: float = field(
        default=0.0,
        metadata=option(
            "--unpunctuated",
            "share of training pairs (0–1) that lose their sentence-final punctuation on both sides, so bare "
            "phrases such as 欢迎来北京 translate too",
            bounds=(0.0, 1.0),
            corpus=True,
        ),
    )
    concatenated: float = field(
        default=0.0,
        metadata=option(
            "--concatenated",
            "add this share (0–1) of training pairs again as longer pairs, each 2–4 training pairs joined end to "
            "end, so long sentences' positions are seen in training",
            bounds=(0.0, 1.0),
            corpus=True,
        ),
    )
    name_contexts: int = field(
        default=0,
        metadata=option(
            "--name-contexts",
            "zh-en: for each training pair naming one city, N copies with a rare city name in its place (北京 is "
            "in two Tatoeba sentences), so rare names are learned from more contexts",
            bounds=(0, 20),
            corpus=True,
        ),
    )
    init_from: str = field(
        default="",
        metadata=option(
            "--init-from",
            "start from this model's weights where they match (same pair and split; the same or larger "
            "vocabularies, whose new words start untrained)",
        ),
    )


# recipe fields that may change when a run is resumed (extending it, or moving it to other cores)
RESUMABLE_CHANGES = ("epochs", "max_minutes", "threads")


@dataclass(frozen=True)
class Recipe:
    """One shipped model: its directory name and the family fields that set it apart.

    Attributes:
        name: directory under pretrained/.
        family: registered family name.
        fields: the family's recipe fields that differ from their defaults, as its ``train_flags`` set them
            (``TranslationModel.make_config`` builds the config; a Transformer's are layers, heads, d_model).
        info: the contract written to its config.json.
        train: ``TrainConfig`` fields that differ from the zoo's recipe (a Transformer's
            learning rate and warm-up).
        shown_by_default: a class's first view: the app selects it when a page opens (written on
            its card); the pair's other models are one click away.
        stages: further training runs in the same directory, each a change of the ``train`` recipe that
            starts from the weights the run before left there (continued training); the card keeps
            where each started.
    """

    name: str
    family: str
    fields: dict = field(default_factory=dict)
    info: ModelInfo = ModelInfo("translation", "rnn", "en", "fr")
    train: dict = field(default_factory=dict)
    shown_by_default: bool = False
    stages: tuple[dict, ...] = ()

    def train_configs(self, config: TrainConfig, directory: str) -> list[TrainConfig]:
        """The recipe's training runs in order: ``config`` with ``train``'s changes, then each stage's
        changes on top of those, warm-starting from ``directory`` (relative to the repository, where the
        runs write), so the last is what the shipped card records."""
        first = replace(config, **self.train)
        return [first, *(replace(first, **stage, init_from=directory) for stage in self.stages)]


# the zh-en recipes' changes: half the training pairs without final punctuation, so the bare seed sentence
# 欢迎来北京 (no 。) is a sentence the models have seen the like of; and each pair naming a city three more
# times with a rare city in its place, so 北京 (in two Tatoeba pairs) is learned from more contexts
ZH_EN = {"dictionary": True, "valid_sentences": 1000, "test_sentences": 1000, "unpunctuated": 0.5, "name_contexts": 3}
# shown_by_default: what a class sees first in English → French, the four scorers and the Transformer
ZOO = (
    Recipe("en-fr-dot", "rnn", {"scorer": "dot", "placement": "conditional"}, shown_by_default=True),
    Recipe("en-fr-scaled-dot", "rnn", {"scorer": "scaled_dot", "placement": "conditional"}, shown_by_default=True),
    Recipe("en-fr-general", "rnn", {"scorer": "general", "placement": "conditional"}, shown_by_default=True),
    Recipe("en-fr-additive", "rnn", {"scorer": "additive", "placement": "conditional"}, shown_by_default=True),
    Recipe("en-fr-additive-bahdanau", "rnn", {"scorer": "additive", "placement": "previous"}),
    Recipe(
        "en-fr-additive-sparsemax", "rnn", {"scorer": "additive", "placement": "conditional", "normalizer": "sparsemax"}
    ),
    Recipe(
        "en-fr-additive-entmax15", "rnn", {"scorer": "additive", "placement": "conditional", "normalizer": "entmax15"}
    ),
    Recipe(
        "en-fr-additive-guided", "rnn", {"scorer": "additive", "placement": "conditional"}, train={"guided_lambda": 1.0}
    ),
    # a second head that aligns the written word, guided, added to the trained en-fr-additive (train it first)
    Recipe(
        "en-fr-additive-alignment-head",
        "rnn",
        {"scorer": "additive", "placement": "conditional", "alignment_attention": True},
        ModelInfo("translation", "rnn", "en", "fr", heads=2),
        train={"guided_lambda": 1.0, "init_from": "pretrained/en-fr-additive", "lr": 5e-4, "max_minutes": 40.0},
    ),
    # that head reading the whole translation, guided in both directions (rows and columns), with every
    # training word in its vocabularies (train en-fr-additive-alignment-head first)
    Recipe(
        "en-fr-additive-alignment-both-ways",
        "rnn",
        {"scorer": "additive", "placement": "conditional", "alignment_attention": True, "alignment_full_context": True},
        ModelInfo("translation", "rnn", "en", "fr", heads=2),
        train={
            "guided_lambda": 1.0,
            "guided_columns": True,
            "init_from": "pretrained/en-fr-additive-alignment-head",
            "lr": 5e-4,
            "max_minutes": 40.0,
            "src_vocab_size": 14100,
            "tgt_vocab_size": 25700,
        },
    ),
    Recipe("en-fr-additive-hard", "rnn", {"scorer": "additive", "placement": "conditional", "normalizer": "sample"}),
    Recipe(
        "en-fr-bottleneck",
        "bottleneck",
        {},
        ModelInfo("translation", "bottleneck", "en", "fr", layers=0, heads=0, maps=()),
    ),
    Recipe(
        "en-fr-transformer",
        "transformer",
        {"layers": 2, "heads": 4, "d_model": 256},
        ModelInfo(
            "translation", "transformer", "en", "fr", layers=2, heads=4, maps=("cross", "encoder_self", "decoder_self")
        ),
        {"lr": 1e-3, "warmup_steps": 500},
    ),
    # a Transformer that aligns (Garg et al. 2019): head 1 of layer 1 guided in both directions, read with the
    # whole translation, warm-started from en-fr-transformer into larger vocabularies (train that one first)
    Recipe(
        "en-fr-transformer-aligned",
        "transformer",
        {"layers": 2, "heads": 4, "d_model": 256, "alignment_attention": True, "alignment_full_context": True},
        ModelInfo(
            "translation", "transformer", "en", "fr", layers=2, heads=4, maps=("cross", "encoder_self", "decoder_self")
        ),
        {
            "lr": 5e-4,
            "warmup_steps": 500,
            "guided_lambda": 1.0,
            "guided_columns": True,
            "init_from": "pretrained/en-fr-transformer",
            "src_vocab_size": 14100,
            "tgt_vocab_size": 16000,
            "max_minutes": 105.0,
        },
        shown_by_default=True,
        # then a quarter more training pairs joined from 2–4 pairs, so the head aligns long sentences too
        # (its AER on the 13 Hansards pairs of 21+ words was 0.42 against 0.16 under 15; Kondo et al. 2021)
        # and a third at a lower rate with fewer joined pairs (the short sentences' AER had risen 0.164 → 0.213)
        stages=(
            {"lr": 3e-4, "warmup_steps": 300, "concatenated": 0.25, "max_minutes": 80.0},
            {"lr": 1e-4, "warmup_steps": 100, "concatenated": 0.1, "max_minutes": 45.0},
        ),
    ),
    # Chinese → English (the seed notes' 欢迎来北京): a smaller corpus, so 1,000 held-out sentences each, and
    # CC-CEDICT's proper nouns as extra training pairs; jieba words against single characters, measured
    Recipe(
        "zh-en-additive",
        "rnn",
        {"scorer": "additive", "placement": "conditional"},
        ModelInfo("translation", "rnn", "zh", "en"),
        ZH_EN,
    ),
    Recipe(
        "zh-en-additive-characters",
        "rnn",
        {"scorer": "additive", "placement": "conditional"},
        ModelInfo("translation", "rnn", "zh", "en", segmentation="characters"),
        {**ZH_EN, "segmentation": "characters"},
    ),
    # characters measured better than jieba words (test BLEU 28.5 against 26.3 at equal time), so the rest read characters
    Recipe(
        "zh-en-additive-bahdanau",
        "rnn",
        {"scorer": "additive", "placement": "previous"},
        ModelInfo("translation", "rnn", "zh", "en", segmentation="characters"),
        # three rare-city contexts (12 or 16 epochs) still read 京 as Tokyo's on the bare seed sentence
        {**ZH_EN, "segmentation": "characters", "max_minutes": 30.0, "epochs": 16, "name_contexts": 10},
    ),
    # rare names: attention may copy a CC-CEDICT name's English entry; characters, with those names kept whole
    # (with jieba words, measured: names as well written, but 我爱你 is one rare word and BLEU lower)
    Recipe(
        "zh-en-additive-characters-lexicon",
        "rnn",
        {"scorer": "additive", "placement": "conditional", "lexicon_pointer": True},
        ModelInfo("translation", "rnn", "zh", "en", segmentation="characters+names"),
        # a quarter without final punctuation: with half, 我想去X。 lost the name ("i want to go.", 6 of 200 written)
        {**ZH_EN, "segmentation": "characters+names", "unpunctuated": 0.25},
    ),
    Recipe(
        "zh-en-transformer",
        "transformer",
        {"layers": 2, "heads": 4, "d_model": 256},
        ModelInfo(
            "translation",
            "transformer",
            "zh",
            "en",
            layers=2,
            heads=4,
            maps=("cross", "encoder_self", "decoder_self"),
            segmentation="characters",
        ),
        {**ZH_EN, "segmentation": "characters", "lr": 1e-3, "warmup_steps": 500},
    ),
)


def flags_recipe(name: str, family: str, fields: dict, pair: str) -> Recipe:
    """The recipe of a ``train`` run given by flags into a directory called ``name``: the family fields the flags
    set, and — when ``name`` is a zoo model of ``pair`` — that model's ``shown_by_default``, so retraining a
    shipped model with its card's command keeps it a class's first view."""
    zoo = next((r for r in ZOO if r.name == name and r.info.pair_name == pair), None)
    return Recipe(name, family, fields, shown_by_default=zoo is not None and zoo.shown_by_default)


def model_config(recipe: Recipe, corpus: Corpus) -> FamilyConfig:
    """The family config of a recipe for a corpus's vocabularies (``TranslationModel.make_config``).

    Raises:
        ValueError: as the family's config.
    """
    return FAMILIES.get(recipe.family).make_config(len(corpus.src_vocab), len(corpus.tgt_vocab), **recipe.fields)


def train_options() -> list:
    """The ``TrainConfig`` fields that are ``train`` flags (``option``), in declaration order."""
    return [f for f in fields(TrainConfig) if f.metadata.get("flag")]


def corpus_key(config: TrainConfig) -> tuple:
    """The values of ``config`` that change the corpus a run reads (``option(corpus=True)``): runs with equal keys
    share one prepared corpus."""
    return tuple(getattr(config, f.name) for f in fields(TrainConfig) if f.metadata.get("corpus"))


def recipe_flags(config: TrainConfig) -> list[str]:
    """The ``python -m attnviz train`` flags that reproduce ``config``: those declared ``always`` first, then the
    others that differ from their defaults (a switch by its name alone)."""
    flags = []
    for f in sorted(train_options(), key=lambda f: not f.metadata["always"]):  # stable: declaration order within
        value = getattr(config, f.name)
        if not (f.metadata["always"] or value != f.default):
            continue
        if isinstance(value, bool):
            flags += [f.metadata["flag"]] if value else []
        else:
            flags += [f.metadata["flag"], f"{value:g}" if isinstance(value, float) else str(value)]
    return flags


def family_flags(model_config) -> list[str]:
    """The ``train`` flags that select a model's family and its fields (from its config or its Recipe), as the
    family declares them (``TranslationModel.train_flags``).

    Raises:
        TypeError: a config of no registered family.
    """
    if isinstance(model_config, Recipe):
        return FAMILIES.get(model_config.family).flags_of(model_config.fields)
    family = next((f for f in FAMILIES if f.config_class is type(model_config)), None)
    if family is None:
        raise TypeError(f"no train flags for {type(model_config).__name__}")
    return family.flags_of(family.fields_of(model_config))


def retrain_command(name: str, model_config, config: TrainConfig, pair: str = "en-fr") -> str:
    """The command that retrains model ``name`` with ``config`` on language pair ``pair``, as written on its card."""
    languages = ["--pair", pair] if pair != "en-fr" else []
    return " ".join(
        [
            "python -m attnviz train",
            *family_flags(model_config),
            "--out",
            f"pretrained/{name}",
            *recipe_flags(config),
            *languages,
        ]
    )


def recipe_differences(saved: dict, current: TrainConfig) -> list[str]:
    """Fields (outside ``RESUMABLE_CHANGES``) where a saved recipe dict differs from ``current``; a field
    the saved recipe lacks (it predates the field) counts as the field's default."""
    return [
        f"{f.name}: {saved.get(f.name, f.default)!r} then, {getattr(current, f.name)!r} now"
        for f in fields(TrainConfig)
        if f.name not in RESUMABLE_CHANGES and saved.get(f.name, f.default) != getattr(current, f.name)
    ]
