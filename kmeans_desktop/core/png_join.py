"""Joining PNGs of bands of rows, each packed on its own (on another core), into the PNG of the
whole image, without unpacking and packing again.

A PNG holds one zlib stream, and libdeflate (oxipng's compressor) only writes whole streams: the
last block of each is marked final, and nothing says where that block starts. So each band's
stream is read with the standard library's zlib, which finds where its last block starts: its
header is the last stretch of the stream that gives no output. That bit is cleared, an empty
stored block (what zlib's sync flush writes) brings the stream to a byte boundary, and the next
band's stream follows, as pigz joins its slices. A band's first row was filtered with no row above
it; in the whole image the decoder uses the row above, so that row's filter must ignore it: None
or Sub. oxipng sometimes writes Up or Paeth there, which on a first row are the same bytes as None
and Sub, so that one literal is written again (`_first_row_prior_free`). Every step is checked by
decompressing what it made; when one fails, `join_bands` returns None and the caller packs the
whole image at once (the same input always takes the same path, so the bytes are deterministic).
"""

from __future__ import annotations

import struct
import zlib

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The order in which a dynamic block header lists its code-length code lengths (RFC 1951, 3.2.7).
_CL_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)
#: Bytes at the end of a stream searched for its last block (libdeflate ends a block within
#: 300,000 input bytes; a 9 MP photo's band has 0.2-0.9 MB of stream, its blocks 20-40 kB).
_TAIL = 1 << 18
#: What an empty stored block writes after its 3 header bits and the padding to a byte boundary.
_STORED_EMPTY = b"\x00\x00\xff\xff"
#: An empty final block (fixed codes, end of block only): ends a test stream.
_FINAL_EMPTY = b"\x03\x00"
#: On a first row (the row above taken as zeros), Up packs the same bytes as None, Paeth as Sub.
_PRIOR_FREE = {2: 0, 4: 1}


def chunks(png: bytes):
    """(type, data) of each chunk of a PNG."""
    i = len(_PNG_SIGNATURE)
    while i + 8 <= len(png):
        (n,) = struct.unpack(">I", png[i:i + 4])
        yield png[i + 4:i + 8], png[i + 8:i + 8 + n]
        i += 12 + n


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bits(data: bytes, p: int, n: int) -> int:
    """n (≤ 32) bits of `data` from bit p, least significant first (deflate's bit order)."""
    v = int.from_bytes(data[p >> 3:(p >> 3) + 6], "little") >> (p & 7)
    return v & ((1 << n) - 1)


def _complete(lengths) -> bool:
    """Whether Huffman code lengths make a complete prefix code (or one code of one bit)."""
    used = [n for n in lengths if n]
    if len(used) == 1:
        return used[0] == 1
    return bool(used) and sum(1 << (15 - n) for n in used) == 1 << 15


def _codes(lengths) -> dict[int, tuple[int, int]]:
    """symbol -> (canonical code as deflate stores it, bit-reversed; its length)."""
    counts = [0] * 16
    for n in lengths:
        counts[n] += n > 0
    code, first = 0, [0] * 16
    for n in range(1, 16):
        code = (code + counts[n - 1]) << 1
        first[n] = code
    out = {}
    for symbol, n in enumerate(lengths):
        if n:
            out[symbol] = (int(format(first[n], f"0{n}b")[::-1], 2), n)
            first[n] += 1
    return out


def _dynamic_header(data: bytes, p: int):
    """The literal/length code lengths of a dynamic block whose header (after its 3 first bits)
    starts at bit p, and the bit after the header; None if no valid header starts there."""
    hlit, hdist, hclen = _bits(data, p, 5) + 257, _bits(data, p + 5, 5) + 1, _bits(data, p + 10, 4) + 4
    if hlit > 286 or hdist > 30:
        return None
    p += 14
    cl = [0] * 19
    for i in range(hclen):
        cl[_CL_ORDER[i]] = _bits(data, p + 3 * i, 3)
    p += 3 * hclen
    if not _complete(cl):
        return None
    table = {code: symbol for symbol, code in _codes(cl).items()}
    lengths: list[int] = []
    while len(lengths) < hlit + hdist:
        symbol = next((table[(_bits(data, p, n), n)] for n in range(1, 8) if (_bits(data, p, n), n) in table), None)
        if symbol is None or p >= 8 * len(data):
            return None
        p += cl[symbol]
        if symbol < 16:
            lengths.append(symbol)
        elif symbol == 16:
            if not lengths:
                return None
            lengths += [lengths[-1]] * (3 + _bits(data, p, 2))
            p += 2
        else:
            extra = 3 if symbol == 17 else 7
            lengths += [0] * ((3 if symbol == 17 else 11) + _bits(data, p, extra))
            p += extra
    literal, distance = lengths[:hlit], lengths[hlit:]
    if len(lengths) != hlit + hdist or not literal[256] or not _complete(literal):
        return None
    if sum(map(bool, distance)) > 1 and not _complete(distance):
        return None
    return literal, p


def _last_block_candidates(deflate: bytes, step: int = 8) -> list[int]:
    """Bits where the stream's last block may start: a final dynamic block header near the last
    stretch of `step`-byte pieces of the stream that give no output (a symbol takes at most 48
    bits, so inside a block every 8 bytes give some)."""
    d = zlib.decompressobj(-15)
    head = max(0, len(deflate) - _TAIL)
    d.decompress(deflate[:head])
    start, quiet = None, False
    for i in range(head, len(deflate) - 4, step):
        silent = not d.decompress(deflate[i:i + step])
        if silent and not quiet:
            start = i
        quiet = silent
    if start is None:
        return []
    return [p for p in range(max(0, 8 * (start - step - 3)), 8 * (start + 2))
            if _bits(deflate, p, 3) == 0b101 and _dynamic_header(deflate, p + 3) is not None]


def _not_final(deflate: bytes, raw: bytes) -> bytes | None:
    """`deflate` (whose output is `raw`) with its last block made not final and ended by an empty
    stored block, so that another stream can follow; None if that can't be done."""
    for p in reversed(_last_block_candidates(deflate)):
        cleared = bytearray(deflate)
        cleared[p >> 3] &= ~(1 << (p & 7)) & 0xFF
        # The stored block's 3 header bits fit in the last byte's padding, or need one more byte.
        for pad in (b"", b"\x00"):
            joined = bytes(cleared) + pad + _STORED_EMPTY
            d = zlib.decompressobj(-15)
            try:
                out = d.decompress(joined + _FINAL_EMPTY)
            except zlib.error:
                continue
            if d.eof and not d.unused_data and out == raw:
                return joined
    return None


def _first_row_prior_free(deflate: bytes, raw: bytes) -> tuple[bytes, bytes] | None:
    """`deflate` and its output `raw` with the first row's filter one that ignores the row above
    (None or Sub), rewriting the first literal if oxipng chose Up or Paeth; None if it can't."""
    kind = raw[0]
    if kind in (0, 1):
        return deflate, raw
    if kind not in _PRIOR_FREE or _bits(deflate, 1, 2) != 2:  # only a dynamic first block is read
        return None
    header = _dynamic_header(deflate, 3)
    if header is None:
        return None
    literal, end = header
    new = _PRIOR_FREE[kind]
    codes = _codes(literal)
    if new not in codes or _bits(deflate, end, codes[kind][1]) != codes[kind][0]:
        return None
    (new_code, new_len), old_len = codes[new], codes[kind][1]
    v = int.from_bytes(deflate, "little")
    v = (v & ((1 << end) - 1)) | (new_code << end) | ((v >> (end + old_len)) << (end + new_len))
    out, fixed = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "little"), bytes([new]) + raw[1:]
    d = zlib.decompressobj(-15)
    try:
        ok = d.decompress(out) == fixed and d.eof and not d.unused_data
    except zlib.error:
        ok = False
    return (out, fixed) if ok else None


def join_bands(pngs: list[bytes], height: int) -> bytes | None:
    """The PNG of the image whose bands of rows, top to bottom, `pngs` hold (packed alike: the
    same header but the height, and palette); its chunks other than the image data are the first
    band's. None when the bands can't be joined (see the module docstring)."""
    parts = [list(chunks(png)) for png in pngs]
    heads = [[(k, d) for k, d in part if k not in (b"IDAT", b"IEND", b"iCCP", b"eXIf")] for part in parts]
    headers = [dict(h).get(b"IHDR", b"") for h in heads]
    if any(len(h) != 13 for h in headers) or len({h[:4] + h[8:] for h in headers}) != 1 \
            or any([(k, d) for k, d in h if k != b"IHDR"] != [(k, d) for k, d in heads[0] if k != b"IHDR"] for h in heads):
        return None
    streams, raws, zlib_header = [], [], b""
    for i, part in enumerate(parts):
        z = b"".join(d for k, d in part if k == b"IDAT")
        zlib_header = zlib_header or z[:2]
        try:
            raw = zlib.decompress(z)
        except zlib.error:
            return None
        deflate = z[2:-4]
        if i > 0:
            fixed = _first_row_prior_free(deflate, raw)
            if fixed is None:
                return None
            deflate, raw = fixed
        if i < len(parts) - 1:
            deflate = _not_final(deflate, raw)
            if deflate is None:
                return None
        streams.append(deflate)
        raws.append(raw)
    adler = 1
    for raw in raws:
        adler = zlib.adler32(raw, adler)
    idat = zlib_header + b"".join(streams) + struct.pack(">I", adler)
    first = parts[0]
    ihdr = first[0][1][:4] + struct.pack(">I", height) + first[0][1][8:]
    before, after, seen = [], [], False
    for kind, data in first:
        if kind == b"IDAT":
            seen = True
        elif kind not in (b"IHDR", b"IEND"):
            (after if seen else before).append(_chunk(kind, data))
    return b"".join([_PNG_SIGNATURE, _chunk(b"IHDR", ihdr), *before, _chunk(b"IDAT", idat), *after,
                     _chunk(b"IEND", b"")])
