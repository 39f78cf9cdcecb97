"""Fuzzing every text input with Hypothesis: random Unicode, control characters, RTL marks, emoji,
Markdown/HTML payloads and very long lines through tokenization, translation, forced alignment and
the app. Every case either works or gets the one-line InputError; none raises anything else.

CI runs the default profile (a few minutes in all). The long run, 10,000 strings per property:

    HYPOTHESIS_PROFILE=fuzz FUZZ_APP_EXAMPLES=100 FUZZ_ALIGN_EXAMPLES=2000 pytest tests/test_fuzz.py
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from attnviz.inference.checkpoint import PRETRAINED
from attnviz.inference.translator import InputError, Translator, language_warning

from .test_app import charts, start

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` leaves it out of the quick loop

settings.register_profile("ci", max_examples=300, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=10_000, deadline=10_000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PAYLOADS = [
    "![x](http://example.com/x.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**bold** _it_ `code` $x^2$ :red[red]",
    "[link](javascript:alert(1))",
    "\u202eevil\u202c",
    "\u200f\u200e",
    "a\u2028b\u2029c\x0b\x0c\r",
    "😀👍🏽🇫🇷",
    "欢迎来北京",
    "\x00\x01\x1b[31m",
    "&lt;&amp;&#x27;",
    "</s> <unk> <pad> <s>",
]
texts = st.one_of(
    st.text(max_size=200),  # any Unicode, control characters included
    st.lists(st.sampled_from(PAYLOADS + ["the", "cat", ".", "!!!"]), max_size=60).map(" ".join),
    st.builds(lambda s, n: s * n, st.sampled_from(PAYLOADS + ["word "]), st.integers(1, 20_000)),
)
MODEL = Translator.load(PRETRAINED / "en-fr-dot")


def check(result) -> None:
    """A translation that came back is well formed: weights rows sum to 1, tokens match the shape."""
    assert result.attention.shape == (len(result.target_tokens), len(result.source_tokens))
    assert np.allclose(result.attention.sum(-1), 1, atol=1e-4)


@given(texts)
@example("a" * 100_000)
@example("\n".join(["line"] * 1000))
def test_any_text_translates_or_gets_an_input_error(text):
    try:
        tokens = MODEL.source(text)
    except InputError as err:
        assert "\n" not in str(err)  # one line
        return
    language_warning(text, tokens)
    check(MODEL.translate(text))


@given(texts, texts)
def test_any_pair_aligns_or_gets_an_input_error(source, target):
    try:
        result = MODEL.force(source, target)
    except InputError as err:
        assert "\n" not in str(err)
        return
    check(result)


@settings(max_examples=int(os.environ.get("FUZZ_APP_EXAMPLES", 15)), deadline=None)
@given(st.sampled_from(PAYLOADS) | st.text(max_size=80), st.sampled_from(["", *PAYLOADS]))
def test_the_app_survives_any_text(sentence, forced):
    at = start(s=sentence[:400], f=forced, m="en-fr-dot")
    assert not at.exception
    assert not [e.value for e in at.error if "failed" in e.value]
    for element in at.markdown:
        assert "<img" not in element.value and "](http" not in element.value.replace("\\]\\(", "")


@settings(max_examples=int(os.environ.get("FUZZ_APP_EXAMPLES", 15)), deadline=None)
@given(st.sampled_from(PAYLOADS) | st.text(max_size=40), st.sampled_from(["", *PAYLOADS]))
def test_any_class_code_or_student_id_in_the_address_gets_at_most_one_line(code, student):
    at = start(**{"class": code, "sid": student, "s": "I see her.", "m": "en-fr-dot"})
    assert not at.exception and len(at.error) <= 1  # no class has it, or it is not a code: one line
    assert charts(at)  # and the page works
    for element in at.error:
        assert element.value.startswith("Class mode: ") and "\n" not in element.value
        assert "<" not in element.value.replace("\\<", "")  # shown as text: every "<" escaped


def test_a_huge_line_is_refused_before_tokenizing():
    import pytest

    with pytest.raises(InputError, match="has 200000 characters; the limit is 2000"):
        MODEL.source("a " * 100_000)


@settings(max_examples=int(os.environ.get("FUZZ_ALIGN_EXAMPLES", 60)), deadline=None)
@given(
    st.lists(texts.map(lambda t: t.replace("\n", " ")), min_size=1, max_size=4),
    st.lists(texts.map(lambda t: t.replace("\n", " ")), min_size=1, max_size=4),
    st.booleans(),
)
def test_align_answers_every_pair_file_or_names_the_problem(sources, targets, pretokenized):
    """The align command on any file contents: one output line per pair, or one error naming both line counts."""
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    from attnviz.cli import main

    with tempfile.TemporaryDirectory() as scratch:
        src, tgt = Path(scratch) / "src.txt", Path(scratch) / "tgt.txt"
        # "\r" alone stays inside a line, like every separator other than "\n"
        src.write_text("\n".join(sources) + "\n", encoding="utf-8", newline="")
        tgt.write_text("\n".join(targets) + "\n", encoding="utf-8", newline="")
        out, err = io.StringIO(), io.StringIO()
        args = ["align", "--model", str(PRETRAINED / "en-fr-dot"), "--src", str(src), "--tgt", str(tgt)]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args + (["--pretokenized"] if pretokenized else []))
    if len(sources) != len(targets):
        assert code == 2 and f"has {len(sources)} lines but" in err.getvalue()
        return
    assert code in (0, 1) and out.getvalue().count("\n") == len(sources)
    assert "Traceback" not in err.getvalue()
