"""Masked error diffusion onto a fixed palette.

Plain Floyd–Steinberg sprinkles noise everywhere, and noise on a flat area or on skin is what the
eye (and SSIMULACRA2) notices first. Here every pixel has a *strength* in 0..1 (`strength_map`):
the error carried to it from its neighbours is scaled by it, so flat areas map exactly, texture
and false contours dither fully. The carried error is clamped, so a bright spot cannot bleed a
streak of wrong colour into its surroundings.

How it runs: error diffusion is sequential (a pixel needs the error of its left and upper
neighbours), so a per-pixel Python loop is far too slow. But with Floyd–Steinberg's kernel the
pixel (x, y) depends only on pixels with a smaller x + 2y, so all pixels on one "wavefront"
x + 2y = t are independent: the loop runs over the W + 2H wavefronts, each a handful of numpy
operations on all its pixels at once. Serpentine order can't be vectorised that way (a right-to-left
row would wait for the whole row above), so instead the image is cut into horizontal bands that run
side by side, every other band mirrored (right to left), each band starting a few rows early on the
rows above it so the error state at its top is already the settled one (no seam). One wavefront
of every tile is a strided view of the tile-innermost arrays (`_wave`), read and updated in place:
no gather or scatter per step. Pixels of strength 0 stand at their entry's coordinates, so their
error is zero without a mask per step. The strength map's 3×3 and 5×5 window tests are shifted
slices rather than scipy.ndimage filters (4× faster at 9 MP, same values).

Measured alternatives: numba would run a serpentine loop directly but adds ~210 MB (llvmlite's
LLVM is 179 MB) to a 248 MiB frozen app whose limit is 300 MB, plus 0.3 s import and a JIT compile
per start; Pillow's C Floyd–Steinberg has no strength, no mask, no clamping and no alpha.

Colours are compared in "features": RGB in OKLab (as `quantize` clusters it); RGBA as its composites on black and on white
(premultiplied colour and premultiplied colour minus alpha), so an alpha error counts as much as
it shows on a light page. Transparent and opaque pixels only take entries of their own alpha class;
partly transparent ones any entry, as `quantize` maps them without dithering (`alpha.py`).
"""

from __future__ import annotations

import numpy as np

from .cancel import checkpoint
from .colourspace import CHROMA_SCALE, to_working
from .texture import box3 as _box3
from .windows import spread as _spread, varies as _varies

#: Floyd–Steinberg weights: right, below-left, below, below-right.
_FS = (7 / 16, 3 / 16, 5 / 16, 1 / 16)
#: Largest carried error per channel (0..255 units): larger errors are clipped, so a rare colour
#: far from every entry doesn't smear a streak into its neighbours.
_MAX_ERR = 40.0
#: RGBA: the sparse-palette clamp (`_error_limit`) goes no higher than this. A few well-spread
#: entries (icon sheets at K = 8/16: six flat hues, white, a shadow and the transparent entry)
#: otherwise carried errors over 120 units, which sprinkled white specks over coloured
#: highlights for no score. Measured 2026-12-02, bench_perceptual's RGBA images dithered, K = 8…256
#: (bytes, SSIMULACRA2): icons-2 K=8 3,991 -> 3,229 (−18.03 -> −17.98; pngquant's default 3,647,
#: −17.25), K=16 6,526 -> 5,337 (35.99 both); icons K=8 3,177 -> 3,145 (0.68 -> 0.73); every other
#: case unchanged. 90 cost icons K=8 0.2 points, 60 1.1 points (and 40, no sparse rule, cost the
#: gradient 3.6 points at K=8).
_MAX_ERR_CAP = 120.0
#: The same for RGB, in OKLab working units (L × 255). Measured on china.jpg, dithered at K = 8…64
#: (with `_RANGE_RGB`): 40 → 10 scored 0.5–2.6 points more at equal bytes.
_MAX_ERR_RGB = 10.0
#: The clamp on OKLab a and b error, relative to L's.
_CHROMA_CLAMP = 0.4
#: Tiles run side by side; each starts this many rows above and columns before its own.
_TILE_ROWS, _TILE_COLS, _WARMUP = 64, 192, 8
#: Above this many pixels × entries (and over 32 entries), RGB pixels find their entry in a table.
_TABLE_ABOVE = 20_000_000
_TABLE_MIN = 32
#: Strength away from contours and texture (see `strength_map`) and on them, for RGBA and RGB.
_BASE = (0.75, 1.0)
#: RGB: measured with bench_perceptual, dithered at K = 8…64 (with `_MAX_ERR_RGB`): (0.75, 1.0) ->
#: (0.5, 0.7) makes china's files 3.3 % smaller in total (now below pngquant's default) while each
#: K still scores 1.6–12 points above pngquant's; flower and the flat graphics also need fewer bytes
#: for the same score (bench_perceptual's equal-S2 bytes). RGBA keeps
#: full strength: the semi-transparent gradient lost up to 25 points at equal K with less.
#: (0.5, 0.7) -> (0.6, 0.85), 2026-12-02 (7 photos, K = 8…64, dithered against pngquant's default
#: at equal K): every one of the 28 cases now scores above it with fewer bytes (before 25: astronaut
#: K=8 −5.3, coffee and rocket K=16 −0.8 and −0.5); mean lead +9.1/+5.0/+7.0/+7.1 -> +12.0/+7.1/+7.8/
#: +7.4 at K = 8/16/32/64, bytes for the same score 0.811× -> 0.825× of its. The flat graphics pay
#: most: flat-graphics-2 at K=8 0.99× -> 1.06× its bytes (+48 -> +50 points), 0.87× summed over
#: K = 8…64; (0.55, 0.8) kept it at 1.02× but left astronaut K=8 at −2.1.
_RANGE_RGB = (0.6, 0.85)
#: RGBA: no dithering from a pixel whose entry has another within the first distance (composite
#: units: black and white composites, 0..255 each), full strength from the second (`_spacing_gate`).
#: Measured with bench_perceptual at K = 16, 64, 256 (2026-12-02): at K=256 our dithered icon sheets
#: and panels packed 1.04–1.37× pngquant's dithered bytes (icons 14,418 against 13,592; icons-2
#: 16,697 against 14,800; panels 4,702 against 3,440); their neighbouring entries stand 2–7 apart
#: (median contour step), the semi-transparent gradient's 16. With (6, 12): 11,932, 12,511 and 2,669
#: bytes, each still scoring above pngquant's (93.36, 91.03, 95.22; before 93.20, 90.88, 95.26); the
#: gradient at K=256 67.92 -> 67.78 points (pngquant 66.96) for 2 % fewer bytes; K=16 unchanged,
#: K=64 within +0.2 point (panels 3,378 -> 2,375 bytes). (3, 8) left icons-2 at 13,963.
#: A dead zone on the carried error instead (2 units) fixed the same bytes but cost the gradient
#: 12 points at K=256 (dithering needs its small errors there); gating by the contour steps near
#: a pixel stopped diffusion inside a gradient's bands (K=16: −15 -> −59).
_SPACING_RGBA = (6.0, 12.0)
#: RGBA, since partly transparent pixels may take the transparent and opaque entries (`alpha.py`):
#: strength × alpha / `_FAINT_ALPHA` below it (the faint outer ring of a soft shadow dithered
#: between transparent and the shadow's entry costs many bytes for a speck pattern on white), and
#: × `_OPAQUE_RGBA` on opaque pixels (as RGB's lower range). Measured with bench_perceptual's four
#: RGBA images, dithered, K = 8…256 (2026-12-02): icons-2 at K=16 went from 0.93× pngquant's bytes
#: (30.9 points, pngquant 22.6) to 1.21× (38.4) with the new mapping; with (40, 0.7) 0.96× (35.5);
#: icons K=16 43.1 -> 47.8 points at 0.83× its bytes; the gradient within 0.5 points at K ≥ 16
#: (1.2 lower at K=32); (64, 0.7) cost the gradient 2 points, (40, 1.0) left icons-2 at 1.07×.
#: 40 -> 30 (2026-12-02, with `_OPAQUE_ERR` and the alpha-class wall in `diffuse`): the ring between
#: alpha 20 and 40 stayed below the flip threshold (an error never grew enough to take the next
#: entry), a flat light halo on white. Translucent gradient K=32 16.74 -> 17.11 (pngquant 16.85),
#: icons/icons-2 K=8 +0.3 points each for 3-4 % more bytes; 20 cost the gradient 0.5 at K=16.
_FAINT_ALPHA = 30.0
_OPAQUE_RGBA = 0.7
#: RGBA: the error an opaque pixel passes on is cut to this length (composite units, as
#: `features`; the per-channel clamp above still applies). With a sparse palette (icon sheets at
#: K=8: one entry per hue, white the only lighter one) a coloured sheen carried up to 120 units a
#: channel into its neighbours and broke out in white specks: many bytes, and SSIMULACRA2 saw the
#: speckle rather than the sheen. Measured 2026-12-02 with bench_perceptual's icon sheets at K=8,
#: dithered (with the class wall and `_FAINT_ALPHA` 30): icons 0.56 -> 1.81 points at 3,138 ->
#: 3,051 bytes (pngquant's default 1.65 at 3,606), icons-2 −18.25 -> −17.13 at 3,244 -> 2,952
#: (−17.25 at 3,647); 8 more icon sheets (`icons` with other seeds) at K=8: 3 -> 5 of 8 beat
#: pngquant's default with fewer bytes, mean lead +4.3 -> +4.4 points at 0.94× -> 0.86× its bytes;
#: K = 16…64 and the translucent images within ±0.3 points. Cut on every pixel's error (no wall,
#: `_FAINT_ALPHA` 40), 30/40/50/80/120 gave icons K=8 1.17/1.63/1.64/0.57/−1.00, but the
#: translucent gradient lost 7.8 points at K=8 (its steps need the carried error) and a
#: glass-panel sheet 10: partly transparent pixels keep theirs.
_OPAQUE_ERR = 50.0
#: RGBA: partly transparent pixels where alpha changes within 2 pixels (a fade, a vignette, a soft
#: shadow) get at least this strength (before the gates above): on a light page an alpha ramp's
#: steps show as bands, which dithering hides. Measured 2026-12-02, bench_perceptual's RGBA images
#: dithered at K = 8…64 against 0.75 (`_BASE`): the translucent gradient +2.6/+1.7/+4.1/+2.5
#: points (K=32 13.66 -> 16.74, pngquant's default 16.85) for 4–7 % more bytes (0.83–0.99× its);
#: the panels within ±0.3; the icon sheets equal from K=16, K=8 −0.2/−0.3 (both below pngquant's
#: there either way). 0.9 and 0.95 scored lower on the gradient at K=32 (16.77, 15.40) and cost
#: the icons more; 1.0 lost the gradient 5 points (full-strength patterns read as texture).
_ALPHA_RAMP = 0.85
#: RGB: no dithering on a steep edge next to a flat area (a flat graphic's anti-aliased contour:
#: error carried along it only frays the outline into specks, which cost bytes; `_edge_gate`).
#: Strength × 1 up to the first 3×3 luminance SD (0..255), × 0 from the second, within 2 pixels
#: of a flat 3×3 window of the source; a smooth gradient (SD below 8) keeps full strength, and
#: photos have few flat windows. Measured 2026-12-02, dithered, K = 8/16/32/64, ratio to
#: pngquant's default bytes and ΔS2: flat-graphics-2 1.064/0.892/0.806/0.797 ->
#: 0.966/0.858/0.781/0.776 (+50.27/+8.71/+10.56/+7.59 -> +49.82/+8.44/+10.36/+7.68),
#: flat-graphics 0.898/0.896/0.817/0.795 -> 0.809/0.808/0.782/0.773 (ΔS2 −0.6…+0.0); the 7 photos
#: within ±0.03 points and ±0.3 % bytes (china, flower, chelsea, immunohistochemistry identical).
#: (16, 48): 0.982 at K=8; (4, 12), or a 3×3 luminance range for the SD: as (8, 24); within 3 pixels:
#: 0.949 but −0.5 points at K=16; a floor of 0.3 instead of 0: 0.993; flat 5×5 windows: 0.985.
_EDGE_SD = (8.0, 24.0)
#: Local luminance standard deviation (0..255) counted as full texture.
_TEXTURE_SD = 6.0


def features(pixels: np.ndarray, chroma: float = CHROMA_SCALE) -> np.ndarray:
    """H×W×3 OKLab working coordinates (the space `quantize` clusters RGB in, see `colourspace`)
    or, for RGBA, H×W×6 (composite on black, composite on white minus 255) float32."""
    if pixels.shape[-1] == 3:
        return to_working(pixels.reshape(-1, 3), np.float32, chroma).reshape(pixels.shape)
    c = pixels.astype(np.float32)
    a = c[..., 3:4] / 255.0
    black = c[..., :3] * a
    return np.concatenate([black, black - c[..., 3:4]], axis=-1)


def strength_map(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Per-pixel dithering strength in 0..1, times `strength`.

    Measured with SSIMULACRA2 on photos and flat graphics (K = 8…64): dithering earns its bytes
    where the exact mapping draws a contour the source doesn't have (banding) and where texture
    hides its noise, so those get the top of the range; everywhere else its bottom (`_BASE`: full
    strength everywhere scored 1–7 points lower on photos, none at all 8–10 lower; RGB now runs
    in a lower, narrower range, `_RANGE_RGB`, which costs fewer bytes for the same score). Where the
    source is flat (one colour over 5×5) and maps to one entry, the only thing dithering could
    add is noise: strength 0, those pixels keep their exact entry. So does an RGB pixel on a steep
    edge next to a flat area (`_edge_gate`). RGBA pixels whose entry has another close by get less
    (`_spacing_gate`)."""
    h, w = exact.shape
    if strength <= 0:
        return np.zeros((h, w), np.float32)
    lum = np.add.reduce(pixels[..., :3], axis=-1, dtype=np.uint16).astype(np.float32)
    lum *= np.float32(1 / 3)
    if pixels.shape[-1] == 4:
        lum *= pixels[..., 3].astype(np.float32) * np.float32(1 / 255)
    m = _box3(lum)
    lum *= lum
    var = _box3(lum)
    var -= m * m
    texture = np.sqrt(np.maximum(var, 0.0, out=var), out=var)
    checkpoint()  # (9 MP: each whole-image step here takes tens of ms)
    key = _colour_key(pixels)
    edge = _edge_gate(texture, key) if pixels.shape[-1] == 3 else None  # the SD before it is rescaled
    texture *= np.float32(1 / _TEXTURE_SD)
    change = _varies(exact, 1)
    live = _spread(change, 2)
    live |= _varies(key, 2)
    checkpoint()
    s = np.maximum(texture, change, out=texture)
    np.clip(s, *(_BASE if pixels.shape[-1] == 4 else _RANGE_RGB), out=s)
    s[~live] = 0.0
    s = _box3(s)
    s[~live] = 0.0
    if pixels.shape[-1] == 4:
        a = pixels[..., 3]
        s[a == 0] = 0.0
        ramp = (a > 0) & (a < 255) & (s > 0)
        ramp &= _varies(a, 2)  # partly transparent, alpha changing nearby: an alpha ramp
        s[ramp] = np.maximum(s[ramp], np.float32(_ALPHA_RAMP))
        s *= _spacing_gate(palette, exact)
        s *= np.minimum(a * np.float32(1 / _FAINT_ALPHA), np.float32(1.0))  # a faint shadow: less
        s[a == 255] *= np.float32(_OPAQUE_RGBA)
    if edge is not None:
        s *= edge
    if strength != 1.0:
        s *= np.float32(strength)
    return np.clip(s, 0.0, 1.0, out=s)


def _edge_gate(sd: np.ndarray, key: np.ndarray) -> np.ndarray:
    """RGB: per pixel 0..1, falling from 1 to 0 as the 3×3 luminance SD `sd` rises over
    `_EDGE_SD`, but only within 2 pixels of a flat 3×3 window of the source (elsewhere 1)."""
    lo, hi = _EDGE_SD
    g = np.clip((hi - sd) * np.float32(1 / (hi - lo)), 0.0, 1.0)
    g[~_spread(~_varies(key, 1), 2)] = 1.0
    return g


def _spacing_gate(palette: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """RGBA: per pixel 0..1, how far its entry lies from the nearest other entry, between
    `_SPACING_RGBA`'s ends (composite units, as `features`). Where the entries stand that close, a
    contour between them is a step the eye barely sees, and dithering across it mostly costs bytes."""
    f = features(palette[None, :, :])[0].astype(np.float64)
    if len(f) < 2:
        return np.ones(exact.shape, np.float32)
    d = ((f[:, None, :] - f[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    lo, hi = _SPACING_RGBA
    gate = np.clip((np.sqrt(d.min(axis=1)) - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    return gate[exact]


def _colour_key(pixels: np.ndarray) -> np.ndarray:
    """Each pixel's colour as one integer (RGBA: its RGB where visible, alpha in the top bits)."""
    key = pixels[..., 0].astype(np.uint32) << 16
    key |= pixels[..., 1].astype(np.uint32) << 8
    key |= pixels[..., 2]
    if pixels.shape[-1] == 4:
        key |= pixels[..., 3].astype(np.uint32) << 24
        key[pixels[..., 3] == 0] = 0
    return key


def _allowed(pixels: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Alpha class of every pixel (0 transparent, 1 partial, 2 opaque) and a penalty per
    (class, entry): 0 where the pixel may take the entry, else infinite."""
    def cls(a):
        return np.where(a == 0, 0, np.where(a == 255, 2, 1)).astype(np.int8)

    pc, ec = cls(pixels[..., 3]), cls(palette[:, 3])
    own = np.arange(3)[:, None] == ec[None, :]
    own[1] = True  # partly transparent pixels may take any entry, as `alpha._refine` maps them
    penalty = np.where(own, 0.0, np.inf).astype(np.float32)
    return pc, penalty


def _error_limit(pal: np.ndarray, floor: float = _MAX_ERR, cap: float = np.inf) -> float:
    """The clamp on carried error: `floor`, or the median distance from an entry to its
    nearest other entry when the palette is that sparse (a few colours need larger errors to
    keep the average colour right), at most `cap`."""
    if len(pal) < 2:
        return floor
    d = ((pal[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    return float(max(floor, min(cap, np.median(np.sqrt(d.min(axis=1))))))


def _spans(n: int, size: int, warm: int) -> list[tuple[int, int, int]]:
    """(first processed, first kept, end) of each tile along one axis; a tile starts `warm`
    pixels before its first kept one, so the error state there is already the settled one."""
    return [(max(0, lo - warm), lo, min(n, lo + size)) for lo in range(0, n, size)]


def _nearest_table(pal: np.ndarray) -> np.ndarray:
    """For RGB: the nearest entry of the centre of every 4-unit cell of the working space (a
    262,144-entry table).
    Only diffused pixels use it (an approximation there is diffused like any other error)."""
    from scipy.spatial import cKDTree

    g = np.arange(64, dtype=np.float32) * 4.0 + 1.5
    centres = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    return cKDTree(pal).query(centres)[1].astype(np.int64)


def _wave(a: np.ndarray, t: int, y0: int, y1: int, dy: int = 0, dx: int = 0) -> np.ndarray:
    """The view of `a` (rows, columns, ...) holding the pixels (y + dy, t - 2y + dx) for
    y0 <= y <= y1: one wavefront of every tile as a strided view, read and updated in place with
    no gather or scatter."""
    first = a[y0 + dy, t - 2 * y0 + dx]
    sr, sc = a.strides[:2]
    return np.lib.stride_tricks.as_strided(first, (y1 - y0 + 1,) + first.shape, (sr - 2 * sc,) + first.strides)


def _tile_map(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The tiles as (rows, columns, tile) maps: the flat source pixel of every cell (-1 where a
    smaller tile leaves it empty) and whether the cell is one its tile decides (not warm-up)."""
    tiles = []
    for ti, (r0, rk, r1) in enumerate(_spans(h, _TILE_ROWS, _WARMUP)):
        for tj, (c0, ck, c1) in enumerate(_spans(w, _TILE_COLS, _WARMUP)):
            flip = (ti + tj) % 2 == 1
            cols = np.arange(c0, c1)
            if flip:  # runs right to left: its warm-up columns lie to its right
                cols = np.arange(min(w, c1 + (ck - c0)) - 1, ck - 1, -1)
            tiles.append((r0, rk, r1, cols, ck, c1))
    th = max(r1 - r0 for r0, _, r1, *_ in tiles)
    tw = max(len(t[3]) for t in tiles)
    src = np.full((th, tw, len(tiles)), -1, np.int64)
    keep = np.zeros((th, tw, len(tiles)), bool)
    for b, (r0, rk, r1, cols, k0, k1) in enumerate(tiles):
        src[: r1 - r0, : len(cols), b] = np.arange(r0, r1)[:, None] * w + cols
        keep[rk - r0 : r1 - r0, : len(cols), b] = (cols >= k0) & (cols < k1)
    return src, keep


def diffuse(pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: np.ndarray,
            chroma: float = CHROMA_SCALE) -> np.ndarray:
    """Palette indices with error diffusion scaled per pixel by `strength` (H×W, 0..1).

    Pixels of strength 0 keep their `exact` index (the nearest entry). The image is cut into
    tiles (`_TILE_ROWS` × `_TILE_COLS`, each with warm-up rows above and warm-up columns before
    it) that run side by side, every other tile mirrored; all tiles advance one wavefront per
    step, so the number of numpy steps is set by the tile size, not by the image's."""
    h, w = exact.shape
    rgba = pixels.shape[-1] == 4
    pal = features(palette[None, :, :], chroma)[0].astype(np.float32)
    pal_sq = (pal * pal).sum(axis=1)
    max_err = _error_limit(pal, _MAX_ERR, _MAX_ERR_CAP) if rgba else _error_limit(pal, _MAX_ERR_RGB)
    if not rgba:  # OKLab: a and b span about 0.4 of L's range; the same clamp there let pale
        # areas (a hazy sky) carry enough hue error to pick a saturated entry now and then.
        ab = _CHROMA_CLAMP * chroma / CHROMA_SCALE  # the same OKLab chroma error whatever its weight
        max_err = max_err * np.array([1.0, ab, ab])
    hi = np.asarray(max_err, np.float32)
    lo = -hi
    table = _nearest_table(pal) if not rgba and len(pal) > _TABLE_MIN and h * w * len(pal) > _TABLE_ABOVE else None

    # Tile-innermost layout (row, column, tile, channel): one wavefront of every tile is then a
    # strided view of a few dozen contiguous blocks (`_wave`).
    src, keep = _tile_map(h, w)
    empty = src < 0
    cells = np.where(empty, 0, src)
    S = strength.reshape(-1)[cells]
    S[empty] = 0.0
    out = exact.reshape(-1)[cells]
    feat = features(pixels, chroma).reshape(-1, 6 if rgba else 3)
    F, off = np.empty(cells.shape + feat.shape[1:], feat.dtype), S == 0
    step = max(1, len(cells) // 8)
    for r in range(0, len(cells), step):  # in bands, a checkpoint between (9 MP: ~0.3 s in one piece)
        checkpoint()
        band, o = np.take(feat, cells[r:r + step], axis=0, out=F[r:r + step], mode="clip"), off[r:r + step]
        # A pixel of strength 0 keeps its entry and passes on no error: standing at its entry's
        # coordinates, its error is zero without a multiplication per step.
        band[o] = pal[out[r:r + step][o]]
    del feat
    if rgba:
        pc, penalty = _allowed(pixels, palette)
        cls = pc.reshape(-1)[cells]
        walls = _class_walls(cls)
        cut_on = bool(((cls == 2) & (S > 0)).any())  # (both skipped when they change nothing)
    del cells, off
    checkpoint()
    th, tw = src.shape[:2]
    E = np.zeros((th + 1, tw + 2) + F.shape[2:], np.float32)  # a column of padding each side, a row below
    r7, r3, r5, r1_ = (np.float32(f) for f in _FS)
    for t in range(tw + 2 * (th - 1)):
        checkpoint()
        y0 = max(0, -((tw - 1 - t) // 2))  # first local row whose x = t - 2y is < tw
        y1 = min(th - 1, t // 2)
        if y0 > y1:
            continue
        s = _wave(S, t, y0, y1)
        on = s > 0
        if not on.any():
            continue
        v = _wave(E, t, y0, y1, 0, 1) * s[..., None]
        v += _wave(F, t, y0, y1)
        o = _wave(out, t, y0, y1)
        if table is not None:
            q = np.clip(v, 0.0, 255.0).astype(np.int32) >> 2
            idx = table[(q[..., 0] << 12) | (q[..., 1] << 6) | q[..., 2]]
        else:
            d = v @ (-2.0 * pal.T)
            d += pal_sq
            if rgba:
                d += penalty[_wave(cls, t, y0, y1)]
            idx = np.argmin(d, axis=-1)
        idx = np.where(on, idx, o)
        o[...] = idx
        v -= np.take(pal, idx, axis=0)
        err = np.minimum(v, hi, out=v)
        np.maximum(err, lo, out=err)
        if rgba and cut_on:  # opaque pixels' error cut to `_OPAQUE_ERR`
            n2 = np.einsum("...c,...c->...", err, err)
            cut = (_wave(cls, t, y0, y1) == 2) & (n2 > np.float32(_OPAQUE_ERR**2))
            if cut.any():
                err[cut] *= (np.float32(_OPAQUE_ERR) / np.sqrt(n2[cut]))[:, None]
        if rgba and walls is not None:  # no error across an alpha-class wall
            same = _wave(walls, t, y0, y1)
            if (same != 15).any():
                wt = _WALL_WEIGHTS[same]  # (..., 4): each neighbour's Floyd–Steinberg weight, 0 across a wall
                for i, (dy, dx) in enumerate(((0, 2), (1, 0), (1, 1), (1, 2))):
                    _wave(E, t, y0, y1, dy, dx)[...] += err * wt[..., i, None]
                continue
        _wave(E, t, y0, y1, 0, 2)[...] += err * r7
        _wave(E, t, y0, y1, 1, 0)[...] += err * r3
        _wave(E, t, y0, y1, 1, 1)[...] += err * r5
        _wave(E, t, y0, y1, 1, 2)[...] += err * r1_
    result = np.empty(h * w, np.uint8)
    result[src[keep]] = out[keep]
    return result.reshape(h, w)


#: The Floyd–Steinberg weights for each of the 16 wall patterns of `_class_walls`.
_WALL_WEIGHTS = np.array([[_FS[i] if m >> i & 1 else 0.0 for i in range(4)] for m in range(16)], np.float32)


def _class_walls(cls: np.ndarray) -> np.ndarray | None:
    """RGBA, per cell of the (rows, columns, tile) layout (`cls`: alpha class): bit i set when
    error passes to the i-th Floyd–Steinberg neighbour (right, below-left, below, below-right),
    unless one of the two is opaque and the other partly transparent (None when no such pair
    exists). Error across that wall (an icon's opaque rim and its shadow or anti-aliased edge)
    lands where it means something else: a coloured sheen's error made its shadow take wrong
    entries. Transparent pixels need no wall (they use no error, and pass none). Measured with
    the error cut in `diffuse` and `_FAINT_ALPHA` 30, bench_perceptual's icon sheets at K=8:
    icons 1.37 -> 1.81 points (2,985 -> 3,051 bytes), icons-2 −17.37 -> −17.13 (2,880 -> 2,952);
    the translucent images have no opaque pixels and are unchanged. Dropping all error of a pixel
    at a wall (cheaper) left icons-2 at −17.31. Cost, with the cut: an icon sheet tiled to 0.9 MP
    at K=8 diffuses in 0.38 s CPU instead of 0.28 (min of 7; 0.64 s against 0.51 s for the whole
    dithered quantize and encode); images without opaque pixels skip both."""
    th, tw = cls.shape[:2]
    ce = np.zeros((th + 1, tw + 2) + cls.shape[2:], np.int8)
    ce[:th, 1 : tw + 1] = cls
    walls = np.zeros(cls.shape, np.uint8)
    for bit, (dy, dx) in enumerate(((0, 2), (1, 0), (1, 1), (1, 2))):
        walls |= (ce[dy : dy + th, dx : dx + tw] * cls != 2).astype(np.uint8) << bit  # 1 × 2: a wall
    return None if (walls == 15).all() else walls


def dither_indices(
    pixels: np.ndarray, palette: np.ndarray, exact: np.ndarray, strength: float = 1.0, *,
    chroma: float = CHROMA_SCALE,
) -> np.ndarray:
    """Per-pixel palette indices with masked error diffusion at `strength` (0..1); strength 0
    gives `exact` (the nearest-entry indices) unchanged. RGB is compared in the working space
    with chroma weight `chroma` (`quantize` passes the one its palette was chosen with)."""
    if strength <= 0 or len(palette) < 2:
        return exact
    checkpoint()
    s = strength_map(pixels, palette, exact, strength)
    checkpoint()
    return diffuse(pixels, palette, exact, s, chroma)
