"""attnviz: attention in encoder–decoder translation models and review classifiers, made visible.

Packages by layer, each importing only from those below it (import-linter's contracts in pyproject.toml):
``cli`` and ``ui`` (the interfaces) > ``training`` > ``measurement`` > ``presentation`` > ``inference`` >
``families`` > ``data`` > ``attention`` (scorers, normalizers, alignment). docs/architecture.md says which
file to touch for a new scorer, normalizer, family or view.
"""

__version__ = "0.1.0"
