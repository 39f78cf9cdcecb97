"""Every library the code imports is declared in requirements.txt, so a fresh virtual environment runs it all."""

import ast
import importlib.metadata
import re
import sys

from .conftest import ROOT

SOURCES = [*sorted((ROOT / "attnviz").rglob("*.py")), *sorted((ROOT / "tests").glob("*.py")),
           *sorted((ROOT / "scripts").glob("*.py")), ROOT / "streamlit_app.py"]
# the project's own top-level names
PROJECT = {"attnviz", "tests", "conftest", "scripts"}


def imported_modules() -> dict[str, str]:
    """{top-level module: the first file importing it} over the project's sources (absolute imports only)."""
    modules = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                modules.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return modules


def declared() -> set[str]:
    """Distribution names in requirements.txt, normalized (PEP 503)."""
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(normalize(re.split(r"[<>=!~;\[ ]", line)[0]))
    return names


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_library_is_declared_in_requirements():
    distributions = importlib.metadata.packages_distributions()
    wanted, missing = declared(), []
    for module, where in sorted(imported_modules().items()):
        if module in sys.stdlib_module_names or module in PROJECT:
            continue
        owners = {normalize(d) for d in distributions.get(module, [])}
        if not owners:
            missing.append(f"{module} (imported in {where}) is installed by no distribution")
        elif not owners & wanted:
            missing.append(f"{module} (imported in {where}) comes from {', '.join(sorted(owners))}, not in requirements.txt")
    assert not missing, "\n".join(missing)


def test_scipy_is_declared_because_pandas_spearman_needs_it():
    # pandas imports SciPy inside Series.corr(method="spearman"); no `import scipy` in our code shows it
    assert "scipy" in declared()
    import pandas

    assert pandas.Series([1, 2, 3]).corr(pandas.Series([1, 3, 2]), method="spearman") == 0.5
