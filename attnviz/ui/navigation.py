"""The app's pages: one file per view in ``attnviz/ui/views/``, found by scanning that folder.

Each view file starts with two literals — ``ICON`` (a Material icon) and
``ORDER`` — read here with ``ast`` without running the file; its title is
``views.<file stem>`` in the message catalogues (``i18n``). Adding a view is
adding one file and its words (see the README's Architecture section).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..registry import RegistryError
from .i18n import DEFAULT_UI_LANGUAGE, catalogue

VIEWS_DIR = Path(__file__).resolve().parent / "views"
REQUIRED = ("ICON", "ORDER")
DEFAULT_VIEW = "compare"  # the page the bare address opens: the heatmaps (the Why attention lesson comes first in the menu)


@dataclass(frozen=True)
class ViewPage:
    """One view file.

    Attributes:
        path: the page script; title: navigation label in English; icon: Material icon name;
        order: position in the navigation; url_path: the page's address (``soft-vs-hard``);
        key: the file stem (``soft_vs_hard``): ``views.<key>`` is its title in each catalogue.
    """

    path: Path
    title: str
    icon: str
    order: int
    url_path: str
    key: str


def read_view(path: Path) -> ViewPage:
    """The ICON and ORDER literals of a view file, and its English title from the catalogue.

    Raises:
        RegistryError: a literal is missing, or the catalogue has no title for it (names the file).
    """
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in REQUIRED:
                values[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise RegistryError(f"view {path.name} lacks {', '.join(missing)}")
    title = catalogue(DEFAULT_UI_LANGUAGE).get(f"views.{path.stem}")
    if title is None:
        raise RegistryError(f"view {path.name} has no title: add views.{path.stem} to the message catalogues")
    return ViewPage(path, title, values["ICON"], values["ORDER"], path.stem.replace("_", "-"), path.stem)


def view_pages() -> list[ViewPage]:
    """Every view file, in ORDER."""
    return sorted((read_view(p) for p in VIEWS_DIR.glob("*.py")), key=lambda v: (v.order, v.title))
