"""Command line: `kmeans-desktop [PATH]` starts the GUI; `kmeans-desktop compress ...` runs headless.

Qt is imported only on the GUI path, so `compress` starts fast and works without a display.
Bad input exits with code 2 and one plain `error:` line on stderr; nothing is written then. With
several inputs each bad one prints its line, the others go on, and the exit code is 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .core.encoding import DEFAULT_EFFORT, EFFORT_HELP, EFFORT_MAX, EFFORT_MIN
from .compress import Interrupted, Job, UsageError, parse_bytes, parse_dims, plan_outputs, run_batch
from .logs import log_file, native_stderr_to_log, setup_logging

log = logging.getLogger("kmeans_desktop.cli")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: Internal: runs the GUI's PNG-encoder helper process (a frozen app has no `python -m`).
ENCODER_HELPER_FLAG = "--encoder-helper"
DEFAULT_K = 256


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one `error:` line and exit code 2, without the usage dump."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


def _arg(parse):
    """A type= converter whose ValueError message argparse shows after "argument --option: "."""

    def convert(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def _k_value(text: str) -> int:
    try:
        k = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"-k must be a whole number from 1 to 256, not {text!r}") from None
    if not 1 <= k <= 256:
        raise argparse.ArgumentTypeError(f"-k must be from 1 to 256, not {k}")
    return k


def _strength(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dither-strength must be a number from 0 to 1, not {text!r}") from None
    if not 0.0 <= s <= 1.0:
        raise argparse.ArgumentTypeError(f"--dither-strength must be from 0 to 1, not {text}")
    return s


def _whole(name: str, lo: int, hi: int):
    def convert(text: str) -> int:
        try:
            n = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, not {text!r}") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be from {lo} to {hi}, not {n}")
        return n

    return convert


def _colour_list(text: str) -> tuple:
    from .core.fixed_colours import PaletteError
    from .core.palette_io import parse_colour_list

    try:
        return tuple(parse_colour_list(text))
    except PaletteError as exc:
        raise ValueError(str(exc)) from None


def _colour_options(args) -> tuple[int, tuple, tuple | None, Path | None]:
    """K, the locked colours, the fixed palette and the palette export path, checked together
    before any work: a mistake here is one sentence and nothing is written."""
    from .core.fixed_colours import PaletteError

    k, lock, palette, export = args.k or DEFAULT_K, args.lock or (), None, None
    if args.palette is not None or args.export_palette is not None:
        from .core.palette_io import export_format, read_palette  # json and friends: only when asked for
    if args.palette is not None:
        if args.k is not None or args.lock:
            raise UsageError(f"--palette {args.palette} sets the colours itself; leave out "
                             f"{'-k' if args.k is not None else '--lock'}.")
        try:
            palette = tuple(tuple(int(v) for v in row) for row in read_palette(args.palette))
        except PaletteError as exc:
            raise UsageError(str(exc)) from None
        k = len(palette)
    if len(lock) > k:
        raise UsageError(f"{len(lock)} locked colours don't fit in K={k}; lock at most {k} or raise -k.")
    if args.export_palette is not None:
        export = Path(args.export_palette)
        if len(args.inputs) > 1:
            raise UsageError("--export-palette takes one input; give one image, or export each on its own.")
        try:
            export_format(export)
        except PaletteError as exc:
            raise UsageError(str(exc)) from None
        folder = export.parent if str(export.parent) else Path(".")
        if not folder.is_dir():
            raise UsageError(f"{export}: the folder {folder} does not exist.")
        if export.exists() and not args.force:
            raise UsageError(f"{export}: already exists; use --force to replace it.")
    return k, tuple(lock), palette, export


def build_compress_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kmeans-desktop compress",
        description="Reduce images to at most K colours by k-means and save them small: indexed PNG "
        "(default), GIF, lossless WebP, or JPEG. With --max-bytes, the best-looking file that fits is found: "
        "size, colours and dithering chosen together by SSIMULACRA2.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image file(s) to compress")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT_OR_DIR",
                   help="output file, or a folder (required with several inputs)")
    p.add_argument("-k", type=_k_value, default=None, metavar="K",
                   help=f"the most colours, 1 to 256 (default {DEFAULT_K})")
    p.add_argument("--max-bytes", type=_arg(parse_bytes), metavar="SIZE",
                   help="file size limit: 150000, 150KB, 1.5MB, 120KiB (KB = 1000, KiB = 1024)")
    p.add_argument("--max-size", type=_arg(parse_dims), metavar="WxH",
                   help="fit within W×H pixels (Lanczos, aspect kept, never enlarged); 600x or x400 work too")
    p.add_argument("--min-size", type=_arg(parse_dims), metavar="WxH",
                   help="with --max-bytes, never shrink below W×H pixels (forms that demand at least 600x600)")
    p.add_argument("--format", choices=["png", "gif", "webp", "jpeg", "auto"],
                   help="output format (default: from the output's extension, or png for a folder); auto: "
                   "the best-looking of PNG, WebP and JPEG, and the output gets that format's extension")
    p.add_argument("--keep-metadata", action="store_true", help="keep EXIF (dropped by default for privacy)")
    p.add_argument("--no-downscale", action="store_true",
                   help="keep the dimensions (those --max-size gives, or the original's): with --max-bytes, "
                   "search colours and dithering only, and fail when 2 colours don't fit")
    p.add_argument("--dither", action="store_true",
                   help="error diffusion onto the palette, kept off flat areas where its noise would show")
    p.add_argument("--dither-strength", type=_strength, default=None, metavar="S",
                   help="how strongly to dither, 0 to 1 (default 1 with --dither; 0 is no dithering); "
                   "without either flag, --max-bytes chooses")
    p.add_argument("--effort", type=_whole("--effort", EFFORT_MIN, EFFORT_MAX), default=DEFAULT_EFFORT, metavar="N",
                   help=EFFORT_HELP)
    p.add_argument("--seed", type=_whole("--seed", 0, 2**32 - 1), default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--lock", type=_arg(_colour_list), metavar="COLOURS",
                   help="colours kept exactly in the palette, like '#c8102e,#ffffff' (they count toward K)")
    p.add_argument("--palette", metavar="FILE",
                   help="map to exactly this palette: a GIMP .gpl file or an image of at most 256 colours "
                   "(not with -k or --lock; with --max-bytes only the size may shrink)")
    p.add_argument("--export-palette", metavar="FILE",
                   help="also write the palette used, as .gpl, .css or .json (by extension; one input only)")
    p.add_argument("--json", action="store_true", help="print one JSON object per input on stdout")
    p.add_argument("--force", action="store_true", help="allow replacing existing files, the input included")
    p.add_argument("--jobs", type=_whole("--jobs", 1, 256), default=os.cpu_count() or 1, metavar="N",
                   help="images processed in parallel (default: the number of cores)")
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
    p.add_argument("--self-test", action="store_true",
                   help="open the window with the sample image, wait for the final preview, print a ready line and quit")
    desktop = p.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop", action="store_true",
                         help="Linux: add the app to the desktop's menu and 'Open with' (your XDG data folder)")
    desktop.add_argument("--uninstall-desktop", action="store_true", help="Linux: remove what --install-desktop added")
    return p


def run_compress(argv: list[str]) -> int:
    args = build_compress_parser().parse_args(argv)
    k, lock, palette, export = _colour_options(args)
    max_w, max_h = args.max_size or (None, None)
    min_w, min_h = args.min_size or (None, None)
    if args.dither or args.dither_strength is not None:  # the user's dithering is kept as set
        dither, strength = True, 1.0 if args.dither_strength is None else args.dither_strength
    else:
        dither, strength = (None if args.max_bytes else False), 1.0  # None: the search chooses
    pairs = plan_outputs([Path(p) for p in args.inputs], Path(args.output), args.format)
    seen: dict[Path, Path] = {}
    for inp, out, fmt in pairs:
        if fmt == "auto":  # the final names are known after the work (compress.run_batch checks them)
            continue
        if out in seen:
            raise UsageError(f"{seen[out].name} and {inp.name} would both be written to {out}; rename one.")
        seen[out] = inp
    jobs = [
        Job(input=inp, output=out, k=k, format=fmt, max_bytes=args.max_bytes, max_width=max_w,
            max_height=max_h, keep_metadata=args.keep_metadata, dither=dither, seed=args.seed,
            force=args.force, allow_downscale=not args.no_downscale, score=args.json,
            dither_strength=strength, min_width=min_w, min_height=min_h, effort=args.effort, locked=lock,
            palette=palette, export_palette=export)
        for inp, out, fmt in pairs
    ]
    with native_stderr_to_log(), _band_packing(jobs):  # the C libraries' warnings go to the log
        _ok, failed = run_batch(jobs, workers=args.jobs, as_json=args.json)
    if not failed:
        return EXIT_OK
    return EXIT_BAD_INPUT if len(jobs) == 1 else EXIT_FAILED


@contextmanager
def _band_packing(jobs: list[Job]):
    """For one large PNG, a second process that packs half its rows (`core.encoding.bands`): started
    now, its imports overlap the quantizing. A batch keeps both cores busy without it."""
    packer = None
    if len(jobs) == 1 and jobs[0].format in ("png", "auto"):
        from PIL import Image

        from .core.encoding import packing_for

        try:
            with Image.open(jobs[0].input) as im:
                pixels = im.width * im.height
        except Exception:  # noqa: BLE001 - load_image reports a bad input in its own words
            pixels = 0
        if packing_for(jobs[0].effort, pixels).bands > 1:
            from .core.encoding import set_band_packer
            from .gui.helper import BandPacker  # Qt-free: the window's helper process, run for this

            packer = BandPacker()
            set_band_packer(packer)
    try:
        yield
    finally:
        if packer is not None:
            set_band_packer(None)
            packer.close()


def run_gui(argv: list[str]) -> int:
    args = build_gui_parser().parse_args(argv)
    if args.install_desktop or args.uninstall_desktop:
        from .desktop_entry import run_desktop_command  # Qt-free

        return run_desktop_command(install_entry=args.install_desktop)
    if args.self_test:
        from .gui.selftest import run_self_test  # Qt is imported on the GUI paths only

        return run_self_test(args.path)
    from .gui.app import run

    return run(args.path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [ENCODER_HELPER_FLAG]:
        from .gui.helper import main as helper_main  # Qt-free

        helper_main()
        return EXIT_OK
    setup_logging()
    try:
        if argv and argv[0] == "compress":
            return run_compress(argv[1:])
        return run_gui(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as exc:  # what was and wasn't written has been reported
        return exc.exit_code
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
