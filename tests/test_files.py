"""Atomic writes: the whole file or the old one, and the usual file mode."""

import os

import pytest

from attnviz.data.files import atomic_path, atomic_write_text


def test_atomic_write_replaces_whole_and_keeps_the_usual_mode(tmp_path):
    path = tmp_path / "card.json"
    atomic_write_text(path, "old")
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["card.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by others, not mkstemp's private 0600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.safetensors"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_a_data_path_through_a_symbolic_link_is_stored_as_written(tmp_path):
    """A ``../shared`` that is a symbolic link keeps its name on a card (the same data, the same card)."""
    import os

    from attnviz.data.tatoeba import REPO, repo_relative

    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "shared"
    link.symlink_to(target, target_is_directory=True)
    stored = repo_relative(link / "data" / "fra.txt")
    assert stored == os.path.relpath(link / "data" / "fra.txt", REPO) and "elsewhere" not in stored
    assert repo_relative(REPO.parent / "shared" / "data" / "x.txt") == "../shared/data/x.txt"
