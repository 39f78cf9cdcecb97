"""App state: cached models, the sidebar inputs, and their mirror in the URL query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ..checkpoint import PRETRAINED, PRIORS, CheckpointError, missing_files
from ..reference import ReferenceAligner
from ..tokenization import MAX_TOKENS
from ..train import ZOO
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
VIEWS = ("Compare", "Soft vs hard", "Step by step", "What if", "Difference", "Training", "About")
BEAMS = (1, 3, 5)
TEMPERATURES = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
DEFAULT_SENTENCE = EXAMPLES["adjective–noun inversion"]

# session key -> (query parameter, default); lists are stored comma-separated
PARAMS = {
    "sentence": ("s", DEFAULT_SENTENCE),
    "forced": ("f", ""),
    "models": ("m", None),
    "view": ("v", VIEWS[0]),
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
        sentence: English text as typed; forced: French translation to align, or "".
        models: chosen model names (directories in pretrained/), in zoo order.
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


def available_models() -> tuple[list[str], dict[str, str]]:
    """(loadable zoo model names, {name: problem}) for the zoo models that cannot be loaded."""
    names, problems = [], {}
    for name, scorer, placement in ZOO:
        directory = PRETRAINED / name
        missing = missing_files(directory)
        if missing:
            problems[name] = (
                f"missing {', '.join(missing)} in {directory}; retrain with `python -m attnviz train "
                f"--scorer {scorer} --placement {placement} --out pretrained/{name}`"
            )
            continue
        try:
            load_translator(str(directory))
            names.append(name)
        except CheckpointError as err:
            problems[name] = str(err)
    return names, problems


def translator(name: str) -> Translator:
    """A loaded zoo model by directory name."""
    return load_translator(str(PRETRAINED / name))


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
    return raw


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
    if st.session_state["view"] not in VIEWS:
        st.session_state["view"] = VIEWS[0]
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


def sidebar(models: list[str]) -> Inputs:
    """Draw the shared inputs in the sidebar and return them."""
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
            max_chars=400,
            help=f"Up to {MAX_TOKENS} tokens. The view updates when you press Enter or leave the field.",
        )
        st.text_input(
            "French translation to align (optional)",
            key="forced",
            help="Given a translation, each model reads it (forced decoding) and shows where it looks.",
        )
        st.multiselect("Models", models, key="models", help="Scorer and query placement of each pretrained model.")
        st.radio("Decoding", BEAMS, key="beam", horizontal=True, format_func=lambda b: "greedy" if b == 1 else f"beam {b}")
        hypothesis = 0
        if st.session_state["beam"] > 1:
            hypothesis = st.number_input("Show beam hypothesis", 1, st.session_state["beam"], 1) - 1
        st.toggle("Paper style (grayscale, white = 1)", key="paper")
        st.toggle("Mark eflomal's links", key="overlay", help="Statistical word aligner, as a reference.")
    chosen = [m for m in models if m in st.session_state["models"]]
    return Inputs(
        st.session_state["sentence"],
        st.session_state["forced"],
        chosen,
        st.session_state["beam"],
        hypothesis,
        st.session_state["paper"],
        st.session_state["overlay"],
    )
