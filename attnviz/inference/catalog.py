"""Model discovery: what is in ``pretrained/``, read from each directory's config.json.

The app and the CLI find models here, grouped by task and language pair; no
list of model names is written anywhere else in the package. Reading the
catalog parses JSON only; loading the weights is ``checkpoint.load``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..families import LANGUAGES, ModelInfo
from .checkpoint import PRETRAINED, CheckpointError, absent_files, find_models, read_config


@dataclass
class ModelEntry:
    """One model directory as the catalog sees it.

    Attributes:
        name: the directory name.
        path: the directory.
        info: its contract, or None when config.json is unreadable.
        config: the config.json dict ({} when unreadable).
        problem: one line saying why it cannot be loaded (missing files with the
            retrain command from its card, or an invalid config), else None.
    """

    name: str
    path: Path
    info: ModelInfo | None
    config: dict = field(default_factory=dict)
    problem: str | None = None

    @property
    def group(self) -> str:
        """'translation · English → French' — how the app groups models."""
        if self.info is None:
            return "unreadable"
        languages = [LANGUAGES.get(self.info.source_language, self.info.source_language)]
        if self.info.target_language:
            languages.append(LANGUAGES.get(self.info.target_language, self.info.target_language))
        return f"{self.info.task} · {' → '.join(languages)}"

    @property
    def shown_by_default(self) -> bool:
        """Whether its card asks the app to select it when a page opens (``"shown_by_default": true``)."""
        return self.config.get("shown_by_default") is True

    @property
    def retrain_command(self) -> str | None:
        """The command that retrains this model, as its card recorded it."""
        return self.config.get("training", {}).get("command") if isinstance(self.config.get("training"), dict) else None


def entry(directory: Path) -> ModelEntry:
    """Read one model directory's config.json into a ``ModelEntry`` (no weights are read)."""
    directory = Path(directory)
    try:
        config = read_config(directory)
        info = ModelInfo.from_config(config)
    except (CheckpointError, ValueError) as err:
        return ModelEntry(directory.name, directory, None, {}, str(err))
    result = ModelEntry(directory.name, directory, info, config)
    missing = absent_files(directory, config)  # the config is already read
    if missing:
        hint = f"; retrain with `{result.retrain_command}`" if result.retrain_command else ""
        result.problem = f"missing {', '.join(missing)} in {directory}{hint}"
    return result


def discover(root: Path = PRETRAINED) -> list[ModelEntry]:
    """Every model directory under ``root``, sorted by group then name."""
    entries = [entry(d) for d in find_models(root)]
    return sorted(entries, key=lambda e: (e.group, e.name))


def default_selection(names: list[str], entries: list[ModelEntry]) -> list[str]:
    """The models a page opens with among ``names``: those whose cards say ``shown_by_default``, else all of them.

    A class sees a few models at first (English → French: the four scorers and the Transformer); the
    others are one click away.
    """
    shown = {e.name for e in entries if e.shown_by_default}
    return [n for n in names if n in shown] or list(names)


def grouped(entries: list[ModelEntry]) -> dict[str, list[ModelEntry]]:
    """Entries by ``group``, in the order of ``entries``."""
    groups: dict[str, list[ModelEntry]] = {}
    for e in entries:
        groups.setdefault(e.group, []).append(e)
    return groups
