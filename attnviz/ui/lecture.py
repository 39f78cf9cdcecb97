"""Lectures: a teacher's prepared sequence of views, each with a title and a speaker note, played in the app.

A lecture is a TOML file in ``lectures/`` (readable and diffable; Python reads it
with the standard ``tomllib``)::

    title = "Attention, from the bottleneck to the scorers"

    [[slide]]
    title = "Four scorers, one sentence"
    view = "compare"                      # a view's address: compare, soft-vs-hard, step-by-step …
    note = "What the teacher says here."
    params = { s = "I see her.", m = "en-fr-dot,en-fr-additive" }

``params`` are the URL parameters of ``state.params()`` (the same names as in a
copied address), so a slide is exactly a URL, and any page's address can be
pasted into a lecture file as a slide.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import state

LECTURES_DIR = Path(__file__).resolve().parents[2] / "lectures"


class LectureError(ValueError):
    """A lecture file that cannot be played; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Slide:
    """One step of a lecture.

    Attributes:
        title: shown above the view; note: the speaker note (plain text).
        view: the view's address (``ViewPage.url_path``).
        params: URL parameter → value as text, e.g. {"s": "I see her.", "step": "2"}.
    """

    title: str
    view: str
    note: str = ""
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lecture:
    """A named sequence of slides (``name`` is the file's stem, used in the URL as ``lecture=``)."""

    name: str
    title: str
    slides: tuple[Slide, ...]


def load(path: Path, views: set[str]) -> Lecture:
    """Read and check a lecture file.

    Args:
        path: a ``.toml`` lecture file.
        views: the views' addresses that exist.

    Raises:
        LectureError: unreadable TOML, no slides, a slide without a title or with an
            unknown view, an unknown URL parameter or a value of the wrong kind.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise LectureError(f"{path.name}: not a readable TOML file ({err})") from None
    by_query = {p.query: p for p in state.params()}
    slides = []
    for number, raw in enumerate(data.get("slide", []), 1):
        where = f"{path.name}, slide {number}"
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            raise LectureError(f"{where}: needs a title")
        if raw.get("view") not in views:
            raise LectureError(f"{where}: view {raw.get('view')!r} is not one of {', '.join(sorted(views))}")
        params = {str(k): str(v) for k, v in (raw.get("params") or {}).items()}
        for query, value in params.items():
            if query not in by_query:
                raise LectureError(f"{where}: unknown parameter {query!r}")
            if by_query[query].kind is not list:
                try:
                    state.parse(by_query[query], value)
                except ValueError as err:
                    raise LectureError(f"{where}: {err}") from None
        slides.append(Slide(raw["title"], raw["view"], str(raw.get("note", "")), params))
    if not slides:
        raise LectureError(f"{path.name}: has no [[slide]]")
    return Lecture(path.stem, str(data.get("title", path.stem)), tuple(slides))


def available(views: set[str], folder: Path = LECTURES_DIR) -> tuple[dict[str, Lecture], dict[str, str]]:
    """({name: lecture}, {file name: one-line problem}) for the lecture files in ``folder``."""
    lectures, problems = {}, {}
    for path in sorted(folder.glob("*.toml")):
        try:
            lectures[path.stem] = load(path, views)
        except LectureError as err:
            problems[path.name] = str(err)
    return lectures, problems
