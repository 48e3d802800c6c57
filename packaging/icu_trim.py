"""A smaller ICU data library for the frozen app (Linux): what Qt uses of ICU, nothing else.

PySide6's Qt links ICU, whose data library (libicudata.so.NN) is 32 MB: the largest single file
of the bundle. Qt 6 calls only ICU's collation (`ucol_*`, for QCollator), converters (`ucnv_*`,
for QStringConverter's legacy encodings), calendars and time-zone names (`ucal_*`) and
locale-aware case mapping (`u_strToUpper/Lower`); see `imported_icu_functions`. The data for
everything else - display names of languages, regions, currencies and units, transliteration,
spelled-out numbers, Unicode character names, break-iterator rules and dictionaries - is never
read, and is left out here: about 16 MB.

The library holds one ICU "common data" package (format `CmnD`) under the symbol
`icudt<NN>_dat`. `trim_library` reads it from the ELF file, drops the unused items and links a
new library with the same name and symbol using binutils (`ld` and `objcopy`, which PyInstaller
needs on Linux anyway). If anything looks unexpected it raises `IcuTrimError` and build.spec
keeps the original library.

Run it by hand to see what would go: `python packaging/icu_trim.py PATH/libicudata.so.73`.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

#: Item folders (inside icudtNNl/) and files of the package that Qt never reads.
UNUSED_FOLDERS = ("brkitr", "curr", "lang", "rbnf", "region", "translit", "unit")
UNUSED_FILES = ("unames.icu",)
ALIGN = 16


class IcuTrimError(RuntimeError):
    """The library isn't what this module expects; the caller keeps the original."""


def _elf_section(data: bytes, wanted: str) -> tuple[int, int]:
    """(file offset, size) of the named section of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise IcuTrimError("not a little-endian 64-bit ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_offset = sections[shstrndx][4]
    for name_index, _type, _flags, _addr, offset, size, *_ in sections:
        end = data.index(b"\0", names_offset + name_index)
        if data[names_offset + name_index:end].decode() == wanted:
            return offset, size
    raise IcuTrimError(f"no {wanted} section")


def read_package(library: bytes) -> bytes:
    """The common-data package inside an ICU data library (its .rodata section)."""
    offset, size = _elf_section(library, ".rodata")
    package = library[offset:offset + size]
    header_size, magic1, magic2 = struct.unpack_from("<HBB", package, 0)
    if (magic1, magic2) != (0xDA, 0x27) or package[12:16] != b"CmnD" or package[8] != 0:
        raise IcuTrimError("the .rodata section is not a little-endian ICU common data package")
    return package


def package_items(package: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(header, [(name, data), ...]) of a common-data package, in its (sorted) order."""
    header_size, = struct.unpack_from("<H", package, 0)
    toc = header_size
    count, = struct.unpack_from("<I", package, toc)
    entries = [struct.unpack_from("<II", package, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        end = package.index(b"\0", toc + name_offset)
        name = package[toc + name_offset:end].decode("ascii")
        data_end = entries[i + 1][1] if i + 1 < count else len(package) - toc
        items.append((name, package[toc + data_offset:toc + data_end]))
    return package[:header_size], items


def build_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common-data package of `items` (sorted by name, as ICU's binary search needs)."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table_size = 4 + 8 * len(items)
    data_start = table_size + len(names)
    data_start += -(len(header) + data_start) % ALIGN
    name_offsets, data_offsets, blobs = [], [], []
    name_pos, data_pos = table_size, data_start
    for name, data in items:
        name_offsets.append(name_pos)
        name_pos += len(name) + 1
        data_offsets.append(data_pos)
        padded = data + b"\0" * (-len(data) % ALIGN)
        blobs.append(padded)
        data_pos += len(padded)
    table = struct.pack("<I", len(items)) + b"".join(
        struct.pack("<II", n, d) for n, d in zip(name_offsets, data_offsets))
    body = table + names
    body += b"\0" * (data_start - len(body))
    return header + body + b"".join(blobs)


def is_unused(name: str) -> bool:
    parts = name.split("/")  # icudt73l/curr/de.res, icudt73l/unames.icu
    return (len(parts) > 2 and parts[1] in UNUSED_FOLDERS) or parts[-1] in UNUSED_FILES


def trimmed_package(package: bytes) -> tuple[bytes, list[str]]:
    header, items = package_items(package)
    kept = [(n, d) for n, d in items if not is_unused(n)]
    return build_package(header, kept), [n for n, _ in items if is_unused(n)]


def data_symbol(library: bytes) -> str:
    match = re.search(rb"icudt\d+_dat", library)
    if not match:
        raise IcuTrimError("no icudtNN_dat symbol")
    return match.group().decode()


def link_library(package: bytes, symbol: str, soname: str, out: Path) -> None:
    """Write a shared library `out` that exports `symbol`: the package, read-only, 16-aligned."""
    for tool in ("ld", "objcopy"):
        if shutil.which(tool) is None:
            raise IcuTrimError(f"{tool} (binutils) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        blob, obj = Path(tmp) / "icudata.bin", Path(tmp) / "icudata.o"
        blob.write_bytes(package)
        subprocess.run(["ld", "-r", "-b", "binary", "-o", str(obj), blob.name], cwd=tmp, check=True)
        subprocess.run(["objcopy", "--redefine-sym", f"_binary_icudata_bin_start={symbol}",
                        "--strip-symbol", "_binary_icudata_bin_end", "--strip-symbol", "_binary_icudata_bin_size",
                        "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents",
                        "--set-section-alignment", f".rodata={ALIGN}", str(obj)], check=True)
        subprocess.run(["ld", "-shared", "-soname", soname, "-z", "noexecstack", "-o", str(out), str(obj)],
                       check=True)
    check = read_package(out.read_bytes())
    if check != package:
        raise IcuTrimError("the new library does not hold the package unchanged")


def trim_library(source: Path, out: Path) -> tuple[int, int, list[str]]:
    """Write the trimmed copy of the ICU data library `source` to `out`.

    Returns (old size, new size, names of the items left out)."""
    library = source.read_bytes()
    package = read_package(library)
    trimmed, dropped = trimmed_package(package)
    _header, kept = package_items(trimmed)
    if not dropped or not any("/coll/" in n for n, _ in kept) or not any(n.endswith(".cnv") for n, _ in kept):
        raise IcuTrimError("unexpected package contents")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        link_library(trimmed, data_symbol(library), source.name, out)
    except subprocess.CalledProcessError as exc:
        raise IcuTrimError(f"linking failed: {exc}") from exc
    return len(library), out.stat().st_size, dropped


def imported_icu_functions(library: Path) -> list[str]:
    """The ICU functions a (Qt) library imports, by name without the version suffix."""
    out = subprocess.run(["objdump", "-T", str(library)], capture_output=True, text=True, check=True).stdout
    return sorted({m.group(1) for m in re.finditer(r"\*UND\*\s+\S+\s+(?:\S+\s+)?(u[a-z]*_\w+?)_\d+$", out, re.M)})


if __name__ == "__main__":
    src = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        old, new, dropped = trim_library(src, Path(tmp) / src.name)
    print(f"{src.name}: {old / 1e6:.1f} MB -> {new / 1e6:.1f} MB ({len(dropped)} items left out)")
