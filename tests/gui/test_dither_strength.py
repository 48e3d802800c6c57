"""The dithering strength slider beside the dithering toggle."""

from PySide6.QtWidgets import QLabel, QSlider


def _shown(window, dither):
    p = window.current_preview()
    return p is not None and p.final and p.dither == dither


def test_strength_slider_follows_the_toggle_and_recomputes(opened, qtbot):
    slider = opened.findChild(QSlider, "ditherStrength")
    label = opened.findChild(QLabel, "ditherStrengthLabel")
    assert slider is not None and label is not None
    assert not slider.isEnabled()  # dithering is off
    opened.dither_check.setChecked(True)
    qtbot.waitUntil(lambda: _shown(opened, 1.0), timeout=20_000)
    assert slider.isEnabled()
    full = opened.current_preview().quantized
    slider.setValue(40)
    qtbot.waitUntil(lambda: _shown(opened, 0.4), timeout=20_000)
    half = opened.current_preview().quantized
    assert half.dither and half.dither_strength == 0.4
    assert label.text() == "40 %"
    assert (half.indices != full.indices).any()
    slider.setValue(100)  # back to full strength: from the cache, the very same result
    qtbot.waitUntil(lambda: _shown(opened, 1.0), timeout=20_000)
    assert opened.current_preview().quantized is full
