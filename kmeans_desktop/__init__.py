"""kmeans-desktop: compress images by k-means colour quantization."""

__version__ = "0.1.0"
