"""Model discovery: what is in ``pretrained/`` and in the folders ``ATTNVIZ_MODELS`` names, read from each
directory's config.json.

The app and the CLI find models here, grouped by task and language pair; no
list of model names is written anywhere else in the package. Reading the
catalog parses JSON only; loading the weights is ``checkpoint.load`` (or, for a
Hugging Face folder, ``inference.huggingface``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..families import LANGUAGES, ModelInfo
from ..families.huggingface import UNKNOWN_LANGUAGE, card_of, is_huggingface, model_info
from .checkpoint import CONFIG_FILE, PRETRAINED, CheckpointError, absent_files, find_models, read_config

MODELS_VARIABLE = "ATTNVIZ_MODELS"  # more model folders, separated by ":" (each a model, or a folder of models)


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
        if self.info.source_language == UNKNOWN_LANGUAGE:
            return f"{self.info.task} · languages unknown"
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


def task_of(config: dict) -> str | None:
    """The task of a parsed config.json: its ``task`` field, "translation" for a Hugging Face encoder–decoder."""
    return "translation" if is_huggingface(config) else config.get("task")


def entry(directory: Path) -> ModelEntry:
    """Read one model directory's config.json into a ``ModelEntry`` (no weights are read)."""
    directory = Path(directory)
    try:
        config = read_config(directory)
        info = model_info(directory, config) if is_huggingface(config) else ModelInfo.from_config(config)
    except (CheckpointError, ValueError) as err:  # HuggingFaceError is a ValueError
        return ModelEntry(directory.name, directory, None, {}, str(err))
    if is_huggingface(config):
        return ModelEntry(directory.name, directory, info, card_of(info))
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


def user_folders(value: str | None = None) -> list[Path]:
    """The folders ``ATTNVIZ_MODELS`` names (``value``, else the environment), in order, empty parts skipped."""
    value = os.environ.get(MODELS_VARIABLE, "") if value is None else value
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def discover_all(root: Path = PRETRAINED, folders: list[Path] | None = None) -> list[ModelEntry]:
    """The models of ``root`` and of each user folder (``user_folders``): a folder holding config.json is one
    model, any other folder is searched one level down. A name already taken keeps its first model (pretrained/
    first); a folder that does not exist is an entry with a problem, so the app says so in one line.
    """
    entries = discover(root)
    seen = {e.name for e in entries}
    for folder in user_folders() if folders is None else folders:
        if not folder.is_dir():
            entries.append(
                ModelEntry(
                    folder.name or str(folder),
                    folder,
                    None,
                    {},
                    f"{MODELS_VARIABLE} names {folder}, which is not a folder",
                )
            )
            continue
        found = [entry(folder)] if (folder / CONFIG_FILE).is_file() else discover(folder)
        entries += [e for e in found if e.name not in seen]
        seen |= {e.name for e in found}
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
