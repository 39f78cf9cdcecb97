"""App state: discovered models (cached), the sidebar inputs, and their mirror in the URL query parameters."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch

from ..data.modelcard import Metrics
from ..data.reviews import IMDB_DIR, LABELS, Review, read_reviews
from ..data.tatoeba import DEFAULT_PAIR
from ..data.tokenization import MAX_TOKENS
from ..inference.catalog import ModelEntry, default_selection, discover_all
from ..inference.checkpoint import PRETRAINED, PRIORS, priors_path, read_history
from ..inference.classifier import Classifier
from ..inference.reference import ReferenceAligner
from ..inference.translator import ALL_HEADS, CARD_HEADS, Translator, head_choice_keys
from ..measurement.evaluation import DEFAULT_GOLD, GoldSet, load_gold
from ..presentation.examples import EXAMPLES, default_sentence
from .i18n import DEFAULT_UI_LANGUAGE, UI_LANGUAGES, bound, language_name, t
from .navigation import Param, view_pages

DEFAULT_SENTENCE = default_sentence(DEFAULT_PAIR.name)
BEAMS = (1, 3, 5)
TEMPERATURES = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
MAX_CHARS = 400  # the sentence boxes' limit
SERVING_THREADS = 1

SHARED_PARAMS = (
    # shared, in the sidebar ("pair" first: the models and sentence depend on it)
    Param("ui_language", "lang", DEFAULT_UI_LANGUAGE, private=True),
    Param("pair", "pair", DEFAULT_PAIR.name),
    Param("sentence", "s", DEFAULT_SENTENCE),
    Param("forced", "f", ""),
    Param("models", "m", None, list),
    Param("beam", "beam", 1, int),
    Param("hypothesis", "hyp", 1, int, bounds=(1, max(BEAMS))),
    Param("paper", "paper", False, bool),
    Param("overlay", "eflomal", True, bool),
    Param("present", "present", False, bool, private=True),
    Param("heads_shown", "head", CARD_HEADS),
    # the lecture player
    Param("lecture", "lecture", "", private=True),
    Param("slide", "slide", 1, int, private=True),
    # class mode: the class followed, and this student's random id (so a reconnecting page is the same student)
    Param("class_code", "class", "", private=True),
    Param("student_id", "sid", "", private=True),
)


def params() -> tuple[Param, ...]:
    """Every control mirrored in the URL: the shared ones first ("pair" first of all: the models and sentence
    depend on it), then each view's own, as its file declares them (``navigation.read_view``)."""
    return SHARED_PARAMS + tuple(param for view in view_pages() for param in view.params)


def url_param(key: str) -> Param:
    """The URL parameter of widget ``key``.

    Raises:
        KeyError: no control has that key.
    """
    for declared in params():
        if declared.key == key:
            return declared
    raise KeyError(f"no URL parameter for widget {key!r}")


def bounds(key: str) -> tuple:
    """(lowest, highest) that widget ``key``'s URL parameter declares (``Param.bounds``; a view's widget reads its
    range here, so the URL check and the widget agree).

    Raises:
        KeyError: no control has that key, or it declares no range.
    """
    declared = url_param(key).bounds
    if declared is None:
        raise KeyError(f"URL parameter of {key!r} declares no range")
    return declared


def private_queries() -> tuple[str, ...]:
    """The URL parameters each person keeps for themselves (``Param.private``): class mode never passes them on."""
    return tuple(p.query for p in params() if p.private)


KIND_NAMES = {int: "a whole number", float: "a number", bool: "1 or 0"}


@dataclass
class Inputs:
    """What the sidebar asked for.

    Attributes:
        sentence: source text as typed; forced: a translation to align, or "".
        models: chosen model names (directories in pretrained/), in catalog order.
        beam: 1 = greedy; hypothesis: which beam hypothesis to show (0 = best).
        paper: grayscale paper style; overlay: draw eflomal links.
        present: presentation mode (large labels, one heatmap per row).
        head: which attention of a multi-head model the views show (``Translation.showing``).
        pair: the language pair of the models, "en-fr" or "zh-en" (a key of ``EXAMPLES``).
    """

    sentence: str
    forced: str
    models: list[str]
    beam: int
    hypothesis: int
    paper: bool
    overlay: bool
    present: bool
    head: str = CARD_HEADS
    pair: str = DEFAULT_PAIR.name


@st.cache_resource(show_spinner=False)  # ``translator`` shows a spinner in the interface language
def load_translator(path: str) -> Translator:
    """Load a model directory once per server (raises CheckpointError).

    Decoding runs with ``SERVING_THREADS`` torch threads: Streamlit runs every session's script
    in its own thread, so a class's sessions already fill the cores, and more intra-op threads
    per session would only oversubscribe them (one sentence's small GRU/Transformer steps gain
    little from a second thread; see scripts/benchmark_class.py).
    """
    torch.set_num_threads(SERVING_THREADS)
    return Translator.load(Path(path))


@st.cache_resource(show_spinner=False)
def load_reference(priors: Path) -> ReferenceAligner | None:
    """The eflomal reference aligner with ``priors`` (``checkpoint.priors_path``), or None when they are absent."""
    return ReferenceAligner(priors) if priors.is_file() else None


@st.cache_data(max_entries=256, show_spinner=False)
def reference_links(
    pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...],
    priors: Path = PRIORS,
) -> tuple[frozenset, ...]:
    """eflomal links for (source, target) pairs of lowercased token tuples, in one eflomal run with the
    priors of their language pair (none without priors: the links of another pair would be noise).

    Cached, so a sentence keeps the same links across reruns (eflomal samples).
    """
    aligner = load_reference(priors)
    if aligner is None:
        return tuple(frozenset() for _ in pairs)
    links = aligner.align_many([list(s) for s, _ in pairs], [list(t) for _, t in pairs])
    return tuple(frozenset(x) for x in links)


@st.cache_resource(show_spinner=False)
def catalog() -> list[ModelEntry]:
    """The model directories under pretrained/ and in the folders ``ATTNVIZ_MODELS`` names, read once per server."""
    return discover_all(PRETRAINED)


def pair_label(pair: str, tr=t) -> str:
    """'English → French' for "en-fr", in the interface language (``tr``: ``t`` or ``i18n.bound()``)."""
    return " → ".join(language_name(code, tr) for code in pair.split("-"))


def heads_label(choice: str, tr=t) -> str:
    """A head choice (``Translation.showing``) in words: 'layer 2 · head 3', 'layer 2 · mean of its heads',
    'mean of all layers and heads', or the card's alignment attention (``tr``: ``t`` or ``i18n.bound()``)."""
    if choice == CARD_HEADS:
        return tr("heads.card")
    if choice == ALL_HEADS:
        return tr("heads.all")
    layer, _, head = choice.partition(".")
    return tr("heads.one", layer=layer, head=head) if head else tr("heads.layer_mean", layer=layer)


def param_default(param: Param):
    """A parameter's default in the current state: the sentence's depends on the language pair."""
    return default_sentence(st.session_state.get("pair")) if param.key == "sentence" else param.default


def chosen_pair(raw: str | None, groups: dict[str, list[str]]) -> str:
    """The language pair named by ``raw`` (a URL or slide parameter) when it has models, else the default
    pair, else the first one with models."""
    if raw in groups:
        return raw
    return DEFAULT_PAIR.name if DEFAULT_PAIR.name in groups else next(iter(groups))


def chosen_models(raw: str | None, models: list[str]) -> list[str]:
    """The models of a comma-separated ``raw`` that are among ``models`` (the pair's), or the pair's defaults."""
    return [m for m in (raw or "").split(",") if m in models] or default_models(models)


def default_models(models: list[str]) -> list[str]:
    """The models a page opens with (``catalog.default_selection``)."""
    return default_selection(models, catalog())


def available_models() -> tuple[dict[str, list[str]], dict[str, str]]:
    """({language pair "en-fr": translation model names}, {name: one-line problem}) from the catalog.

    Reads config.json files only: weights load on first use (``load_translator``, cached across sessions),
    so a cold server loads only the models its first page shows. A model whose weights turn out broken
    says so in one line where it is drawn (``common.model_panel``).
    """
    groups: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    for entry in catalog():
        if entry.problem:
            problems[entry.name] = entry.problem
        elif entry.info.task == "translation" and entry.info.maps:  # the views show attention
            groups.setdefault(entry.info.pair_name, []).append(entry.name)
    return groups, problems


def _catalogued(wanted) -> list[str]:
    """Names of the catalog's entries without a problem for which ``wanted(info)`` holds."""
    return [entry.name for entry in catalog() if not entry.problem and wanted(entry.info)]


def baseline_models(pair: str) -> list[str]:
    """Translation models of ``pair`` without attention (the bottleneck baseline), for the Why attention view."""
    return _catalogued(lambda info: info.task == "translation" and not info.maps and info.pair_name == pair)


def classifier_models() -> list[str]:
    """Text classifiers in pretrained/ (the review view's models)."""
    return _catalogued(lambda info: info.task == "classification")


@st.cache_resource(show_spinner=False)  # ``classifier`` shows a spinner in the interface language
def load_classifier(path: str) -> Classifier:
    """Load a classifier directory once per server (raises CheckpointError)."""
    torch.set_num_threads(SERVING_THREADS)
    return Classifier.load(Path(path))


@st.cache_resource(show_spinner=False)
def sample_reviews() -> list[Review]:
    """Test reviews to pick from: the first half of the Reviews view's ``review_pick`` range of negative and of
    positive ones of the test
    file, alternating ([] when the data is absent)."""
    try:
        reviews = read_reviews(IMDB_DIR / "test.tsv.gz")
    except FileNotFoundError:
        return []
    half = bounds("review_pick")[1] // 2
    by_label = [[r for r in reviews if r.label == label][:half] for label in LABELS]
    return [r for pair in zip(*by_label) for r in pair]


def guided_models(pair: str) -> list[str]:
    """Models of ``pair`` in pretrained/ whose attention was trained against alignments (a card with
    ``supervision``), the lowest dev AER first (models without one last)."""
    guided = [
        e
        for e in catalog()
        if not e.problem
        and e.info.maps
        and e.info.pair_name == pair
        and isinstance(e.config.get("training"), dict)
        and "supervision" in e.config["training"]
    ]

    def dev_aer(entry: ModelEntry) -> float:
        aer = Metrics.from_card(entry.config).dev_aer
        return float("inf") if aer is None else aer

    return [e.name for e in sorted(guided, key=dev_aer)]


def unguided_twin(name: str) -> str | None:
    """The model a guided model's card names as its unguided twin (same architecture, no guidance), or None."""
    supervision = translator(name).card.get("training", {}).get("supervision", {})
    return (supervision.get("unguided_twin") or {}).get("name")


@st.cache_resource(show_spinner=False)
def gold_set() -> GoldSet | None:
    """The WPT03 Hansards dev pairs with their gold alignments, or None when the data is absent."""
    try:
        return load_gold(DEFAULT_GOLD)
    except FileNotFoundError:
        return None


def model_path(name: str) -> Path:
    """The directory of a model by name: its catalog entry's (a user folder's model too), else pretrained/name."""
    return next((e.path for e in catalog() if e.name == name), PRETRAINED / name)


_LOADED: set[tuple[str, str]] = set()  # (loader, path) this process has loaded: no spinner for those


def _loaded(load, name: str, message: str):
    """``load`` of model ``name``'s directory (once per server), under a spinner in the interface language the first
    time this process loads it (Streamlit shows a spinner only after 0.5 s)."""
    path = str(model_path(name))
    if (load.__name__, path) in _LOADED:
        return load(path)
    with st.spinner(t(message, name=name)):
        loaded = load(path)
    _LOADED.add((load.__name__, path))
    return loaded


def translator(name: str) -> Translator:
    """A loaded model by directory name (raises CheckpointError)."""
    return _loaded(load_translator, name, "app.loading_model")


def classifier(name: str) -> Classifier:
    """A loaded text classifier by directory name (raises CheckpointError)."""
    return _loaded(load_classifier, name, "app.loading_classifier")


def model_priors(name: str) -> Path:
    """The eflomal priors that align model ``name``'s tokens (its language pair and segmentation)."""
    info = translator(name).info
    return priors_path(info.pair_name, info.segmentation)


@st.cache_data(show_spinner=False)
def history(name: str) -> list[dict]:
    """A model's training history (per-epoch metrics and demonstration attention), or []."""
    return read_history(model_path(name))


def parse(param: Param, raw: str):
    """The value of URL text ``raw`` for ``param`` (text is cut to MAX_CHARS).

    Raises:
        ValueError: ``raw`` is not of the parameter's kind (the message names the parameter).
    """
    if param.kind is bool:
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no", ""):
            return False
    else:
        try:
            value = param.kind(raw) if param.kind in (int, float) else raw[:MAX_CHARS]
        except ValueError:
            pass
        else:
            if param.kind is not float or math.isfinite(value):
                return value
    raise ValueError(f"URL parameter {param.query}={raw[:40]!r} is not {KIND_NAMES[param.kind]}; using the default")


def init_state(groups: dict[str, list[str]]) -> None:
    """Fill the widgets' state from the URL on a session's first run; keep every view's state on later runs.

    Args:
        groups: loadable model names by language pair (``available_models``).

    Values the URL gets wrong are replaced by defaults and listed in
    ``st.session_state["_url_notices"]`` (one line each) for the page to show.
    """
    if st.session_state.get("_initialised"):
        # Streamlit forgets a widget's value on runs that do not draw it; re-setting the key
        # keeps the state of views not on screen, so the URL keeps describing all of them.
        for param in params():
            if param.key in st.session_state:
                st.session_state[param.key] = st.session_state[param.key]
        return
    notices = []
    for param in params():
        raw = st.query_params.get(param.query)
        if param.key == "pair":
            pair = chosen_pair(raw, groups)
            if raw is not None and raw != pair:
                notices.append(t("url.pair", raw=repr(raw[:40]), pair=pair))
            st.session_state[param.key] = pair
        elif param.key == "models":
            models = groups[st.session_state["pair"]]
            unknown = [m for m in raw.split(",") if m not in models] if raw else []
            if unknown:
                notices.append(t("url.models", pair=st.session_state["pair"], names=", ".join(unknown)[:80]))
            st.session_state[param.key] = chosen_models(raw, models)
        elif param.kind is list:  # the view keeps the names it knows
            st.session_state[param.key] = raw[:MAX_CHARS].split(",") if raw else list(param.default)
        elif raw is None:
            if param.default is not None:
                st.session_state[param.key] = param_default(param)
        else:
            try:
                st.session_state[param.key] = parse(param, raw)
            except ValueError:
                notices.append(
                    t("url.kind", query=param.query, raw=repr(raw[:40]), kind=t(f"url.kind_{param.kind.__name__}"))
                )
                if param.default is not None:
                    st.session_state[param.key] = param.default
    if st.session_state["ui_language"] not in UI_LANGUAGES:
        notices.append(
            t(
                "url.choice",
                query="lang",
                raw=repr(st.session_state["ui_language"][:20]),
                choices=", ".join(UI_LANGUAGES),
                using=DEFAULT_UI_LANGUAGE,
            )
        )
        st.session_state["ui_language"] = DEFAULT_UI_LANGUAGE
    if st.session_state["beam"] not in BEAMS:
        notices.append(
            t(
                "url.choice",
                query="beam",
                raw=st.session_state["beam"],
                choices=", ".join(map(str, BEAMS)),
                using=t("sidebar.greedy"),
            )
        )
        st.session_state["beam"] = 1
    for param in params():
        if param.bounds and not param.bounds[0] <= st.session_state[param.key] <= param.bounds[1]:
            low, high = param.bounds
            notices.append(t("url.range", query=param.query, raw=st.session_state[param.key], low=low, high=high))
            st.session_state[param.key] = param.default
    tau = st.session_state["temperature"]
    st.session_state["temperature"] = min(TEMPERATURES, key=lambda t: abs(t - tau))
    st.session_state["_url_notices"] = notices
    st.session_state["_initialised"] = True


def presenting() -> bool:
    """Whether presentation mode is on (read before the page is set up, so from the URL on a first run)."""
    if "present" in st.session_state:
        return bool(st.session_state["present"])
    try:
        return parse(url_param("present"), st.query_params.get("present", "0"))
    except ValueError:
        return False


def url_notices() -> list[str]:
    """The one-line notices about URL parameters that were wrong, shown once (on the first run)."""
    return st.session_state.pop("_url_notices", [])


def query_values() -> dict[str, str]:
    """The URL parameters that describe the current state (values equal to their default are left out)."""
    values = {}
    for param in params():
        value = st.session_state.get(param.key)
        if value is None or value == param_default(param):
            continue
        if param.kind is list:
            value = ",".join(value)
        elif param.kind is bool:
            value = "1" if value else "0"
        values[param.query] = str(value)
    return values


def sync_query_params() -> None:
    """Mirror the state in the URL so a copied address reproduces the page."""
    values = query_values()
    if dict(st.query_params) != values:
        st.query_params.from_dict(values)


def default(key: str, value, allowed=None) -> None:
    """Give widget ``key`` the value ``value`` unless it holds one of ``allowed`` (any value when None).

    Views call this before drawing a widget whose options depend on the sentence
    (a step, a source position), instead of passing ``index=``/``value=``, so a
    value from the URL or another view wins when it is still valid.
    """
    current = st.session_state.get(key)
    if current is None or (allowed is not None and current not in allowed):
        st.session_state[key] = value


def _use_example():
    examples = EXAMPLES.get(st.session_state["pair"], {})
    choice = st.session_state.get("example")
    if choice in examples:
        st.session_state["sentence"] = examples[choice]
        st.session_state["forced"] = ""


def _use_pair(groups: dict[str, list[str]]):
    """Radio callback: a new language pair starts with its models and its first example."""
    pair = st.session_state["pair"]
    st.session_state["models"] = default_models(groups[pair])
    st.session_state["sentence"] = default_sentence(pair)
    st.session_state["forced"] = ""
    st.session_state["example"] = None


def sidebar(groups: dict[str, list[str]]) -> Inputs:
    """Draw the shared inputs in the sidebar, keep them for the page (``inputs``) and return them.

    Args:
        groups: loadable model names by language pair (``available_models``).
    """
    tr = bound()  # the widgets' format_func labels
    with st.sidebar:
        pair = _text_inputs(groups, tr)
        models = groups[pair]
        st.multiselect(
            t("sidebar.models"),
            models,
            key="models",
            help=t("sidebar.models_help", pair=pair_label(pair), count=len(models)),
        )
        hypothesis, head_options = _decoding_inputs(models, tr)
        st.toggle(t("sidebar.present"), key="present", help=t("sidebar.present_help"))
        st.toggle(t("sidebar.paper"), key="paper")
        st.toggle(t("sidebar.overlay"), key="overlay", help=t("sidebar.overlay_help"))
    chosen = [m for m in models if m in st.session_state["models"]]
    st.session_state["_inputs"] = Inputs(
        st.session_state["sentence"],
        st.session_state["forced"],
        chosen,
        st.session_state["beam"],
        hypothesis,
        st.session_state["paper"],
        st.session_state["overlay"],
        st.session_state["present"],
        st.session_state["heads_shown"] if len(head_options) > 1 else CARD_HEADS,
        pair,
    )
    return st.session_state["_inputs"]


def _text_inputs(groups: dict[str, list[str]], tr) -> str:
    """The sidebar's interface language, language pair, class examples, sentence and forced translation; returns
    the pair."""
    st.segmented_control(
        t("sidebar.interface_language"),
        list(UI_LANGUAGES),
        key="ui_language",
        format_func=UI_LANGUAGES.get,
        required=True,
    )
    if len(groups) > 1:
        st.radio(
            t("sidebar.languages"),
            list(groups),
            key="pair",
            horizontal=True,
            format_func=functools.partial(pair_label, tr=tr),
            on_change=_use_pair,
            args=(groups,),
        )
    pair = st.session_state["pair"]
    source, target = (language_name(code) for code in pair.split("-"))
    st.selectbox(
        t("sidebar.examples"),
        list(EXAMPLES.get(pair, {})),
        index=None,
        placeholder=t("sidebar.pick_example"),
        key="example",
        on_change=_use_example,
        format_func=lambda key: tr(f"examples.{key}"),
    )
    st.text_input(
        t("sidebar.sentence", language=source),
        key="sentence",
        max_chars=MAX_CHARS,
        help=t("sidebar.sentence_help", limit=MAX_TOKENS),
    )
    st.text_input(
        t("sidebar.forced", language=target), key="forced", max_chars=MAX_CHARS, help=t("sidebar.forced_help")
    )
    return pair


def _decoding_inputs(models: list[str], tr) -> tuple[int, list[str]]:
    """The sidebar's decoding width, beam hypothesis and head choice; returns (hypothesis, 0-based; the head
    choices offered)."""
    st.radio(
        t("sidebar.decoding"),
        BEAMS,
        key="beam",
        horizontal=True,
        format_func=lambda b: tr("sidebar.greedy") if b == 1 else tr("sidebar.beam", width=b),
    )
    hypothesis = 0
    if st.session_state["beam"] > 1:
        default("hypothesis", 1, range(1, st.session_state["beam"] + 1))
        hypothesis = st.number_input(t("sidebar.hypothesis"), 1, st.session_state["beam"], key="hypothesis") - 1
    head_options = heads_options([m for m in models if m in st.session_state["models"]])
    if len(head_options) > 1:
        default("heads_shown", CARD_HEADS, head_options)
        st.selectbox(
            t("sidebar.heads"),
            head_options,
            key="heads_shown",
            format_func=functools.partial(heads_label, tr=tr),
            help=t("sidebar.heads_help"),
        )
    return hypothesis, head_options


def heads_options(names: list[str]) -> list[str]:
    """The head choices for models ``names``: the card's, the mean of all, each layer's mean and each
    head, up to the largest layers × heads among them; only the card's when none has several heads."""
    shapes = [translator(n).attention_shape() for n in names]
    return head_choice_keys(*max((s for s in shapes if s[1] > 1), default=(1, 1)))


def inputs() -> Inputs:
    """The sidebar's inputs of this run (drawn by ``streamlit_app.py`` before the page runs)."""
    return st.session_state["_inputs"]
