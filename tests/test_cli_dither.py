"""`compress --dither-strength`: passed through to the core, checked like every other flag."""

from __future__ import annotations

import pytest

from .test_cli import photo, run  # noqa: F401 (photo is a fixture)


def test_strength_zero_writes_the_undithered_file(tmp_path, photo):  # noqa: F811
    plain, zero, half = tmp_path / "plain.png", tmp_path / "zero.png", tmp_path / "half.png"
    assert run("compress", photo, "-k", "8", "-o", plain).returncode == 0
    r = run("compress", photo, "-k", "8", "-o", zero, "--dither", "--dither-strength", "0")
    assert r.returncode == 0, r.stderr
    assert zero.read_bytes() == plain.read_bytes()
    assert run("compress", photo, "-k", "8", "-o", half, "--dither", "--dither-strength", "0.5").returncode == 0
    assert half.read_bytes() != plain.read_bytes()


@pytest.mark.parametrize("bad", ["1.5", "-1", "strong"])
def test_bad_strength_is_one_plain_error(tmp_path, photo, bad):  # noqa: F811
    out = tmp_path / "out.png"
    r = run("compress", photo, "-o", out, "--dither", "--dither-strength", bad)
    assert r.returncode == 2
    assert "--dither-strength" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
