"""The architecture's import rules: import-linter's contracts (pyproject.toml) hold, every module sits in a
layer, no module imports inside a function without saying why, and no view imports training code."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from attnviz.ui.navigation import VIEWS_DIR

from .conftest import ROOT

PACKAGE = ROOT / "attnviz"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_import_contracts_hold():
    command = [str(Path(sys.executable).parent / "lint-imports"), "--config", "pyproject.toml", "--no-cache"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def test_ruff_lint_and_format_hold():
    """``ruff check`` and ``ruff format --check`` pass ([tool.ruff] in pyproject.toml): CI fails on either."""
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in ([ruff, "check", "--no-cache", "."], [ruff, "format", "--check", "--no-cache", "."]):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, " ".join(command[1:]) + "\n" + result.stdout[-3000:] + result.stderr[-2000:]


def test_every_module_of_the_package_sits_in_a_layer():
    layers = next(c for c in CONFIG["contracts"] if c["type"] == "layers")["layers"]
    placed = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    top_level = {f"attnviz.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    top_level |= {f"attnviz.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert top_level <= placed, f"modules in no layer: {sorted(top_level - placed)}"


def in_function_imports(path):
    """(line, text) of every import statement inside a function of ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for function in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield node.lineno, lines[node.lineno - 1]


def test_an_import_inside_a_function_defers_a_heavy_optional_library_and_says_so():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in in_function_imports(path):
            if " import " in text and ("from ." in text or "attnviz" in text or "#" not in text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text.strip()}")
    assert not found, "\n".join(found)


def test_no_view_imports_training_code():
    for view in sorted(VIEWS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(view.read_text(encoding="utf-8"))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(m.startswith("attnviz.training") for m in modules), view.name


def test_no_view_or_ui_module_reaches_into_the_nn_module():
    # the interface asks a Translator (or the analysis layer); `.model` is the family's nn.Module
    for path in sorted((PACKAGE / "ui").rglob("*.py")):
        reaches = [
            node.lineno
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute) and node.attr == "model"
        ]
        assert not reaches, f"{path.relative_to(ROOT)} lines {reaches}"


def test_no_family_name_is_compared_outside_the_families():
    """Views, inference and training ask a model what it can do (``TranslationModel``'s capability flags,
    ``FamilyConfig.copies``, ``ModelInfo.maps``), never which family it is: a new family keeps every view."""
    from attnviz.families import FAMILIES

    names = {family.family for family in FAMILIES}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "families":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                constants = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
                if names & set(constants):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "family names compared: " + ", ".join(found)


def test_no_function_of_the_package_is_longer_than_80_lines():
    """Functions short enough to read at once (the style guide's limit, decorators and docstring included)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})")
    assert not long, "\n".join(long)
