"""Inference: loading and running trained models. ``checkpoint`` (validated model directories, never
unpickled), ``catalog`` (what is in ``pretrained/``), ``decoding`` (greedy, beam, forced, sampled — once for
every family), ``translator`` and ``classifier`` (text in, attention out: the API the app, the CLI and the
tests share), ``reference`` (the eflomal aligner).

May import: ``attnviz.families``, ``attnviz.data``, ``attnviz.attention``.
"""
