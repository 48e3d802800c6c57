"""Table look-ups over whole images, `table[index]`, without numpy's full-size index copy.

numpy turns an index array of any other type than intp (our pixels' uint8 entries, the int32 pixel
colour numbers) into a full-size intp copy before it looks anything up: for 9 M pixels a 72 MB
array written and read again, which costs more than the look-up itself. Chunk by chunk the copy
stays in the cache. Measured 2026-12-02 on 9 MP china: each pixel's nearest entry (int32 colour
numbers into 1.2 M labels) 36-40 -> 20-25 ms CPU; the picture's RGB32 pixels from uint8 indices
37 -> 17-18 ms (load 4; chunks of 8 k to 128 k within 15 % of each other).
"""

from __future__ import annotations

import sys

import numpy as np

CHUNK = 1 << 15  # index entries per np.take call


def gather(table: np.ndarray, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`table[index]` for a 1-D `table` and an index array of any shape; into `out` (C-contiguous,
    shaped like `index`) when given. Indices must be in range (they are clipped, not checked)."""
    res = np.empty(index.shape, dtype=table.dtype) if out is None else out
    if not res.flags.c_contiguous:
        raise ValueError("gather: out must be C-contiguous")
    flat = index.reshape(-1)  # (a copy only for a non-contiguous index: one pass)
    dst = res.reshape(-1)
    for i in range(0, flat.size, CHUNK):
        np.take(table, flat[i:i + CHUNK], out=dst[i:i + CHUNK], mode="clip")
    return res


def pair_table(table: np.ndarray) -> np.ndarray:
    """For `gather_pairs`: a uint32 table of up to 256 entries as 65,536 uint64 entries, one for
    each pair of uint8 indices (512 kB; made in about a millisecond)."""
    t = np.zeros(256, np.uint64)
    t[:len(table)] = table
    # little-endian: uint8 indices (a, b) read as uint16 are a | b << 8, and the uint64 that holds
    # the two uint32 results in that order is table[a] | table[b] << 32
    return (t[:, None] << np.uint64(32) | t[None, :]).reshape(-1)


def gather_pairs(pairs: np.ndarray, index: np.ndarray, out: np.ndarray) -> None:
    """`gather(table, index, out)` for uint8 indices and a uint32 table given as `pair_table(table)`:
    two entries a look-up, through the indices read as uint16. Why: the picture of a 9 MP
    result, 9.0 -> 5.1 ms CPU (the same pixels). `index` and `out` C-contiguous, of one shape."""
    if sys.byteorder != "little" or not (index.flags.c_contiguous and out.flags.c_contiguous):
        gather(pairs[:256].astype(np.uint32), index, out=out)  # (pairs with index 0 are the table itself)
        return
    flat, dst = index.reshape(-1), out.reshape(-1)
    even = flat.size // 2 * 2
    flat16, dst64 = flat[:even].view(np.uint16), dst[:even].view(np.uint64)
    for i in range(0, flat16.size, CHUNK):
        np.take(pairs, flat16[i:i + CHUNK], out=dst64[i:i + CHUNK], mode="clip")
    if even < flat.size:
        dst[-1] = np.uint32(pairs[int(flat[-1])] & np.uint64(0xFFFFFFFF))
