"""Figures for papers and slides: PNG and SVG files of a heatmap, drawn without a browser."""

import re
import shutil

import numpy as np
import pytest

from attnviz.presentation.export import fonts, heatmap_file
from attnviz.presentation.plots import FigureStyle

from .test_app import heatmaps, start

SOURCE = ["the", "<b>cat</b>", "</s>"]
TARGET = ["le", "chat", "</s>"]


def test_png_and_svg_in_both_styles():
    weights = np.eye(3)
    png = heatmap_file(weights, SOURCE, TARGET, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    svg = heatmap_file(weights, SOURCE, TARGET, "svg", FigureStyle(paper=True), links={(1, 1)}).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "&lt;b&gt;cat&lt;/b&gt;" in svg and "&lt;/s&gt;" in svg  # tokens are text in the file, escaped
    assert "#ff4136" in svg.lower()  # the link's outline
    grays = heatmap_file(weights, SOURCE, TARGET, "svg", FigureStyle(paper=True))
    colours = heatmap_file(weights, SOURCE, TARGET, "svg")
    assert grays != colours


def test_wrong_format_or_shape_is_named():
    with pytest.raises(ValueError, match="format 'pdf'"):
        heatmap_file(np.eye(3), SOURCE, TARGET, "pdf")
    with pytest.raises(ValueError, match="2×3 tokens for a 3×3"):
        heatmap_file(np.eye(3), SOURCE, TARGET[:2], "png")


@pytest.mark.skipif(not shutil.which("fc-list"), reason="fontconfig absent")
def test_chinese_is_drawn_with_a_cjk_font():
    assert any("CJK" in f for f in fonts()), "install Debian's fonts-noto-cjk"
    svg = heatmap_file(np.eye(2), ["欢迎", "北京"], ["welcome", "Beijing"], "svg").decode()
    assert "欢迎" in svg and re.search(r"Noto Sans CJK", svg)


def test_every_heatmap_offers_its_downloads():
    at = start(s="I see her.", m="en-fr-dot,en-fr-additive")
    labels = [b.proto.label for b in at.get("download_button")]
    # the PNG is the browser's own, from each heatmap's canvas (tests/test_browser.py downloads one)
    assert len(heatmaps(at)) == 2 and labels.count("SVG figure") == 2 and "PNG figure" not in labels
    assert labels.count("CSV weights") == 2 and "Download all matrices (CSV)" in labels
