"""Files the command writes (output_files.py): whole or not at all, never over a file they must not
replace, no temporary file left on any way out."""

from __future__ import annotations

import os

import pytest

from expressroute_encryption.output_files import write_atomically


def test_a_new_file_gets_the_mode_a_plain_write_would_give(tmp_path):
    target = tmp_path / "out.json"
    umask = os.umask(0o027)
    try:
        write_atomically(target, "{}", overwrite=False)
    finally:
        os.umask(umask)
    assert target.read_text() == "{}" and target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["out.json"]


def test_without_overwrite_an_existing_file_is_kept(tmp_path):
    target = tmp_path / "Pulumi.dev.yaml"
    target.write_text("theirs")
    with pytest.raises(FileExistsError):
        write_atomically(target, "ours", overwrite=False)
    assert target.read_text() == "theirs" and os.listdir(tmp_path) == ["Pulumi.dev.yaml"]


def test_with_overwrite_the_file_is_replaced_whole(tmp_path):
    target = tmp_path / "README.md"
    target.write_text("old")
    write_atomically(target, "new", overwrite=True)
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["README.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "README.md"
    target.write_text("old")

    def disk_full(_descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomically(target, "new", overwrite=True)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["README.md"]
