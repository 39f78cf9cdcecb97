"""Model families and the contract every family keeps.

A model directory's ``config.json`` names, at the top level, what the model is:

=====================  ===============================================================
field                  meaning
=====================  ===============================================================
``task``               ``translation`` or ``classification``
``family``             a name in ``FAMILIES`` (``rnn``, ``transformer``, ``bottleneck``, ``classifier``, ``huggingface``)
``source_language``    ISO 639-1 code of the input (``en``, ``fr``, ``zh``)
``target_language``    ISO 639-1 code of the output (translation)
``labels``             the classes (classification)
``attention``          ``{"layers": L, "heads": H, "maps": [...]}``: what it exposes
=====================  ===============================================================

and, beside them, the fields of its family's config dataclass. ``build`` reads
that and returns the family's module. Every translation family subclasses
``TranslationModel`` and implements a small *step interface*
(``encode`` → ``initial_state`` → ``decode_step`` …), so greedy, beam, forced
and sampled decoding (``attnviz.inference.decoding``) are written once for all families.
Attention is always reported as records of shape (layers, heads, T, S); an RNN's
is (1, 1, T, S).
"""

# each family module registers itself in FAMILIES when imported: adding a family is one module and one name here
from . import bottleneck, classifier, huggingface, rnn, transformer
from .base import (
    DEFAULT_FAMILY,
    FAMILIES,
    LANGUAGES,
    TASKS,
    FamilyConfig,
    FamilyRegistry,
    ModelInfo,
    Step,
    StepTrace,
    TrainFlag,
    TranslationModel,
    build,
    family_config,
)

__all__ = [
    "DEFAULT_FAMILY",
    "FAMILIES",
    "LANGUAGES",
    "TASKS",
    "FamilyConfig",
    "FamilyRegistry",
    "ModelInfo",
    "Step",
    "StepTrace",
    "TrainFlag",
    "TranslationModel",
    "build",
    "family_config",
    "bottleneck",
    "classifier",
    "huggingface",
    "rnn",
    "transformer",
]
