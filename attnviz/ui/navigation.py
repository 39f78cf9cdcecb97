"""The app's pages: one file per view in ``attnviz/ui/views/``, found by scanning that folder.

Each view file starts with three literals — ``TITLE``, ``ICON`` (a Material
icon) and ``ORDER`` — read here with ``ast`` without running the file; adding a
view is adding one file (see the README's Architecture section).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..registry import RegistryError

VIEWS_DIR = Path(__file__).resolve().parent / "views"
REQUIRED = ("TITLE", "ICON", "ORDER")
DEFAULT_VIEW = "compare"  # the page the bare address opens: the heatmaps (the Why attention lesson comes first in the menu)


@dataclass(frozen=True)
class ViewPage:
    """One view file.

    Attributes:
        path: the page script; title: navigation label; icon: Material icon name;
        order: position in the navigation; url_path: the page's address (``soft-vs-hard``).
    """

    path: Path
    title: str
    icon: str
    order: int
    url_path: str


def read_view(path: Path) -> ViewPage:
    """The TITLE, ICON and ORDER literals of a view file.

    Raises:
        RegistryError: one of them is missing or not a literal (names the file).
    """
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in REQUIRED:
                values[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in REQUIRED if name not in values]
    if missing:
        raise RegistryError(f"view {path.name} lacks {', '.join(missing)}")
    return ViewPage(path, values["TITLE"], values["ICON"], values["ORDER"], path.stem.replace("_", "-"))


def view_pages() -> list[ViewPage]:
    """Every view file, in ORDER."""
    return sorted((read_view(p) for p in VIEWS_DIR.glob("*.py")), key=lambda v: (v.order, v.title))
