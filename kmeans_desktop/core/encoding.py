"""Encoding a `Quantized` image to file bytes (indexed PNG, GIF, lossless WebP, JPEG), and saving
them atomically.

PNG goes straight from indices and palette, packed at the smallest bit depth that holds the
palette, to oxipng's raw-image encoder, which orders the palette, writes tRNS only for entries that need it and searches
filters and deflate settings. The bytes are known before anything touches the disk, so what a
caller shows is exactly what `save` writes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import oxipng
from PIL import Image

from .errors import FormatLimitError, ImageSaveError
from .imageio import write_atomic
from .kmeans import Quantized
from .png_join import join_bands

#: Output formats by file extension.
FORMATS = {".png": "png", ".gif": "gif", ".webp": "webp", ".jpg": "jpeg", ".jpeg": "jpeg"}
#: The extension each format is written with by default.
EXTENSIONS = {"png": ".png", "gif": ".gif", "webp": ".webp", "jpeg": ".jpg"}
#: The longest side each format can store: WebP's header has 14 bits a side, libjpeg stops at
#: 65500, GIF's header has 16 bits. PNG's 2^31 is far past our 150 MP input limit.
MAX_SIDE = {"png": 2**31 - 1, "gif": 65535, "webp": 16383, "jpeg": 65500}
_FORMAT_NAMES = {"png": "PNG", "gif": "GIF", "webp": "WebP", "jpeg": "JPEG"}
#: JPEG quality when no byte budget asks for another.
JPEG_QUALITY = 90

#: The effort setting (`--effort`, JSON `effort`): how hard the PNG is packed. 1 is fastest, 5 packs
#: hardest and is the slowest; 3 is the default. It changes only the PNG packing (never the
#: palette or the pixels), so the same input, K, seed and effort always give the same bytes.
EFFORT_MIN, EFFORT_MAX, DEFAULT_EFFORT = 1, 5, 3
EFFORT_HELP = ("how hard to pack the PNG, 1 (fastest) to 5 (smallest, slowest); default 3. "
               "It never changes the colours, only the bytes and the time")


@dataclass(frozen=True)
class Packing:
    """How oxipng packs one PNG: the row filters it tries, libdeflate's level, and whether every
    trial (filter × palette order) is judged at full strength instead of by a quick pre-pass."""

    filters: tuple[str, ...]
    deflate: int
    full_trials: bool = False
    #: Choose one of the filters by packing bands of rows (an eighth of the image) with each, then
    #: pack the whole image once with the winner: 1.25× one trial's work instead of one per filter.
    sample_choice: bool = False
    #: With `sample_choice`: when unfiltered rows pack the sample within this fraction of the
    #: chosen filter, both are tried on the whole image (a close call; `_CLOSE_CALL`).
    close_call: float = 0.0
    #: Pack the whole image once per filter (oxipng's quick evaluation each, and with `full_trials`
    #: once more with full trials) and keep the smallest file: unlike oxipng's own trials of several
    #: filters, never larger than any one filter alone.
    best_of: bool = False
    #: Let oxipng also try its reordered palettes (each ordering is one more quick trial packing of
    #: the whole image, then judged against ours, which `kmeans._tidy` has sorted by luminance).
    palette_trials: bool = True
    #: Pack this many bands of rows on their own and join them (`png_join`), so that two cores can
    #: share one image's packing (`set_band_packer`); the bytes are the same wherever they run.
    bands: int = 1


_PACKING_LIMITS = (1_000_000, 4_000_000)  # pixels: small (web size), medium, large
_SMALL_BEST = ("Entropy", "NoOp")
#: The packing per effort and image size (up to 1 MP, up to 4 MP, larger), chosen from
#: benchmarks/bench_packing.py (2026-12-02, 2 cores at load 7–9, so seconds are inflated about 3×;
#: bytes are exact). libdeflate's level 12 is its near-optimal parser and a real step: 5–10 % smaller
#: than 10–11. The row filter depends on the picture: oxipng's per-row Entropy heuristic wins on
#: photos at level 12 (china K=64: 97,342 bytes against 102,939 unfiltered) while flat graphics and
#: icons pack best unfiltered (flat K=32: 8,440 against 8,887; icons K=64: 6,518 against 6,751), and
#: oxipng's quick pre-pass between filters picks wrongly (it chose unfiltered on china), so up to
#: 4 MP the filter is chosen by packing an eighth of the rows with each (`sample_choice`): over the
#: 24 bench_perceptual images × K = 8/64/256 that is 0.991× the bytes of trying both filters on the
#: whole image, in 0.74× the time (in one process, where oxipng runs the two trials on two cores;
#: about 0.6× the CPU). Full trials of one filter gain nothing at level 12 (china: same bytes,
#: 1.5× the time). Measured (bytes, seconds):
#:
#: | image                 | NoOp d6         | Entropy d10      | Entropy d12      | both d12 full |
#: |-----------------------|-----------------|------------------|------------------|---------------|
#: | china 0.27 MP K=64    | 108,387  0.05   | 106,995  0.57    |  97,342  1.17    |  97,342  ~1.8 |
#: | flat 0.17 MP K=32     |  10,326  0.03   |   9,409  0.28    |   8,887  0.77    |   8,440  ~1.5 |
#: | china 9 MP K=64       | 1,609,031  0.8  | 1,362,445  8.4   | 1,344,459  20.8  |               |
#: | pngquant's 9 MP image | 1,361,521  1.7  | 1,251,806  8.6   | 1,231,242  55    | (its file: 1,305,300) |
#:
#: At 9 MP level 12 costs 2.5× level 10 for 1.3 % fewer bytes, so the default packs large images at
#: 10 (the knee; a large image is taken to be a photo); up to 4 MP, where level 12 costs tenths of a
#: second to a few seconds, at 12 with the sampled filter.
#: Efforts 4 and 5 pack the whole image with each filter (2 and 5 filters), with quick and with full
#: trials, and keep the smallest, so they are never larger than effort 3 (whose packing is among
#: theirs); oxipng's own full trials of several filters were not (china K=64: 104,148 bytes against
#: effort 3's 98,864). They gain little over 3 (flat K=32: 8,440 against 8,448; photos: 0 %) for
#: 2–3× and 4–6× its time: the default is the knee.
#: Nothing faster keeps a large image's default bytes (measured 2026-12-02 on 9 MP china, Entropy
#: filter, bytes and CPU seconds; level 10 is the default): K=64 d10 1,289,511 2.90 s, d9 1,391,481
#: (+7.9 %) 1.95 s, d8 +8.5 % 1.69 s, d7 +11.0 % 0.88 s; K=16 d10 671,359 0.98 s, d9 +6.4 % 0.50 s.
#: One libdeflate stream can't be split across cores through pyoxipng (it exposes no raw deflate
#: and runs one trial per thread), and stdlib zlib, which can be (pigz's way: slices ended with a
#: sync flush, each primed with the 32 KB before it), packs the same filtered rows 5.7–9.7 % larger
#: at level 9 (K=64: 1,374,566 with Z_FILTERED, 1,414,276 default) in more CPU (2.9–4.8 s). So
#: the exact bytes of a 9 MP K=64 result took ~3 s of one core (1.6 s without palette trials, below).
#: Since 2026-12-03 large images at the default effort are packed as two bands of rows, each a
#: whole oxipng packing (on two cores where the caller installs a band packer: the window's helper,
#: `compress` of one file), joined into one stream by `png_join` (0.05 s). The bands are cut where
#: half the work lies (`band_bounds`), and cost bytes: a band starts without the 32 KB window and
#: its first row without the row above. Measured on 9 MP china and flower (Entropy, level 10, bytes
#: against the whole-image packing; CPU seconds): china K=64 1,140,981 -> 1,143,007 (+0.18 %),
#: bands 0.78 + 0.72 s and the join 0.07 s against 1.47 s whole; K=16 +0.11 %; flower K=64
#: 464,298 -> 464,674 (+0.08 %), bands 0.69 + 0.66 s, join 0.05 s, against 1.36 s; K=16 +0.08 %. Cutting at the row least like the row above within 2 % of the height
#: instead: +0.105 % against +0.112 % on average, noise; cutting at other rows moved china K=64
#: between +0.04 % and +0.23 %. Eight bands of equal rows cost +0.3-0.7 %, three +0.1 %/-0.2 %.
#: Large images at the default effort skip oxipng's reordered palettes (`palette_trials`): each
#: ordering it tries is one more quick packing of the whole image, and ours (`kmeans._tidy`,
#: by luminance) nearly always wins. Measured 2026-12-02 on 9 MP china and flower (Entropy, level 10;
#: bytes, CPU seconds, best of 2): china K=8/16 the same bytes and time (no trials below 5 bits);
#: K=32 854,067 -> 854,234 (+0.02 %), 2.47 -> 1.71 s; K=64 1,162,619 the same, 2.57 -> 1.58 s;
#: K=128 the same, 2.27 -> 1.46 s; K=256 2,013,375 -> 2,015,268 (+0.09 %), 2.03 -> 1.22 s; flower
#: K=8/16/32 the same bytes, K=32 1.94 -> 1.57 s. That is the exact byte count of a 9 MP result
#: 0.6-0.7x as long after its preview (issue 13's 2 s). Small images keep them (tenths of a second).
#: Cheaper small-image defaults, measured 2026-12-02 (bench_perceptual's images × K = 8/64/256,
#: bytes and CPU against effort 3's sampled choice at 12): sampled at 11: photos 1.024× bytes,
#: 0.58× CPU; flat 1.016×, 0.48×; icons 0.995×, 0.56×; translucent 1.021×, 0.51×; at 10:
#: 1.03–1.09×, 0.27–0.44×. bench_speed's 24-photo folder (vertically mapped indices): 12
#: 1,841,932 bytes ~10.5 s CPU, 11 +1.7 % 5.7 s, 10 +3.5 % 4.0 s (packing is ~45 % of the
#: folder's CPU). The filter chosen on the sample at 10, then packed at 12: photos +0.3 %,
#: folder +0.75 %, 0.7–0.9× CPU. Not taken: bytes come first.
#: Up to 1 MP, when the sample's choice beats unfiltered rows by less than 3 %, the whole image is
#: packed both ways and the smaller kept. The sample (short bands of rows) underrates unfiltered
#: rows, which pack better the more rows above them lie in deflate's window: over 108 cases (7
#: photos and the 2 flat graphics, K = 8…256, undithered and dithered, 2026-12-02) it chose wrongly
#: 14 times, 11 of them with unfiltered rows 0–2.9 % behind on the sample. With this rule: 21 close
#: calls, those 11 packed 0.3–6.9 % smaller (coffee dithered K=8 42,030 -> 40,655, K=32 −4.1 %;
#: flower dithered K=16 −4.2 %, K=256 −6.9 %, undithered K=64 −3.8 %), 0.9963× the bytes in all;
#: encode CPU +12 % (one more whole packing a close call, ~0.1–0.2 s at 0.27 MP), quantize +
#: encode +4 %. The 3 left lose ≤ 0.5 % (samples 3.7–8.9 % apart); a symmetric window (25 calls)
#: fixed only astronaut dithered K=32 more (−0.15 %); judging the whole image at a lower level
#: (4, 6 or 8) instead chose wrongly in 7–10 of the 25 close calls.
_CLOSE_CALL = 0.03
_PACKING: dict[int, tuple[Packing, Packing, Packing]] = {
    1: (Packing(("NoOp",), 6),) * 3,
    2: (Packing(("NoOp",), 10), Packing(("Entropy",), 8), Packing(("Entropy",), 6)),
    3: (Packing(_SMALL_BEST, 12, sample_choice=True, close_call=_CLOSE_CALL), Packing(_SMALL_BEST, 12, sample_choice=True),
        Packing(("Entropy",), 10, palette_trials=False, bands=2)),
    4: (Packing(_SMALL_BEST, 12, full_trials=True, best_of=True),) * 3,
    5: (Packing((*_SMALL_BEST, "BigEnt", "MinSum", "Bigrams"), 12, full_trials=True, best_of=True),) * 3,
}


def check_effort(effort) -> int:
    if isinstance(effort, bool) or not isinstance(effort, (int, np.integer)):
        raise ValueError(f"the effort must be a whole number from {EFFORT_MIN} to {EFFORT_MAX}, not {effort!r}.")
    if not EFFORT_MIN <= int(effort) <= EFFORT_MAX:
        raise ValueError(f"the effort must be from {EFFORT_MIN} to {EFFORT_MAX}, not {int(effort)}.")
    return int(effort)


def packing_for(effort: int, pixels: int) -> Packing:
    """The packing `effort` uses for an image of `pixels` pixels."""
    small, medium, large = _PACKING[check_effort(effort)]
    return small if pixels <= _PACKING_LIMITS[0] else medium if pixels <= _PACKING_LIMITS[1] else large


def check_dimensions(fmt: str, width: int, height: int) -> None:
    """Raise `FormatLimitError` with a plain sentence if `fmt` can't store a width×height image."""
    limit = MAX_SIDE.get(fmt)
    if limit is None or (width <= limit and height <= limit):
        return
    fits = [_FORMAT_NAMES[f] for f, side in MAX_SIDE.items() if f != fmt and max(width, height) <= side]
    instead = " or ".join(fits[:2]) if fits else "another format"
    raise FormatLimitError(
        f"{_FORMAT_NAMES[fmt]} can't store an image over {limit:,} pixels wide or high (this one is "
        f"{width:,}×{height:,}); save it as {instead}, or set a smaller maximum width and height."
    )


def format_for_path(path: str | os.PathLike) -> str:
    """The output format an output path's extension names, or an `ImageSaveError`."""
    p = Path(os.fspath(path))
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        shown = p.suffix or "no extension"
        raise ImageSaveError(f"{p.name}: can't save as {shown}; use one of {known}.")
    return fmt


def _exif_payload(exif: bytes | None) -> bytes | None:
    if not exif:
        return None
    return exif[6:] if exif.startswith(b"Exif\x00\x00") else exif


def bit_depth_for(n_colors: int) -> int:
    """The smallest PNG palette bit depth (1, 2, 4 or 8) that holds n_colors entries."""
    for depth in (1, 2, 4):
        if n_colors <= 1 << depth:
            return depth
    return 8


def pack_rows(indices: np.ndarray, depth: int) -> bytes:
    """PNG scanlines of `depth`-bit indices, most significant bits first, each row padded to a byte."""
    if depth == 8:
        return np.ascontiguousarray(indices).tobytes()
    h, w = indices.shape
    per = 8 // depth
    padded = np.zeros((h, -(-w // per) * per), dtype=np.uint8)
    padded[:, :w] = indices
    groups = padded.reshape(h, -1, per)
    packed = np.zeros(groups.shape[:2], dtype=np.uint8)
    for i in range(per):
        packed |= groups[:, :, i] << (8 - depth * (i + 1))
    return packed.tobytes()


def _raw_png(q: Quantized, indices: np.ndarray, icc_profile: bytes | None, exif: bytes | None):
    return _raw_image(q.palette, indices, icc_profile, exif)


def _raw_image(palette: np.ndarray, indices: np.ndarray, icc_profile: bytes | None, exif: bytes | None):
    n = palette.shape[0]
    rgba = palette if palette.shape[1] == 4 else np.concatenate([palette, np.full((n, 1), 255, np.uint8)], 1)
    palette = [tuple(int(v) for v in row) for row in rgba]
    depth = bit_depth_for(n)
    raw = oxipng.RawImage(
        pack_rows(indices, depth),
        indices.shape[1],
        indices.shape[0],
        color_type=oxipng.ColorType.indexed(palette),
        bit_depth=depth,
    )
    if icc_profile:
        raw.add_icc_profile(icc_profile)
    payload = _exif_payload(exif)
    if payload:
        raw.add_png_chunk(b"eXIf", payload)
    return raw


def _pack(raw, filters: tuple[str, ...], deflate: int, full_trials: bool, palette_trials: bool = True) -> bytes:
    # Keep the packed depth: oxipng would re-expand tiny images to 8 bits to save a few bytes, and
    # on photos the packed depth is also what gives the smallest file (measured on china.jpg).
    return raw.create_optimized_png(
        level=2,
        bit_depth_reduction=False,
        filter=[getattr(oxipng.RowFilter, f) for f in filters],
        deflate=oxipng.Deflaters.libdeflater(deflate),
        fast_evaluation=not full_trials,
        palette_reduction=palette_trials,
    )


_SAMPLE_BAND, _SAMPLE_STEP = 16, 128  # rows: bands of 16 out of every 128 choose the filter
#: Up to this many pixels a sampled choice packs the whole image with each filter instead (and
#: keeps the smallest): icons and small graphics, where a few bands of rows misjudge and a whole
#: trial costs hundredths of a second. Measured 2026-12-02 (bench_perceptual's images, K = 16/64/
#: 256, against the sampled choice): icons-2 K=16 3,747 -> 3,567 bytes (pngquant `--nofs` 3,746),
#: icons K=256 12,093 -> 11,916, the other cases at or below 0.12 MP equal, for 0.02–0.09 s more
#: CPU. At 0.27 MP (the photos) it found flower K=64 3.5 % smaller but costs 0.05–0.12 s a file,
#: a tenth of a small compress (issue 13's 1.2 s), so the sample stays there.
_WHOLE_TRIALS_UPTO = 150_000


def _sampled_filters(q: Quantized, pack: Packing) -> tuple[str, ...]:
    """The filter that packs bands of rows smallest (ties: the first listed), and "NoOp" after it
    when unfiltered rows pack within `pack.close_call` of it (the sample underrates them)."""
    rows = np.concatenate([np.arange(y, min(y + _SAMPLE_BAND, q.height)) for y in range(0, q.height, _SAMPLE_STEP)])
    raw = _raw_png(q, q.indices[rows], None, None)
    sizes = dict(zip(pack.filters, (len(_pack(raw, (f,), pack.deflate, False)) for f in pack.filters)))
    best = min(pack.filters, key=sizes.get)
    if best != "NoOp" and sizes.get("NoOp", np.inf) <= sizes[best] * (1 + pack.close_call) and pack.close_call > 0:
        return best, "NoOp"
    return (best,)


#: Balancing the bands' work: a row costs this much for its pixels (filtering, matching) beside
#: its changes of colour along the row (what deflate spends its time on). Measured 2026-12-03 on
#: 9 MP china K=64 in eighths of rows: packing seconds 0.07-0.27 against changes 1-24 % of all.
_ROW_BASE = 0.25


def band_bounds(indices: np.ndarray, bands: int) -> list[int]:
    """Row bounds of `bands` bands of about equal packing work, from the colour changes per row."""
    h = indices.shape[0]
    changes = np.count_nonzero(indices[:, 1:] != indices[:, :-1], axis=1).astype(np.float64)
    cost = _ROW_BASE * max(changes.sum(), 1.0) / h + (1 - _ROW_BASE) * changes
    cum = np.cumsum(cost)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, bands) / bands) + 1
    return [0, *np.clip(cuts, 1, h - 1).tolist(), h]


def pack_band(indices: np.ndarray, palette: np.ndarray, filters: tuple[str, ...], deflate: int,
              palette_trials: bool, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """One band's PNG (a plain function of plain values: it runs in a helper process too)."""
    return _pack(_raw_image(palette, indices, icc_profile, exif), filters, deflate, False, palette_trials)


def _serial(jobs: list[tuple]) -> list[bytes]:
    return [pack_band(*job) for job in jobs]


_band_packer: Callable[[list[tuple]], list[bytes]] = _serial


def set_band_packer(packer: Callable[[list[tuple]], list[bytes]] | None) -> Callable:
    """Install how the bands of a large image are packed: `packer(jobs)` returns
    `[pack_band(*job) for job in jobs]`, perhaps on other cores; None: in this process. Returns
    the one it replaces."""
    global _band_packer
    old, _band_packer = _band_packer, packer or _serial
    return old


def _pack_bands(q: Quantized, pack: Packing, icc_profile: bytes | None, exif: bytes | None) -> bytes | None:
    bounds = band_bounds(q.indices, pack.bands)
    jobs = [(np.ascontiguousarray(q.indices[a:b]), q.palette, pack.filters, pack.deflate,
             pack.palette_trials, *((icc_profile, exif) if a == 0 else ())) for a, b in zip(bounds[:-1], bounds[1:])]
    return join_bands(_band_packer(jobs), q.height)


def encode_png(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None,
               effort: int = DEFAULT_EFFORT, packing: Packing | None = None) -> bytes:
    """Indexed PNG; `packing` (for benchmarks) overrides what `effort` picks for this size."""
    pack = packing or packing_for(effort, q.width * q.height)
    filters = pack.filters
    if pack.bands > 1 and len(filters) == 1 and not pack.full_trials and q.height >= 64 * pack.bands:
        joined = _pack_bands(q, pack, icc_profile, exif)
        if joined is not None:
            return joined
    raw = _raw_png(q, q.indices, icc_profile, exif)
    if pack.sample_choice and len(filters) > 1 and q.width * q.height <= _WHOLE_TRIALS_UPTO:
        pack = replace(pack, best_of=True)
    if pack.best_of:
        modes = (False, True) if pack.full_trials else (False,)
        files = [_pack(raw, (f,), pack.deflate, full, pack.palette_trials) for f in filters for full in modes]
        return min(files, key=len)  # ties: the first filter listed
    if pack.sample_choice and len(filters) > 1 and q.height >= 2 * _SAMPLE_STEP:
        filters = _sampled_filters(q, pack)
        if len(filters) > 1:  # a close call: each on the whole image
            files = [_pack(raw, (f,), pack.deflate, pack.full_trials, pack.palette_trials) for f in filters]
            return min(files, key=len)  # ties: the sample's choice
    return _pack(raw, filters, pack.deflate, pack.full_trials, pack.palette_trials)


def encode_gif(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """GIF keeps one fully transparent entry; partly transparent entries are written opaque."""
    im = Image.frombytes("P", (q.width, q.height), np.ascontiguousarray(q.indices).tobytes())
    im.putpalette(np.ascontiguousarray(q.palette[:, :3]).tobytes(), rawmode="RGB")
    params: dict = {"optimize": False}
    if q.has_alpha:
        clear = np.flatnonzero(q.palette[:, 3] == 0)
        if len(clear):
            params["transparency"] = int(clear[0])
    if icc_profile:
        params["icc_profile"] = icc_profile
    buf = io.BytesIO()
    im.save(buf, format="GIF", **params)
    return buf.getvalue()


def encode_webp(q: Quantized, *, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """Lossless WebP; libwebp finds the ≤ 256 colours itself and stores them as a palette."""
    mode = "RGBA" if q.has_alpha else "RGB"
    im = Image.fromarray(q.to_array(), mode)
    # method 4: 2.7% larger than method 6 on china.jpg at K=64, and 40× faster (0.07 s vs 3 s).
    params: dict = {"lossless": True, "quality": 100, "method": 4}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if exif:
        params["exif"] = exif
    buf = io.BytesIO()
    im.save(buf, format="WEBP", **params)
    return buf.getvalue()


def encode_jpeg(q: Quantized, *, quality: int = JPEG_QUALITY, icc_profile: bytes | None = None, exif: bytes | None = None) -> bytes:
    """JPEG for forms that take nothing else. It re-spreads the colours, so part of the palette's
    benefit is lost; transparency is flattened onto white."""
    rgb = q.to_array()
    if q.has_alpha:
        a = rgb[..., 3:4].astype(np.uint16)
        rgb = ((rgb[..., :3].astype(np.uint16) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)
    params: dict = {"quality": int(quality), "optimize": True}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if exif:
        params["exif"] = exif
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buf, format="JPEG", **params)
    return buf.getvalue()


def encode(
    q: Quantized,
    fmt: str = "png",
    *,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    quality: int | None = None,
    effort: int = DEFAULT_EFFORT,
) -> bytes:
    """File bytes for `q` in `fmt` ("png", "gif", "webp" or "jpeg"). EXIF is written only when
    given; `quality` applies to JPEG only, `effort` (1..5) to PNG only."""
    check_dimensions(fmt, q.width, q.height)
    effort = check_effort(effort)
    if fmt == "png":
        return encode_png(q, icc_profile=icc_profile, exif=exif, effort=effort)
    if fmt == "gif":
        return encode_gif(q, icc_profile=icc_profile, exif=exif)
    if fmt == "webp":
        return encode_webp(q, icc_profile=icc_profile, exif=exif)
    if fmt == "jpeg":
        return encode_jpeg(q, quality=quality or JPEG_QUALITY, icc_profile=icc_profile, exif=exif)
    raise ValueError(f"unknown format {fmt!r}; use one of {sorted(set(FORMATS.values()))}")


def save(q: Quantized, path: str | os.PathLike, *, icc_profile: bytes | None = None, exif: bytes | None = None,
         effort: int = DEFAULT_EFFORT) -> int:
    """Encode `q` in the format `path` names and write it atomically; returns the bytes written."""
    data = encode(q, format_for_path(path), icc_profile=icc_profile, exif=exif, effort=effort)
    write_atomic(path, data)
    return len(data)
