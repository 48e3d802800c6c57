"""The window's custom widgets."""

from .compare_view import CompareView
from .drop_zone import DropZone
from .palette_strip import PaletteStrip
from .stats_panel import StatsPanel

__all__ = ["CompareView", "DropZone", "PaletteStrip", "StatsPanel"]
