"""The main window's side panel: K, dithering, the requirements, the result's stats and Save.

`build_side_panel` puts the panel in a fixed dock on the window's right and stores its widgets on
the window (`k_slider`, `k_spin`, `dither_check`, `dither_strength` (a slider, 0–100 %), `requirements_panel`, `stats`, `save_button`,
`controls_dock`); the window's slots react to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core import K_MAX
from .widgets.marked_slider import MarkedSlider
from .widgets.requirements_panel import RequirementsPanel
from .widgets.stats_panel import StatsPanel

if TYPE_CHECKING:
    from .main_window import MainWindow

K_LOW = 2


def build_side_panel(window: MainWindow) -> None:
    w = window
    panel = QWidget()
    panel.setObjectName("controlsPanel")
    box = QVBoxLayout(panel)
    box.setContentsMargins(14, 10, 14, 14)
    box.setSpacing(8)

    box.addWidget(heading("Colours"))
    w.k_slider = MarkedSlider(Qt.Orientation.Horizontal)  # marks the K the requirements chose
    w.k_slider.setObjectName("kSlider")
    w.k_slider.setRange(K_LOW, K_MAX)
    w.k_slider.setPageStep(8)
    w.k_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
    w.k_slider.setTickInterval(32)
    w.k_slider.setToolTip("K: how many colours the compressed image keeps")
    w.k_slider.setAccessibleName("Number of colours (K)")
    w.k_spin = QSpinBox()
    w.k_spin.setObjectName("kSpin")
    w.k_spin.setRange(K_LOW, K_MAX)
    w.k_spin.setKeyboardTracking(False)
    w.k_spin.setAccessibleName("Number of colours (K)")
    w.k_spin.setMinimumWidth(72)
    w.k_spin.lineEdit().setAcceptDrops(False)  # file drops go to the window
    row = QHBoxLayout()
    row.setSpacing(10)
    row.addWidget(QLabel("K"))
    row.addWidget(w.k_slider, 1)
    row.addWidget(w.k_spin)
    box.addLayout(row)
    w.k_slider.valueChanged.connect(w._on_k_changed)
    w.k_slider.sliderPressed.connect(w.session.hold)  # a drag: debounced from its first change
    w.k_slider.sliderReleased.connect(w.session.settle)  # a drag's last value: no debounce
    w.k_spin.valueChanged.connect(w.k_slider.setValue)

    w.dither_check = QCheckBox("Dithering")
    w.dither_check.setObjectName("ditherCheck")
    w.dither_check.setToolTip("Diffuse the colour error between neighbouring pixels where the eye doesn't "
                              "see the noise (edges, texture, banding), not on flat areas: smoother "
                              "gradients, usually a larger file")
    w.dither_check.toggled.connect(w._on_dither_changed)
    w.dither_strength = QSlider(Qt.Orientation.Horizontal)
    w.dither_strength.setObjectName("ditherStrength")
    w.dither_strength.setRange(0, 100)
    w.dither_strength.setValue(100)
    w.dither_strength.setEnabled(False)
    w.dither_strength.setToolTip("How strongly to dither: 0 % is no dithering, 100 % the full strength")
    w.dither_strength.setAccessibleName("Dithering strength")
    w.dither_strength_label = strength_label = QLabel("100 %")
    strength_label.setObjectName("ditherStrengthLabel")
    strength_label.setMinimumWidth(40)
    w.dither_strength.valueChanged.connect(lambda v: strength_label.setText(f"{v} %"))
    w.dither_strength.valueChanged.connect(w._on_dither_strength_changed)
    w.dither_strength.sliderPressed.connect(w.session.hold)
    w.dither_strength.sliderReleased.connect(w.session.settle)
    w.dither_check.toggled.connect(w.dither_strength.setEnabled)
    row = QHBoxLayout()
    row.setSpacing(10)
    row.addWidget(w.dither_check)
    row.addWidget(w.dither_strength, 1)
    row.addWidget(strength_label)
    box.addLayout(row)

    box.addSpacing(10)
    box.addWidget(separator())
    w.requirements_panel = RequirementsPanel()
    box.addWidget(w.requirements_panel)
    box.addSpacing(4)
    box.addWidget(separator())
    box.addSpacing(4)
    box.addWidget(heading("Result"))
    w.stats = StatsPanel()
    box.addWidget(w.stats)
    box.addSpacing(14)
    w.save_button = QPushButton("Save compressed…")
    w.save_button.setObjectName("saveButton")
    w.save_button.setMinimumHeight(34)
    w.save_button.clicked.connect(w.action_save.trigger)
    box.addWidget(w.save_button)
    box.addStretch(1)
    tips = QLabel("Drag the divider to compare. Scroll to zoom, drag to pan, double-click for "
                  "100%. Hover the palette for each colour's share.")
    tips.setObjectName("tips")
    tips.setWordWrap(True)
    muted = tips.palette()
    muted.setColor(tips.foregroundRole(), muted.color(muted.ColorRole.PlaceholderText))
    tips.setPalette(muted)
    box.addWidget(tips)

    # Scrolls when the screen is too low for all of it (the window must fit 1024×600).
    scroll = QScrollArea()
    scroll.setObjectName("controlsScroll")
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumHeight(160)
    w.controls_dock = QDockWidget("Compression", w)
    w.controls_dock.setObjectName("compressionDock")
    w.controls_dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
    w.controls_dock.setTitleBarWidget(QWidget())  # a fixed side panel: no title bar to drag
    w.controls_dock.setWidget(scroll)
    w.controls_dock.setMinimumWidth(300 + scroll.verticalScrollBar().sizeHint().width())
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, w.controls_dock)


def show_values(window: MainWindow, k: int, dither: bool, strength: int) -> None:
    """Set the K and dithering controls to restored values without their change signals."""
    w = window
    for widget, value in ((w.k_slider, k), (w.k_spin, k), (w.dither_check, dither), (w.dither_strength, strength)):
        widget.blockSignals(True)
        widget.setChecked(value) if widget is w.dither_check else widget.setValue(value)
        widget.blockSignals(False)
    w.dither_strength.setEnabled(dither)
    w.dither_strength_label.setText(f"{w.dither_strength.value()} %")


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setWeight(font.Weight.DemiBold)
    font.setPointSizeF(font.pointSizeF() * 1.08)
    label.setFont(font)
    return label


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
