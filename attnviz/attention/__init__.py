"""Attention math, the lowest layer: ``scorers`` (energies e = score(q, k)), ``normalizers`` (weights α =
normalize(e)), ``alignment`` (attention → word links, Pharaoh format, AER) and ``registry`` (the registries
that define each scorer, normalizer and family once).

May import: numpy, torch, entmax, and nothing else of attnviz.
"""
