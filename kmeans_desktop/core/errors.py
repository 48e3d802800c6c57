"""The project's exceptions. Their messages are written for people: one plain sentence that names
the file and says what is wrong, ready to show in a dialog or on a command line as is."""

from __future__ import annotations


class KMeansDesktopError(Exception):
    """Base class for every error a user can cause (bad file, bad option, unwritable folder)."""


class ImageLoadError(KMeansDesktopError):
    """An input could not be read as an image (missing, empty, not an image, truncated, too big)."""


class ImageSaveError(KMeansDesktopError):
    """An output could not be written; nothing was left behind and no existing file was touched."""


class FormatLimitError(ImageSaveError):
    """The image is larger than the chosen output format can store (WebP, JPEG and GIF have caps)."""
