"""Command line: `kmeans-desktop [PATH]` starts the GUI; `kmeans-desktop compress ...` runs headless.

Qt is imported only on the GUI path, so `compress` starts fast and works without a display.
Bad input exits with code 2 and one plain `error:` line on stderr; nothing is written then.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from . import __version__
from .logs import log_file, setup_logging

log = logging.getLogger("kmeans_desktop.cli")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_K = 256


class UsageError(Exception):
    """A bad command line; the message is shown after `error:`."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one `error:` line and exit code 2, without the usage dump."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


def _k_value(text: str) -> int:
    try:
        k = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"-k must be a whole number from 1 to 256, not {text!r}") from None
    if not 1 <= k <= 256:
        raise argparse.ArgumentTypeError(f"-k must be from 1 to 256, not {k}")
    return k


def _seed_value(text: str) -> int:
    try:
        seed = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number, not {text!r}") from None
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be from 0 to {2**32 - 1}, not {seed}")
    return seed


def build_compress_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kmeans-desktop compress",
        description="Reduce an image to K colours by k-means and save it as an indexed PNG or GIF.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image file(s) to compress")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="output file (.png or .gif); a folder when there are several inputs")
    p.add_argument("-k", type=_k_value, default=DEFAULT_K, metavar="K",
                   help=f"number of colours, 1 to 256 (default {DEFAULT_K})")
    p.add_argument("--dither", action="store_true", help="Floyd–Steinberg dithering onto the palette")
    p.add_argument("--seed", type=_seed_value, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object per input on stdout")
    p.add_argument("--force", action="store_true", help="allow replacing the input file itself")
    return p


def build_gui_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kmeans-desktop",
        description="Compress images by k-means colour quantization. "
        "Without a command, opens the window (with PATH, if given). "
        "Run 'kmeans-desktop compress --help' for the command line.",
    )
    p.add_argument("--version", action="version", version=f"kmeans-desktop {__version__}")
    p.add_argument("path", nargs="?", metavar="PATH", help="image to open in the window")
    return p


def _output_for(inp: Path, output: Path, several: bool) -> Path:
    if several or output.is_dir():
        return output / f"{inp.stem}.png"
    return output


def _check_output(inp: Path, out: Path, force: bool) -> str:
    from .core import format_for_path

    fmt = format_for_path(out)  # ImageSaveError for an unknown extension
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{out}: the folder {folder} can't be written to.")
    if out.is_dir():
        raise UsageError(f"{out}: a folder has that name; give a file name ending in .png or .gif.")
    if out.exists() and inp.exists() and os.path.samefile(inp, out) and not force:
        raise UsageError(f"{out}: this is the input file; use --force to replace it.")
    return fmt


def compress_one(inp: Path, out: Path, *, k: int, dither: bool, seed: int, force: bool) -> dict:
    """Load, quantize, encode and atomically write one image; returns the stats for --json."""
    from .core import encode, load_image, quantize, write_atomic

    t0 = time.perf_counter()
    fmt = _check_output(inp, out, force)
    src = load_image(inp)
    q = quantize(src.pixels, k, dither=dither, seed=seed)
    data = encode(q, fmt, icc_profile=src.icc_profile)
    write_atomic(out, data)
    return {
        "input": str(inp),
        "output": str(out),
        "k": k,
        "colors": q.n_colors,
        "width": q.width,
        "height": q.height,
        "bytes_in": src.file_size,
        "bytes_out": len(data),
        "psnr": round(q.psnr, 3) if q.psnr != float("inf") else None,
        "seconds": round(time.perf_counter() - t0, 3),
        "format": fmt,
        "dither": dither,
        "seed": seed,
    }


def _describe(r: dict) -> str:
    ratio = f" ({r['bytes_out'] / r['bytes_in']:.0%} of the original)" if r["bytes_in"] else ""
    psnr = "lossless" if r["psnr"] is None else f"PSNR {r['psnr']:.2f} dB"
    return (
        f"{r['input']} -> {r['output']}: {r['width']}×{r['height']}, {r['colors']} colours, "
        f"{r['bytes_in']:,} -> {r['bytes_out']:,} bytes{ratio}, {psnr}, {r['seconds']:.2f} s"
    )


def run_compress(argv: list[str]) -> int:
    from .core import KMeansDesktopError

    args = build_compress_parser().parse_args(argv)
    output = Path(args.output)
    several = len(args.inputs) > 1
    if several and not output.is_dir():
        raise UsageError(f"{output}: with several inputs, -o must be an existing folder.")
    status = EXIT_OK
    for name in args.inputs:
        inp = Path(name)
        try:
            r = compress_one(inp, _output_for(inp, output, several), k=args.k, dither=args.dither,
                             seed=args.seed, force=args.force)
        except (KMeansDesktopError, UsageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(json.dumps(r) if args.json else _describe(r), flush=True)
    return status


def run_gui(argv: list[str]) -> int:
    args = build_gui_parser().parse_args(argv)
    try:
        from .gui.app import run
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("kmeans_desktop.gui"):
            return _demo(args.path)
        raise
    return run(args.path)


def _demo(path: str | None) -> int:
    """Until the window exists: compress the given image (or the sample) and print the stats."""
    from .resources import sample_image_path

    inp = Path(path) if path else sample_image_path()
    out = Path.cwd() / f"{inp.stem}-k{16}.png"
    return run_compress([str(inp), "-k", "16", "-o", str(out), "--force"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_logging()
    try:
        if argv and argv[0] == "compress":
            return run_compress(argv[1:])
        return run_gui(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: not enough memory for this image.", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # the last line of defence: a sentence for people, the traceback to the log
        log.exception("unexpected failure")
        print(f"error: unexpected failure ({exc}); details are in {log_file()}.", file=sys.stderr)
        return EXIT_FAILED
