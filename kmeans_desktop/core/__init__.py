"""The Qt-free engine: image I/O, histogram k-means quantization, dithering, encoding.

Nothing in this package imports Qt (a test enforces it), so the CLI and the GUI share it as is.
"""

from .encoding import FORMATS, encode, format_for_path, save
from .errors import ImageLoadError, ImageSaveError, KMeansDesktopError
from .histogram import ColorHistogram, build_histogram
from .imageio import MAX_PIXELS, SourceImage, load_image, write_atomic
from .metrics import mse, psnr, psnr_from_mse, ssimulacra2
from .kmeans import K_MAX, K_MIN, Quantized, check_k, quantize

__all__ = [
    "FORMATS",
    "K_MAX",
    "K_MIN",
    "MAX_PIXELS",
    "ColorHistogram",
    "ImageLoadError",
    "ImageSaveError",
    "KMeansDesktopError",
    "Quantized",
    "SourceImage",
    "build_histogram",
    "check_k",
    "encode",
    "format_for_path",
    "load_image",
    "mse",
    "psnr",
    "psnr_from_mse",
    "quantize",
    "save",
    "ssimulacra2",
    "write_atomic",
]
