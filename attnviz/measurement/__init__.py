"""Measurement: ``evaluation`` (BLEU on held-out Tatoeba sentences, AER against the WPT03 gold, the
``evaluate`` table) and ``guided`` (alignment supervision from eflomal's links, and the twin a guided
model is compared with).

May import: ``attnviz.presentation`` and every layer below it; never training or the UI.
"""
