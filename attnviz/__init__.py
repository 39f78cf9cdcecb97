"""attnviz: attention in GRU encoder–decoder translation models, made visible.

Modules by concept: ``scorers`` (energies), ``normalizers`` (weights),
``model`` (encoder–decoder), ``decoding`` (greedy, beam, forced),
``tokenization``, ``checkpoint``, ``translator`` (text in, attention out),
``cli`` (``python -m attnviz``).
"""

__version__ = "0.1.0"
