"""Shared fixtures: a tiny randomly initialised model saved as a real model directory."""

import os
import tempfile
import tomllib
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from attnviz.data.tokenization import SPECIALS, Vocab
from attnviz.families import ModelInfo
from attnviz.families.bottleneck import BottleneckConfig, BottleneckSeq2Seq
from attnviz.families.rnn import RNNConfig, RNNSeq2Seq
from attnviz.families.transformer import TransformerConfig, TransformerSeq2Seq
from attnviz.inference import checkpoint

ROOT = Path(__file__).resolve().parent.parent
# class mode's store: a SQLite file of the test run's own, never the repository's var/ or a configured database
# (the tests that need PostgreSQL take ATTNVIZ_TEST_DATABASE_URL); servers the tests start inherit it
os.environ["ATTNVIZ_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='attnviz-classes-')}/classes.sqlite"
APP = str(ROOT / "streamlit_app.py")  # AppTest resolves relative paths against this file: pass it absolute
# the start of the app's one-line "this view failed" message, in every interface language
VIEW_FAILED = tuple(
    tomllib.loads(path.read_text(encoding="utf-8"))["app"]["view_failed"].split("{")[0]
    for path in sorted((ROOT / "attnviz" / "presentation" / "messages").glob("*.toml"))
)


class CheckedAppTest(AppTest):
    """An AppTest whose every run (the first, a widget's, a page switch's) fails the test when the app raised
    or a view failed: ``streamlit_app.py`` turns a view's exception into one ``st.error`` line for users,
    which ``at.exception`` alone would not see."""

    def _run(self, widget_state=None, timeout=None):
        result = super()._run(widget_state, timeout)
        assert not result.exception, [e.value for e in result.exception]
        failed = [e.value for e in result.error if e.value.startswith(VIEW_FAILED)]
        assert not failed, failed
        return result


def open_app(**query_params) -> CheckedAppTest:
    """The explorer with these URL parameters, not yet run (``.run()`` it); every run is checked."""
    at = CheckedAppTest(Path(APP), default_timeout=180)
    for key, value in query_params.items():
        at.query_params[key] = value
    return at


EN_FR = ModelInfo("translation", "rnn", "en", "fr")
EN_WORDS = "i am cold . the cat is black she sees her you are not here".split()
FR_WORDS = "j' ai froid . le chat est noir elle la voit vous n' êtes pas ici".split()


def tiny_model(
    scorer: str = "additive", placement: str = "conditional", seed: int = 0, normalizer: str = "soft"
) -> tuple:
    """(model, src_vocab, tgt_vocab) with small sizes and random weights."""
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + EN_WORDS), Vocab(list(SPECIALS) + FR_WORDS)
    config = RNNConfig(
        len(src_vocab),
        len(tgt_vocab),
        scorer=scorer,
        placement=placement,
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=12,
        dropout=0.0,
        normalizer=normalizer,
    )
    return RNNSeq2Seq(config).eval(), src_vocab, tgt_vocab


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A model directory with a tiny additive/conditional model."""
    directory = tmp_path_factory.mktemp("models") / "tiny-additive"
    model, src_vocab, tgt_vocab = tiny_model()
    checkpoint.save(directory, model, EN_FR, src_vocab, tgt_vocab, {"training": {"data": "none (random weights)"}})
    return directory


def tiny_transformer(seed: int = 0, layers: int = 2, heads: int = 2) -> tuple:
    """(model, src_vocab, tgt_vocab): a small Transformer with random weights."""
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + EN_WORDS), Vocab(list(SPECIALS) + FR_WORDS)
    config = TransformerConfig(
        len(src_vocab),
        len(tgt_vocab),
        d_model=16,
        heads=heads,
        encoder_layers=layers,
        decoder_layers=layers,
        ffn_size=32,
        dropout=0.0,
    )
    return TransformerSeq2Seq(config).eval(), src_vocab, tgt_vocab


def tiny_bottleneck(seed: int = 0) -> tuple:
    """(model, src_vocab, tgt_vocab): a small attention-free encoder–decoder with random weights."""
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + EN_WORDS), Vocab(list(SPECIALS) + FR_WORDS)
    config = BottleneckConfig(
        len(src_vocab), len(tgt_vocab), embedding_size=16, encoder_size=8, decoder_size=16, dropout=0.0
    )
    return BottleneckSeq2Seq(config).eval(), src_vocab, tgt_vocab


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A SQLAlchemy URL of a running PostgreSQL: ``ATTNVIZ_TEST_DATABASE_URL`` (.ci/run starts one), else a server
    of the test session's own started by ``scripts/postgres.sh`` (skipped where PostgreSQL is not installed,
    failed under CI)."""
    import glob
    import os
    import shutil
    import subprocess
    import tempfile

    if os.environ.get("ATTNVIZ_TEST_DATABASE_URL"):
        yield os.environ["ATTNVIZ_TEST_DATABASE_URL"]
        return
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run should have installed Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    from .test_browser import free_port

    folder = tempfile.mkdtemp(prefix="attnviz-pg-")  # in /tmp: the postgres user must be able to reach it
    script = str(ROOT / "scripts" / "postgres.sh")
    url = subprocess.run(
        ["bash", script, "start", folder, str(free_port())], check=True, capture_output=True, text=True
    ).stdout.strip()
    yield url
    subprocess.run(["bash", script, "stop", folder], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def fresh_database(url: str) -> str:
    """A new, empty database on the server of ``url`` (PostgreSQL: CREATE DATABASE); its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"attnviz_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        db.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)
