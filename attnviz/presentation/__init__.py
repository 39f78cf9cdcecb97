"""Presentation: what the views show, computed outside the views so the CLI and the tests reach the same code.
``analysis`` (the views' numbers), ``plots`` (Plotly figures), ``export`` (PNG/SVG), ``faithfulness``
(attention beside other importances), ``self_attention`` (worked float64 examples), ``i18n`` (the
message catalogues in ``messages/``).

May import: ``attnviz.inference`` and every layer below it; never training or the UI.
"""
