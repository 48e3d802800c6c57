"""The controls for watching k-means, beside the colour cloud: start and seed, Play / Step / Reset,
speed, the space it clusters in, "follow in preview", a one-line status, the error per iteration
and the list of finished runs.

A view only: it calls the `KMeansPlayer` it is given and shows what the player says (its
signals); it never sees the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.playback import CLUSTER_SPACES, ENGINE_SPACE_NOTE, STARTS
from ..playback import KMeansPlayer, RunSummary
from .error_plot import ErrorPlot

SPEEDS = (1, 30)  # iterations per second


def _muted(label: QLabel) -> QLabel:
    pal = label.palette()
    pal.setColor(label.foregroundRole(), pal.color(pal.ColorRole.PlaceholderText))
    label.setPalette(pal)
    return label


class KMeansControls(QWidget):
    """The playback panel (objectName ``kmeansPlayback``)."""

    def __init__(self, player: KMeansPlayer, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kmeansPlayback")
        self.player = player
        self.start = QComboBox()
        self.start.setObjectName("kmeansStart")
        for key, label in STARTS.items():
            self.start.addItem(label, key)
        self.start.setToolTip("Where the centres start: k-means++ (spread out by chance), random pixels, "
                              "or median cut (boxes of colours cut in half; the seed doesn't matter)")
        self.seed = QSpinBox()
        self.seed.setObjectName("kmeansSeed")
        self.seed.setRange(0, 9999)
        self.seed.setPrefix("seed ")
        self.seed.setToolTip("Another seed, another start: k-means may end in another local minimum")
        self.again = QPushButton("Run again")
        self.again.setObjectName("kmeansRunAgain")
        self.again.setToolTip("Play again with the next seed, to compare the minima it ends in")
        self.play = QPushButton("Play")
        self.play.setObjectName("playKMeans")
        self.step = QPushButton("Step")
        self.step.setObjectName("stepKMeans")
        self.step.setToolTip("One iteration: assign every pixel to its nearest centre, then move each centre "
                             "to its pixels' mean")
        self.reset = QPushButton("Reset")
        self.reset.setObjectName("resetKMeans")
        self.reset.setToolTip("Stop and show the engine's result again")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setObjectName("kmeansSpeed")
        self.speed.setRange(*SPEEDS)
        self.speed.setValue(player.fps)
        self.speed_label = QLabel()
        self.space = QComboBox()
        self.space.setObjectName("kmeansSpace")
        for key, label in CLUSTER_SPACES.items():
            self.space.addItem(label, key)
        self.space_note = _muted(QLabel(ENGINE_SPACE_NOTE))
        self.space_note.setWordWrap(True)
        self.follow = QCheckBox("Follow in preview")
        self.follow.setObjectName("kmeansFollowPreview")
        self.follow.setToolTip("Recolour the image by the current centres while it plays (playback — not the "
                               "saved result: Save always writes the engine's result)")
        self.status = QLabel()
        self.status.setObjectName("kmeansStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing())  # no jump from 1 line to 2
        self.plot = ErrorPlot()
        self.plot.setFixedHeight(self.plot.fixed_height())
        self.plot.setToolTip("Total squared distance of the pixels to their centres, in the space being clustered, "
                             "per iteration: it never goes up")
        self.runs = QListWidget()
        self.runs.setObjectName("kmeansRuns")
        self.runs.setFixedHeight(86)
        self.runs_note = _muted(QLabel("Runs, lowest error first. Save still writes the engine's result."))
        self.runs_note.setWordWrap(True)

        self.start.setMinimumContentsLength(8)
        self.start.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.space.setMinimumContentsLength(8)
        self.space.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        # Rows short enough for the dock's narrow side (the window must still fit 1024 px): the
        # buttons may shrink below their text's natural width rather than push a scroll bar in
        for button in (self.play, self.step, self.reset, self.again):
            button.setMinimumWidth(44)
        self.seed.setMinimumWidth(60)
        # Compact, so that the error plot shows without scrolling in a 1360×860 window (the dock is
        # ~300 px high there): the plot right after the controls one uses while watching, and the
        # clustering space (changed rarely), its note, the runs' note and list below it, which may scroll
        grid.addWidget(self.start, 0, 0, 1, 3)
        grid.addWidget(self.play, 1, 0)
        grid.addWidget(self.step, 1, 1)
        grid.addWidget(self.reset, 1, 2)
        grid.addWidget(self.seed, 2, 0)
        grid.addWidget(self.again, 2, 1, 1, 2)
        speed = QHBoxLayout()
        speed.setSpacing(4)
        speed.addWidget(QLabel("Speed"))
        speed.addWidget(self.speed, 1)
        speed.addWidget(self.speed_label)
        grid.addLayout(speed, 3, 0, 1, 3)
        grid.addWidget(self.follow, 4, 0, 1, 3)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.setSpacing(4)
        box.addLayout(grid)
        box.addWidget(self.status)
        box.addWidget(self.plot)
        box.addWidget(self.space)
        box.addWidget(self.space_note)
        box.addWidget(self.runs_note)
        box.addWidget(self.runs)
        box.addStretch(1)

        self.start.currentIndexChanged.connect(lambda _i: player.set_options(start=self.start.currentData()))
        self.seed.valueChanged.connect(lambda v: player.set_options(seed=v))
        self.space.currentIndexChanged.connect(self._on_space)
        self.play.clicked.connect(player.toggle)
        self.step.clicked.connect(player.step)
        self.reset.clicked.connect(player.reset)
        self.again.clicked.connect(self._run_again)
        self.speed.valueChanged.connect(self._on_speed)
        self.follow.toggled.connect(player.set_follow)
        player.playingChanged.connect(lambda on: self.play.setText("Pause" if on else "Play"))
        player.stateChanged.connect(self._on_state)
        player.statusChanged.connect(self._on_status)
        player.errorsChanged.connect(self._on_errors)
        player.runsChanged.connect(self._on_runs)
        self.play.setToolTip("Watch Lloyd's iterations on the cloud's pixels, from the chosen start")
        self._tips = {w: w.toolTip() for w in (self.play, self.step, self.again)}
        self._on_speed(self.speed.value())
        self._on_space()
        self._on_state(player.why_disabled())

    def _run_again(self) -> None:
        self.seed.blockSignals(True)
        self.seed.setValue(self.player.seed + 1)
        self.seed.blockSignals(False)
        self.player.run_again()

    def _on_space(self, _i: int = 0) -> None:
        key = self.space.currentData()
        self.player.set_options(space=key)
        self.space_note.setVisible(key == "engine")
        self.space.setToolTip(ENGINE_SPACE_NOTE if key == "engine" else "Plain RGB distances, as most tutorials use")

    def _on_speed(self, fps: int) -> None:
        self.speed_label.setText(f"{fps}/s")
        self.player.set_speed(fps)

    def _on_state(self, reason: str) -> None:
        for w, tip in self._tips.items():
            w.setEnabled(not reason)
            w.setToolTip(reason or tip)
        self.status.setText(reason)

    def _on_status(self, text: str) -> None:
        self.status.setText(text or self.player.why_disabled())

    def _on_errors(self, errors: list) -> None:
        self.plot.set_errors(errors)

    def _on_runs(self, runs: list[RunSummary]) -> None:
        self.runs.clear()
        for r in sorted(runs, key=lambda r: r.error):
            score = "" if r.score is None else f", SSIMULACRA2 {r.score:.1f}"
            end = f"{r.iterations} it." + ("" if r.converged else " (stopped)")
            self.runs.addItem(f"#{r.number} {STARTS[r.start]}, seed {r.seed}, K {r.k}"
                              f"{'' if r.space == 'engine' else ', RGB'}: error {r.error:,.0f}, {end}{score}")
