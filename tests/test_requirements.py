"""Every library the code imports is declared in requirements.txt, so a fresh virtual environment runs it all."""

import ast
import importlib.metadata
import re
import sys

from .conftest import ROOT

SOURCES = [
    *sorted((ROOT / "attnviz").rglob("*.py")),
    *sorted((ROOT / "tests").glob("*.py")),
    *sorted((ROOT / "scripts").glob("*.py")),
    ROOT / "streamlit_app.py",
]
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
            missing.append(
                f"{module} (imported in {where}) comes from {', '.join(sorted(owners))}, not in requirements.txt"
            )
    assert not missing, "\n".join(missing)


def test_scipy_is_declared_because_pandas_spearman_needs_it():
    # pandas imports SciPy inside Series.corr(method="spearman"); no `import scipy` in our code shows it
    assert "scipy" in declared()
    import pandas

    assert pandas.Series([1, 2, 3]).corr(pandas.Series([1, 3, 2]), method="spearman") == 0.5


def pins(lines) -> dict[str, str]:
    """{normalized distribution name: its requirement as written} of requirement strings."""
    return {normalize(re.split(r"[<>=!~;\[ ]", line)[0]): line.replace(" ", "") for line in lines}


def test_pyproject_and_requirements_name_the_same_pinned_packages():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, test = pins(project["dependencies"]), pins(project["optional-dependencies"]["test"])
    listed = pins(
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    )
    assert not set(runtime) & set(test)
    assert {**runtime, **test} == listed  # same packages, same pins: `pip install .` gives what the README installs


def test_every_library_the_app_imports_is_a_runtime_dependency_of_the_package():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = set(pins(project["dependencies"]))
    distributions = importlib.metadata.packages_distributions()
    app_sources = {str(p.relative_to(ROOT)) for p in [*(ROOT / "attnviz").rglob("*.py"), ROOT / "streamlit_app.py"]}
    missing = []
    for path in sorted(app_sources):
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for module in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - PROJECT:
                owners = {normalize(d) for d in distributions.get(module, [])}
                if not owners & runtime:
                    missing.append(f"{module} (imported in {path}) is not a dependency in pyproject.toml")
    assert not missing, "\n".join(sorted(set(missing)))
