"""The space the partly transparent entries of an image without opaque pixels get their last
refinement in (`alpha._seen_refine`): their composites on black and on white (`alpha.composites`),
each in OKLab with a biased cube root (XYB's).

Why: opaque colours are clustered in OKLab (`colourspace`), partly transparent ones on the sRGB
composites, where a step between two dark colours counts as little as the same step between two
light ones. On a black page a translucent colour *is* dark (alpha 0.3 shows 30 % of it), and there
the eye (and SSIMULACRA2) sees those steps plainly: the translucent gradient at K=16 scored −62.55
on black, −45.81 on white (pngquant `--nofs` −62.36 and −47.92), its bands wider on black.

Measured 2026-12-03, bench_perceptual, ours undithered, SSIMULACRA2 of the worse of the black and
white composites, seed 0 (before -> after; pngquant `--nofs` in brackets):
- translucent-gradient K=8…256: −64.23 -> −64.19 (−64.24), −62.55 -> −58.37 (−62.36), −54.26 ->
  −43.53 (−54.12), −31.55 -> −16.58 (−32.57), 2.57 -> 17.98 (1.29), 32.88 -> 43.31 (32.19);
- translucent-panels: 32.20 -> 36.93, 56.59 -> 59.45, 72.93 -> 74.22, 86.00 -> 87.48, 92.00 ->
  91.51, 95.15 -> 95.34 (pngquant 25.44, 55.47, 68.15, 82.65, 90.67, 94.35); bytes within ±8 %.
Tried and left:
- the whole clustering in this space (not only the last refinement): the gradient K=64 −8.6, but
  the panels K=8 24.9 and K=16 54.5 (below `--nofs`): coarse clusters here merged a pale panel.
- the icon sheets (opaque pixels present): within seed noise (icons-2 K=64 over seeds 0–3: mean
  76.76 -> 76.72; K=128 86.76 -> 86.51; icons K=64 84.97 -> 85.02), but seed 0 of icons-2 fell
  to 75.3 at K=64, below `--nofs` (76.0): not applied there.
- with dithering: `dither` diffuses its error on the plain composites (`dither.features`); a
  palette placed for this space lost the gradient 4.5 points at K=256 (67.87 -> 63.36): dithered
  output keeps the plain palette, bit for bit.
- `BIAS` (worse page, gradient K=16/64/256 | panels K=8/128): 0 (plain OKLab) −57.63/−16.13/42.95
  | 35.79/91.41; XYB's 0.0038 −58.37/−16.58/43.31 | 36.93/91.51; 0.01 −59.42/−19.86/44.24 |
  37.13/91.52; 0.02 −59.93/−22.37/42.60 | 37.14/91.56. With the whole clustering here, bias 0 cost
  icons-2 4.4 points at K=16 (26.3 -> 21.9); XYB's bias kept it (26.5).
Cost: one more `_refine` and the transform of the partly transparent colours: quantize CPU of the
gradient ×1.28–1.33 (+0.07…0.15 s, best of 5, interleaved), panels ×1.1–2.1 (+0.004…0.044 s).

Coordinates are scaled like `colourspace.to_working`'s (L to 0..255, a and b by the chroma weight
+ 128; the bias's cube root taken off and rescaled so that white is still L = 255): every sRGB
colour at every alpha lands within 0..255 (a 35…211 at chroma 255), so the colour-bin code works
on them unchanged (`Points(integer=False)`).
"""

from __future__ import annotations

import numpy as np

from .colourspace import _M1, _M1_INV, _M2, _M2_INV

#: Added to linear light before the cube root: SSIMULACRA2's XYB opsin absorbance bias
#: (jxl's kOpsinAbsorbanceBias). Measured against 0, 0.01 and 0.02 in the module note.
BIAS = 0.0037930732552754493
_ROOT0 = float(np.cbrt(BIAS))
_GAIN = 1.0 / (float(np.cbrt(1.0 + BIAS)) - _ROOT0)  # white at L = 1, as in OKLab
_OFFSET = (0.0, 128.0, 128.0)


def _rows(x: np.ndarray, m: np.ndarray) -> list[np.ndarray]:
    """x @ m.T for a list of 3 columns, column by column (a BLAS product this thin starts
    OpenBLAS's threads: see `colourspace._mat3`)."""
    return [x[0] * m[i, 0] + x[1] * m[i, 1] + x[2] * m[i, 2] for i in range(3)]


def _to_lab(rgb: np.ndarray, chroma: float) -> list[np.ndarray]:
    c = [np.clip(rgb[:, i] / 255.0, 0.0, 1.0) for i in range(3)]
    lin = [np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4) for v in c]
    lms = [(np.cbrt(v + BIAS) - _ROOT0) * _GAIN for v in _rows(lin, _M1)]
    scale = (255.0, chroma, chroma)
    return [v * scale[i] + _OFFSET[i] for i, v in enumerate(_rows(lms, _M2))]


def _from_lab(x: np.ndarray, chroma: float) -> list[np.ndarray]:
    scale = (255.0, chroma, chroma)
    lab = [(x[:, i] - _OFFSET[i]) / scale[i] for i in range(3)]
    lms = [v / _GAIN + _ROOT0 for v in _rows(lab, _M2_INV)]
    lin = [np.clip(v, 0.0, 1.0) for v in _rows([v ** 3 - BIAS for v in lms], _M1_INV)]
    return [255.0 * np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055) for v in lin]


def to_seen(comp: np.ndarray, chroma: float) -> np.ndarray:
    """n×6 composites on black and white (sRGB, 0..255) -> n×6 seen coordinates."""
    return np.stack(_to_lab(comp[:, :3], chroma) + _to_lab(comp[:, 3:], chroma), axis=1)


def from_seen(x: np.ndarray, chroma: float) -> np.ndarray:
    """n×6 seen coordinates -> n×6 composites (sRGB 0..255, out-of-gamut values clipped)."""
    return np.stack(_from_lab(x[:, :3], chroma) + _from_lab(x[:, 3:], chroma), axis=1)
