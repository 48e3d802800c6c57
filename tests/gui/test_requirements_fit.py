"""Issue 14 in the window: the Requirements panel says what was chosen and why, keeps full size
when asked, honours a minimum size, marks the chosen K, suggests a clearly better format, and
previewReady is emitted for fitted results too."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_sample_image
from PIL import Image

from kmeans_desktop.core import encode, quantize

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def photo(window, qtbot, tmp_path):
    """A window with K = 256 and a 320×214 photo open; a budget of a tenth of its K=256 PNG."""
    px = load_sample_image("flower.jpg")[::2, ::2].copy()
    path = tmp_path / "flower.png"
    Image.fromarray(px).save(path)
    window.k_slider.setValue(256)
    with qtbot.waitSignal(window.previewReady, timeout=30_000):
        window.open_image(path)
    return window, len(encode(quantize(px, 256), "png")) // 10


def test_fit_says_what_was_chosen_and_why(photo, qtbot):
    w, budget = photo
    panel = w.requirements_panel
    with qtbot.waitSignal(w.previewReady, timeout=60_000) as ready:  # emitted for a fitted result too
        panel.set_target(budget, "KB")
    fitted = w.requirements.shown.fitted
    assert ready.args == [fitted.k]
    assert (fitted.width, fitted.height) != (320, 214) and fitted.full_k is not None
    n = fitted.quantized.n_colors
    assert panel.status_text().startswith(
        f"Fits: {fitted.size / 1000:.1f} kB at {fitted.width} × {fitted.height} px, {n} colours")
    assert panel.status_text().endswith(f" — at full size only {fitted.full_k} colours would fit")
    assert "Why: " in panel.details_text() and "looks better than 320x214" in panel.details_text()
    assert w.k_slider.marker() == fitted.k
    curve = w.colour_space.curve
    assert curve.fitted_k() == fitted.k
    assert f"at {fitted.width} × {fitted.height} px\n(curve: full size)" in curve.fitted_label()


def test_keep_full_size_and_min_size(photo, qtbot):
    w, budget = photo
    panel = w.requirements_panel
    with qtbot.waitSignal(w.requirements.fitShown, timeout=60_000):
        panel.set_target(budget, "KB")
    with qtbot.waitSignal(w.requirements.fitShown, timeout=60_000):
        panel.keep_full_size.setChecked(True)
    fitted = w.requirements.shown.fitted
    assert (fitted.width, fitted.height) == (320, 214) and fitted.size <= budget
    assert "at full size only" not in panel.status_text()
    assert "(curve: full size)" not in w.colour_space.curve.fitted_label()
    with qtbot.waitSignal(w.requirements.fitShown, timeout=60_000):
        panel.keep_full_size.setChecked(False)
    with qtbot.waitSignal(w.requirements.fitShown, timeout=60_000):
        panel.min_width.setValue(280)
    assert w.requirements.shown.fitted.width >= 280


def test_a_minimum_that_cant_be_met_says_what_would_be_needed(photo, qtbot):
    w, _budget = photo
    panel = w.requirements_panel
    with qtbot.waitSignal(w.requirements.fitFailed, timeout=60_000) as failed:
        panel.min_width.setValue(300)
        panel.set_target(500, "KB")
    assert "fits at" in failed.args[0] and "or smaller" in failed.args[0]
    assert panel.status_text() == failed.args[0]


def test_a_clearly_better_format_is_offered_and_switched_in_one_click(photo, qtbot):
    w, _budget = photo
    panel = w.requirements_panel
    panel.show_suggestion(("jpeg", 53.1, 47.9))
    assert panel.suggestion_text() == "JPEG would look clearly better under the same limit (SSIMULACRA2 53.1 vs 47.9)."
    assert panel.switch_button.text() == "Use JPEG"
    with qtbot.waitSignal(panel.changed, timeout=5_000):
        panel.switch_button.click()
    assert panel.format() == "jpeg" and panel.suggestion_text() == ""


def test_the_worker_computes_the_suggestion(photo, monkeypatch):
    """compute_fit fits JPEG and WebP under the same limit and keeps one ≥ 5 points better."""
    from dataclasses import replace

    from kmeans_desktop.gui import fitting

    w, budget = photo
    image = w.requirements._image
    req = w.requirements_panel.requirements(256, False)
    assert req is None
    from kmeans_desktop.core.budget import Requirements

    req = Requirements(k=256, max_bytes=budget)
    real_fit = fitting.fit

    def fake_fit(src, r, **kw):
        out = real_fit(src, r, **kw)
        return replace(out, score=out.score + 30) if r.format == "jpeg" else out

    monkeypatch.setattr(fitting, "fit", fake_fit)
    result = fitting.compute_fit(image, req, None)
    assert result.suggestion is not None and result.suggestion[0] == "jpeg"
    assert result.suggestion[1] >= result.suggestion[2] + fitting.CLEARLY_BETTER
