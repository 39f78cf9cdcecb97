"""App state: discovered models (cached), the sidebar inputs, and their mirror in the URL query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ..catalog import ModelEntry, discover
from ..checkpoint import PRETRAINED, PRIORS, CheckpointError, read_history
from ..reference import ReferenceAligner
from ..tokenization import MAX_TOKENS
from ..translator import Translator

EXAMPLES = {
    "adjective–noun inversion": "The black cat is sleeping on the red chair.",
    "pronoun clitic": "I see her.",
    "pronoun clitic, two objects": "I gave it to him.",
    "negation ne … pas": "I do not like apples.",
    "negation ne … jamais": "He never eats meat.",
    "one-to-many": "I miss you.",
    "many-to-one": "He is going to the station.",
    "possessive": "This is my brother's car.",
    "question inversion": "Where are you going?",
    "idiom": "I am hungry and cold.",
    "partitive": "We need some bread and some milk.",
    "long, Bahdanau style": "The agreement on the European economic area was signed in August 1992 by the ministers.",
}
BEAMS = (1, 3, 5)
TEMPERATURES = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
DEFAULT_SENTENCE = EXAMPLES["adjective–noun inversion"]
MAX_CHARS = 400  # the sentence boxes' limit

# session key -> (query parameter, default); lists are stored comma-separated
PARAMS = {
    "sentence": ("s", DEFAULT_SENTENCE),
    "forced": ("f", ""),
    "models": ("m", None),
    "beam": ("beam", 1),
    "hard_mode": ("hard", "hard"),
    "k": ("k", 2),
    "temperature": ("t", 1.0),
    "seed": ("seed", 0),
    "paper": ("paper", False),
    "overlay": ("eflomal", True),
}


@dataclass
class Inputs:
    """What the sidebar asked for.

    Attributes:
        sentence: source text as typed; forced: a translation to align, or "".
        models: chosen model names (directories in pretrained/), in catalog order.
        beam: 1 = greedy; hypothesis: which beam hypothesis to show (0 = best).
        paper: grayscale paper style; overlay: draw eflomal links.
    """

    sentence: str
    forced: str
    models: list[str]
    beam: int
    hypothesis: int
    paper: bool
    overlay: bool


@st.cache_resource(show_spinner="Loading model …")
def load_translator(path: str) -> Translator:
    """Load a model directory once per server (raises CheckpointError)."""
    return Translator.load(Path(path))


@st.cache_resource(show_spinner="Loading eflomal priors …")
def load_reference() -> ReferenceAligner | None:
    """The eflomal reference aligner, or None when its priors are absent."""
    return ReferenceAligner(PRIORS) if PRIORS.is_file() else None


@st.cache_data(max_entries=256, show_spinner=False)
def reference_links(pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]) -> tuple[frozenset, ...]:
    """eflomal links for (source, target) pairs of lowercased token tuples, in one eflomal run.

    Cached, so a sentence keeps the same links across reruns (eflomal samples).
    """
    aligner = load_reference()
    if aligner is None:
        return tuple(frozenset() for _ in pairs)
    links = aligner.align_many([list(s) for s, _ in pairs], [list(t) for _, t in pairs])
    return tuple(frozenset(x) for x in links)


@st.cache_resource(show_spinner=False)
def catalog() -> list[ModelEntry]:
    """The model directories under pretrained/, read once per server."""
    return discover(PRETRAINED)


def available_models() -> tuple[dict[str, list[str]], dict[str, str]]:
    """({group: loadable translation model names}, {name: one-line problem}) from the catalog."""
    groups: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    for entry in catalog():
        if entry.problem:
            problems[entry.name] = entry.problem
            continue
        if entry.info.task != "translation":
            continue
        try:
            load_translator(str(entry.path))
        except CheckpointError as err:
            problems[entry.name] = str(err)
            continue
        groups.setdefault(entry.group, []).append(entry.name)
    return groups, problems


def model_path(name: str) -> Path:
    """The directory of a model by name."""
    return PRETRAINED / name


def translator(name: str) -> Translator:
    """A loaded model by directory name."""
    return load_translator(str(model_path(name)))


@st.cache_data(show_spinner=False)
def history(name: str) -> list[dict]:
    """A model's training history (per-epoch metrics and demonstration attention), or []."""
    return read_history(model_path(name))


def _from_query(key: str, default):
    param = PARAMS[key][0]
    if param not in st.query_params:
        return default
    raw = st.query_params[param]
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        return default
    return raw[:MAX_CHARS] if key in ("sentence", "forced") else raw


def init_state(models: list[str]) -> None:
    """On a session's first run, fill the widgets' state from the URL (or defaults)."""
    if st.session_state.get("_initialised"):
        return
    for key, (_, default) in PARAMS.items():
        if key == "models":
            raw = st.query_params.get("m")
            chosen = [m for m in raw.split(",") if m in models] if raw else []
            st.session_state[key] = chosen or list(models)
        else:
            st.session_state[key] = _from_query(key, default)
    if st.session_state["beam"] not in BEAMS:
        st.session_state["beam"] = 1
    st.session_state["k"] = min(max(int(st.session_state["k"]), 1), 6)
    tau = st.session_state["temperature"]
    st.session_state["temperature"] = min(TEMPERATURES, key=lambda t: abs(t - tau))
    st.session_state["_initialised"] = True


def sync_query_params() -> None:
    """Mirror the state in the URL so a prepared example can be bookmarked."""
    values = {}
    for key, (param, default) in PARAMS.items():
        value = st.session_state.get(key, default)
        if key == "models":
            value = ",".join(value or [])
        elif isinstance(value, bool):
            value = "1" if value else "0"
        values[param] = str(value)
    if dict(st.query_params) != values:
        st.query_params.from_dict(values)


def _use_example():
    choice = st.session_state.get("example")
    if choice in EXAMPLES:
        st.session_state["sentence"] = EXAMPLES[choice]
        st.session_state["forced"] = ""


def sidebar(groups: dict[str, list[str]]) -> Inputs:
    """Draw the shared inputs in the sidebar, keep them for the page (``inputs``) and return them."""
    models = [name for names in groups.values() for name in names]
    with st.sidebar:
        st.selectbox(
            "Class examples",
            list(EXAMPLES),
            index=None,
            placeholder="pick an example …",
            key="example",
            on_change=_use_example,
        )
        st.text_input(
            "English sentence",
            key="sentence",
            max_chars=MAX_CHARS,
            help=f"Up to {MAX_TOKENS} tokens. The view updates when you press Enter or leave the field.",
        )
        st.text_input(
            "French translation to align (optional)",
            key="forced",
            max_chars=MAX_CHARS,
            help="Given a translation, each model reads it (forced decoding) and shows where it looks.",
        )
        st.multiselect(
            "Models",
            models,
            key="models",
            help="Grouped by task and language pair: " + "; ".join(f"{g}: {len(n)}" for g, n in groups.items()),
        )
        st.radio("Decoding", BEAMS, key="beam", horizontal=True, format_func=lambda b: "greedy" if b == 1 else f"beam {b}")
        hypothesis = 0
        if st.session_state["beam"] > 1:
            hypothesis = st.number_input("Show beam hypothesis", 1, st.session_state["beam"], 1) - 1
        st.toggle("Paper style (grayscale, white = 1)", key="paper")
        st.toggle("Mark eflomal's links", key="overlay", help="Statistical word aligner, as a reference.")
    chosen = [m for m in models if m in st.session_state["models"]]
    st.session_state["_inputs"] = Inputs(
        st.session_state["sentence"],
        st.session_state["forced"],
        chosen,
        st.session_state["beam"],
        hypothesis,
        st.session_state["paper"],
        st.session_state["overlay"],
    )
    return st.session_state["_inputs"]


def inputs() -> Inputs:
    """The sidebar's inputs of this run (drawn by ``streamlit_app.py`` before the page runs)."""
    return st.session_state["_inputs"]
