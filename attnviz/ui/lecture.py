"""Lectures in the app: the lecture files (``presentation.lecture``) checked against the app's views and
URL parameters, for the player (``player``)."""

from __future__ import annotations

from pathlib import Path

from ..presentation.lecture import LECTURES_DIR, Lecture, LectureError, Slide, read
from . import state

__all__ = ["LECTURES_DIR", "Lecture", "LectureError", "Slide", "available", "load"]


def _check(query: str, value: str) -> None:
    """Raise ValueError for a parameter the app does not have or a value of the wrong kind."""
    by_query = {p.query: p for p in state.params()}
    if query not in by_query:
        raise ValueError(f"unknown parameter {query!r}")
    if by_query[query].kind is not list:
        state.parse(by_query[query], value)


def load(path: Path, views: set[str]) -> Lecture:
    """Read and check a lecture file against the app's ``views`` (their addresses) and URL parameters.

    Raises:
        LectureError: as ``presentation.lecture.read``.
    """
    return read(path, views, _check)


def available(views: set[str], folder: Path = LECTURES_DIR) -> tuple[dict[str, Lecture], dict[str, str]]:
    """({name: lecture}, {file name: one-line problem}) for the lecture files in ``folder``."""
    lectures, problems = {}, {}
    for path in sorted(folder.glob("*.toml")):
        try:
            lectures[path.stem] = load(path, views)
        except LectureError as err:
            problems[path.name] = str(err)
    return lectures, problems
