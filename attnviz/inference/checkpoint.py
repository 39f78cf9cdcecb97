"""Model directories: config.json + model.safetensors + one vocabulary per language.

Loading reads JSON and safetensors only, so a checkpoint can never execute
code, and checks in an order that allocates nothing until everything is known
to fit: the config's contract and family fields (types, ranges, known names);
the vocabulary files (sizes, duplicates); the safetensors *header* against the
shapes the config implies (the module is built on the meta device, which
allocates no memory); then the weights themselves (finite). Every failure is a
``CheckpointError`` whose one-line message names the file and the field.

Weights are stored as float16 (half the size, no measurable change in output
at these sizes) and loaded back as float32. Every file is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..data.files import atomic_path, atomic_write_text
from ..data.modelcard import Metrics
from ..data.tokenization import Vocab
from ..families import ModelInfo, family_config

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
HISTORY_FILE = "history.json"
CARD_FILE = "README.md"
PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"


def priors_path(pair: str = "en-fr", segmentation: str = "words") -> Path:
    """The eflomal reference priors for a language pair ("en-fr") and its Chinese segmentation, in pretrained/."""
    return PRETRAINED / f"eflomal-{pair}{'' if segmentation == 'words' else '-' + segmentation}.priors.gz"


PRIORS = priors_path()  # English–French, the pair of the gold alignments
MAX_CONFIG_BYTES = 1_000_000  # a config.json is a few kB; refuse to parse anything huge
MAX_JSON_DEPTH = 32
STORED_DTYPES = {"F16", "F32", "BF16"}  # a float parameter or buffer
STORED_INTEGER_DTYPES = {"I64"}  # an integer buffer (a lexicon's target ids)


class CheckpointError(Exception):
    """A model directory is missing, incomplete, corrupt or inconsistent; the message names the file."""


@dataclass
class LoadedModel:
    """A loaded model directory.

    Attributes:
        model: the family's module, float32, in eval mode.
        info: the contract (task, family, languages, attention layout).
        src_vocab: source vocabulary; tgt_vocab: target vocabulary (None for classifiers).
        config: the whole config.json dict (card: training, metrics …).
    """

    model: torch.nn.Module
    info: ModelInfo
    src_vocab: Vocab
    tgt_vocab: Vocab | None
    config: dict


def vocab_file(language: str) -> str:
    """'vocab.en.json' for language 'en'."""
    return f"vocab.{language}.json"


def model_files(config: dict) -> tuple[str, ...]:
    """The files a model directory with this config needs."""
    languages = [config.get("source_language"), config.get("target_language")]
    return (CONFIG_FILE, WEIGHTS_FILE, *(vocab_file(lang) for lang in languages if isinstance(lang, str)))


def absent_files(directory: Path, config: dict) -> list[str]:
    """Names of the files this config needs that ``directory`` lacks."""
    return [name for name in model_files(config) if not (Path(directory) / name).is_file()]


def missing_files(directory: Path) -> list[str]:
    """Names of the required files absent from ``directory`` (config.json alone when that is absent)."""
    directory = Path(directory)
    if not (directory / CONFIG_FILE).is_file():
        return [CONFIG_FILE]
    try:
        config = read_config(directory)
    except CheckpointError:
        return []  # present but unreadable: load() says what is wrong
    return absent_files(directory, config)


def find_models(root: Path = PRETRAINED) -> list[Path]:
    """Model directories (those holding a config.json) under ``root``, sorted by name."""
    return sorted(p.parent for p in Path(root).glob(f"*/{CONFIG_FILE}"))


def save(
    directory: Path,
    model: torch.nn.Module,
    info: ModelInfo,
    src_vocab: Vocab,
    tgt_vocab: Vocab | None = None,
    card: dict | None = None,
) -> None:
    """Write a model directory, every file atomically.

    Args:
        directory: created if needed.
        model: a registered family's module; its ``config`` fields go to the top
            level of config.json, after the contract fields of ``info``.
        info: the contract (task, family, languages, attention layout).
        card: extra top-level entries (name, training data, licence, split,
            metrics); they must not clash with the contract or config keys.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {**(card or {}), **info.to_dict(), **model.config.to_dict()}
    atomic_write_text(directory / CONFIG_FILE, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    # floats stored as float16 (half the size, decoding unchanged); integer buffers (a lexicon's ids) as they are
    weights = {
        name: t.detach().to("cpu", torch.float16 if t.is_floating_point() else t.dtype).contiguous()
        for name, t in model.state_dict().items()
    }
    with atomic_path(directory / WEIGHTS_FILE) as tmp:
        save_file(weights, str(tmp))
    src_vocab.save(directory / vocab_file(info.source_language))
    if tgt_vocab is not None and info.target_language:
        tgt_vocab.save(directory / vocab_file(info.target_language))


def _depth(value, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def read_config(directory: Path) -> dict:
    """The parsed config.json of a model directory.

    Raises:
        CheckpointError: missing, over 1 MB, not valid UTF-8 JSON, not an object,
            or nested deeper than 32 levels (naming the file).
    """
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"missing {path}")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"{path} is {path.stat().st_size} bytes; a config is at most {MAX_CONFIG_BYTES}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise CheckpointError(f"corrupt {path}: {str(err).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"corrupt {path}: expected a JSON object")
    if _depth(config) > MAX_JSON_DEPTH:
        raise CheckpointError(f"corrupt {path}: nested deeper than {MAX_JSON_DEPTH} levels")
    return config


def _vocab(path: Path, size: int) -> Vocab:
    try:
        vocab = Vocab.load(path)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CheckpointError(f"corrupt {path}: {str(err).splitlines()[0]}") from None
    if len(vocab) != size:
        raise CheckpointError(f"{path} has {len(vocab)} tokens but {CONFIG_FILE} says {size}")
    return vocab


def _expected_shapes(family, family_cfg) -> dict[str, tuple[tuple[int, ...], bool]]:
    """(shape, is float) of every parameter and buffer the config implies, from a module built on the meta
    device (no memory)."""
    with torch.device("meta"):
        skeleton = family(family_cfg)
    return {name: (tuple(t.shape), t.is_floating_point()) for name, t in skeleton.state_dict().items()}


def _read_weights(path: Path, expected: dict[str, tuple[tuple[int, ...], bool]], what: str) -> dict[str, torch.Tensor]:
    """Check the safetensors header against ``expected`` (names, shapes, float or integer), then read the
    tensors and check the floats are finite.

    Returns:
        name → tensor, floats as float32 (the models compute in float32; float16's isfinite is ~10× slower
        on a CPU, and the check runs on every load).
    """
    try:
        with safe_open(str(path), "pt") as f:
            names = set(f.keys())
            if names != set(expected):
                extra, lacking = sorted(names - set(expected)), sorted(set(expected) - names)
                raise CheckpointError(
                    f"{path} does not match {CONFIG_FILE} ({what}): unexpected {extra[:5]}, missing {lacking[:5]}"
                )
            for name in sorted(names):
                info = f.get_slice(name)
                shape, is_float = expected[name]
                if info.get_dtype() not in (STORED_DTYPES if is_float else STORED_INTEGER_DTYPES):
                    wanted = "float16/32" if is_float else "int64"
                    raise CheckpointError(f"{path}: {name} is stored as {info.get_dtype()}; expected {wanted}")
                if tuple(info.get_shape()) != shape:
                    raise CheckpointError(
                        f"{path}: {name} has shape {tuple(info.get_shape())}, but {CONFIG_FILE} implies {shape}"
                    )
            weights = {name: f.get_tensor(name) for name in sorted(names)}
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"corrupt {path}: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
        ) from None
    weights = {name: t.float() if t.is_floating_point() else t for name, t in weights.items()}
    for name, tensor in weights.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path}: {name} holds NaN or infinite values")
    return weights


def load(directory: Path) -> LoadedModel:
    """Load a model directory written by ``save``, in eval mode (see the module docstring for the checks).

    Raises:
        CheckpointError: a missing, corrupt or inconsistent file; one line naming the file and field.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"no model directory at {directory}")
    config = read_config(directory)
    try:
        family, family_cfg, info = family_config(config)
        Metrics.from_card(config)  # the card's figures are read by the app: a wrong kind is refused here
    except ValueError as err:
        raise CheckpointError(f"invalid {directory / CONFIG_FILE}: {err}") from None
    missing = absent_files(directory, config)
    if missing:
        raise CheckpointError(f"{directory} lacks {', '.join(missing)}")
    src_vocab = _vocab(directory / vocab_file(info.source_language), family_cfg.src_vocab_size)
    tgt_vocab = None
    if info.target_language:
        tgt_vocab = _vocab(directory / vocab_file(info.target_language), family_cfg.tgt_vocab_size)
    expected = _expected_shapes(family, family_cfg)
    weights = _read_weights(directory / WEIGHTS_FILE, expected, f"family {info.family!r}")
    try:
        family_cfg.check_weights(weights)
    except ValueError as err:
        raise CheckpointError(f"{directory / WEIGHTS_FILE}: {err}") from None
    model = family(family_cfg)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    model.eval()
    return LoadedModel(model, info, src_vocab, tgt_vocab, config)


def read_history(directory: Path) -> list[dict]:
    """A model's training history (per-epoch metrics and demonstration attention), or [] when absent.

    Raises:
        CheckpointError: history.json exists but is not a JSON list.
    """
    path = Path(directory) / HISTORY_FILE
    if not path.is_file():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"corrupt {path}: {err}") from None
    if not isinstance(history, list):
        raise CheckpointError(f"corrupt {path}: expected a JSON list")
    return history
