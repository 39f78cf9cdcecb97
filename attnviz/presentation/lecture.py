"""Lecture files: a teacher's prepared sequence of views, each with a title, a speaker note and its URL parameters.

A lecture is a TOML file in ``lectures/`` (readable and diffable; Python reads it
with the standard ``tomllib``)::

    title = "Attention, from the bottleneck to the scorers"

    [[slide]]
    title = "Four scorers, one sentence"
    view = "compare"                      # a view's address: compare, soft-vs-hard, step-by-step …
    note = "What the teacher says here."
    params = { s = "I see her.", m = "en-fr-dot,en-fr-additive" }

``params`` are the app's URL parameters (the same names as in a copied address), so a slide is
exactly a URL. The app plays lectures (``ui.player``); ``lecture_export`` writes one as a single
HTML file that needs no server.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..data.tatoeba import REPO

LECTURES_DIR = REPO / "lectures"


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


def read(path: Path, views: set[str] | None = None, check: Callable[[str, str], None] | None = None) -> Lecture:
    """Read and check a lecture file.

    Args:
        path: a ``.toml`` lecture file.
        views: the views' addresses that exist (None: any name).
        check: ``check(parameter, value)`` raises ValueError (with a one-line message) for an unknown
            parameter or a value of the wrong kind; None checks nothing.

    Raises:
        LectureError: unreadable TOML, no slides, a slide without a title or with an unknown view, or
            a parameter ``check`` refuses; the message names the file and the slide.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise LectureError(f"{Path(path).name}: not a readable TOML file ({err})") from None
    slides = []
    for number, raw in enumerate(data.get("slide", []), 1):
        where = f"{Path(path).name}, slide {number}"
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str):
            raise LectureError(f"{where}: needs a title")
        if not isinstance(raw.get("view"), str) or (views is not None and raw["view"] not in views):
            raise LectureError(f"{where}: view {raw.get('view')!r} is not one of {', '.join(sorted(views or ()))}")
        params = {str(k): str(v) for k, v in (raw.get("params") or {}).items()}
        for query, value in params.items():
            if check is not None:
                try:
                    check(query, value)
                except ValueError as err:
                    raise LectureError(f"{where}: {err}") from None
        slides.append(Slide(raw["title"], raw["view"], str(raw.get("note", "")), params))
    if not slides:
        raise LectureError(f"{Path(path).name}: has no [[slide]]")
    return Lecture(Path(path).stem, str(data.get("title", Path(path).stem)), tuple(slides))
