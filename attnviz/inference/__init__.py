"""Inference: loading and running trained models. ``checkpoint`` (validated model directories, never
unpickled), ``catalog`` (what is in ``pretrained/``), ``decoding`` (greedy, beam, forced, sampled — once for
every family), ``translator`` and ``classifier`` (text in, attention out: the API the app, the CLI and the
tests share), ``huggingface`` (a Hugging Face encoder–decoder from a local folder, its pieces merged to words),
``reference`` (the eflomal aligner).

May import: ``attnviz.families``, ``attnviz.data``, ``attnviz.attention``.
"""

# a Hugging Face folder loads through Translator.load wherever a translator is loaded (it registers its reader)
from . import huggingface  # noqa: E402,F401
