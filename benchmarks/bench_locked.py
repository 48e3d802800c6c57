"""Locked colours: fixed centres (ours) against two ways of pasting colours in afterwards.

Prints SSIMULACRA2 on the sample photo at K = 8/16/64 with 1-3 locked colours: no lock (the
ceiling), fixed centres (quantize(locked=...)), "append after" (K - m free colours, then the
locked ones appended and every pixel remapped) and "replace nearest" (K colours, the nearest
entries replaced by the locked ones). Run: .venv/bin/python benchmarks/bench_locked.py
"""
import numpy as np, time
from kmeans_desktop.core import quantize, load_image
from kmeans_desktop.core.metrics import ssimulacra2
from kmeans_desktop.core.colourspace import to_working
from kmeans_desktop.core.colorbins import nearest
src = load_image(__import__('pathlib').Path(__file__).resolve().parent.parent / 'resources' / 'sample.jpg'); px = src.pixels
print("image", px.shape)
for k in (8, 16, 64):
    for lock in ([(200,16,46)], [(200,16,46),(255,255,255)], [(30,90,160),(250,220,40),(255,255,255)]):
        t=time.time(); q = quantize(px, k, locked=lock); t1=time.time()-t
        honest = ssimulacra2(px, q.to_array())
        # pasted: free k-len(lock) colours, then locked appended; remap to nearest
        q0 = quantize(px, k - len(lock))
        pal = np.concatenate([q0.palette, np.array(lock, np.uint8)])
        w = to_working(px.reshape(-1,3), dtype=np.float32)
        lab = nearest(to_working(pal), w)
        pasted = ssimulacra2(px, pal[lab].reshape(px.shape))
        # pasted-over: K colours, replace nearest entries with locked colours
        q1 = quantize(px, k); pal2 = q1.palette.copy()
        for c in lock:
            i = nearest(to_working(pal2), to_working(np.array([c],np.uint8)))[0]; pal2[i] = c
        lab2 = nearest(to_working(pal2), w)
        over = ssimulacra2(px, pal2[lab2].reshape(px.shape))
        base = ssimulacra2(px, q1.to_array())
        print(f"K={k:3d} locked={len(lock)}  no-lock {base:6.2f}  fixed-centres {honest:6.2f}  append-after {pasted:6.2f}  replace-nearest {over:6.2f}  {t1:.2f}s")
