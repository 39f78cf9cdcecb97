"""The app's pages: one file per view in ``attnviz/ui/views/``, found by scanning that folder.

Each view file starts with literals read here with ``ast`` without running the file:
``ICON`` (a Material icon), ``ORDER`` (its place in its section), ``SECTION`` (one of
``SECTIONS``: the navigation's groups), and optionally ``URL``, its widgets' URL
parameters ({widget key: (parameter, default[, kind[, options]])}, kind one of "str", "int",
"float", "bool", "list"; options {"range": (low, high)} for a widget of fixed range and
{"private": True} for a choice of one person's that class mode does not pass on); its title is ``views.<file stem>`` in the message
catalogues (``i18n``). Adding a view is adding one file and its words
(docs/architecture.md).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..attention.registry import RegistryError
from .i18n import DEFAULT_UI_LANGUAGE, catalogue

VIEWS_DIR = Path(__file__).resolve().parent / "views"
REQUIRED = ("ICON", "ORDER", "SECTION")
# the navigation's groups, in order; their titles are ``sections.<name>`` in the message catalogues
SECTIONS = ("lesson", "comparing", "inside", "beyond")
OPTIONAL = ("URL",)
KINDS = {"str": str, "int": int, "float": float, "bool": bool, "list": list}
OPTIONS = ("range", "private")  # what a URL parameter may declare beside its kind


@dataclass(frozen=True)
class Param:
    """One control mirrored in the URL, so a copied address reproduces the page.

    Attributes:
        key: the session-state key (the widget's key).
        query: the URL parameter's name.
        default: the value when the URL does not name it; None means the view
            computes it from the rest of the state (e.g. the model with the best BLEU).
        kind: the type the URL text is read as: str, int, float, bool or list
            (a comma-separated list of names).
        bounds: (lowest, highest) of a widget with a fixed range: a URL value outside it is replaced by
            the default (with a notice); None for no range.
        private: a choice one person makes for themselves (a language, a guess, a score): class mode
            never sends it from the teacher's page to the students'.
    """

    key: str
    query: str
    default: object
    kind: type = str
    bounds: tuple | None = None
    private: bool = False


DEFAULT_VIEW = (
    "compare"  # the page the bare address opens: the heatmaps (the Why attention lesson comes first in the menu)
)
HOME = "home"  # the bare address's page name inside Streamlit; the default view is also served at /<its url_path>


@dataclass(frozen=True)
class ViewPage:
    """One view file.

    Attributes:
        path: the page script; title: navigation label in English; icon: Material icon name;
        order: position in the navigation; url_path: the page's address (``soft-vs-hard``);
        key: the file stem (``soft_vs_hard``): ``views.<key>`` is its title in each catalogue.
        params: its widgets' URL parameters (its ``URL`` literal).
        section: its group in the navigation, one of ``SECTIONS``.
    """

    path: Path
    title: str
    icon: str
    order: int
    url_path: str
    key: str
    params: tuple[Param, ...] = ()
    section: str = SECTIONS[0]


def read_view(path: Path) -> ViewPage:
    """The ICON, ORDER and URL literals of a view file, and its English title from the catalogue.

    Raises:
        RegistryError: a literal is missing, a section or URL kind unknown, or the catalogue has no title for it
            (names the file).
    """
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in REQUIRED + OPTIONAL:
                values[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise RegistryError(f"view {path.name} lacks {', '.join(missing)}")
    if values["SECTION"] not in SECTIONS:
        raise RegistryError(f"view {path.name}: SECTION {values['SECTION']!r} is not one of {', '.join(SECTIONS)}")
    title = catalogue(DEFAULT_UI_LANGUAGE).get(f"views.{path.stem}")
    if title is None:
        raise RegistryError(f"view {path.name} has no title: add views.{path.stem} to the message catalogues")
    params = []
    for key, declared in values.get("URL", {}).items():
        query, default, kind, options = (*declared, *("str", {})[len(declared) - 2 :])  # kind "str" unless named
        if kind not in KINDS:
            raise RegistryError(
                f"view {path.name}: URL parameter {query!r} has kind {kind!r}; use one of {', '.join(KINDS)}"
            )
        unknown = set(options) - set(OPTIONS)
        if unknown:
            raise RegistryError(f"view {path.name}: URL parameter {query!r} has options {sorted(unknown)}")
        bounds = tuple(options["range"]) if "range" in options else None
        params.append(Param(key, query, default, KINDS[kind], bounds, bool(options.get("private"))))
    return ViewPage(
        path,
        title,
        values["ICON"],
        values["ORDER"],
        path.stem.replace("_", "-"),
        path.stem,
        tuple(params),
        values["SECTION"],
    )


def view_pages() -> list[ViewPage]:
    """Every view file of ``VIEWS_DIR``, by section then ORDER (read once per folder)."""
    return list(_read_views(VIEWS_DIR))


def sections() -> dict[str, list[ViewPage]]:
    """The views grouped as the navigation shows them: {section name: its views in ORDER}, sections in order."""
    grouped = {name: [] for name in SECTIONS}
    for view in view_pages():
        grouped[view.section].append(view)
    return {name: views for name, views in grouped.items() if views}


@lru_cache(maxsize=4)
def _read_views(directory: Path) -> tuple[ViewPage, ...]:
    views = (read_view(p) for p in directory.glob("*.py"))
    return tuple(sorted(views, key=lambda v: (SECTIONS.index(v.section), v.order, v.title)))
