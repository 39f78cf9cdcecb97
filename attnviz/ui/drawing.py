"""The attention heatmap element on the page: ``presentation.drawing``'s payloads drawn by ``heatmap.js`` in the
browser (Streamlit Custom Components v2, no iframe)."""

from __future__ import annotations

import streamlit as st

from ..presentation.drawing import HEATMAP_JS

_HEATMAP = st.components.v2.component(
    "attnviz.heatmap", js=HEATMAP_JS.read_text(encoding="utf-8"), isolate_styles=False
)  # in the page's DOM (heatmap.js adds its styles, prefixed attnviz-): tests query it


def heatmap(data: dict, key: str) -> None:
    """Draw one heatmap element (``presentation.drawing.payload``'s dict) under widget key ``key``."""
    _HEATMAP(data=data, key=key, width="stretch")
