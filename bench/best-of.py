#!/usr/bin/env python3
"""compare.py's table, best of N runs: for a machine that other work shares.

Usage: python3 bench/best-of.py RUNS PEERS_DIR   (PEERS_DIR: the folder with compare.py, seed_peer.py, limit_mix.c)

Runs the project's mix cases (dist/bench/run.js --json --case=mix, built once by `npm run build`
beforehand, not per run as `npm run bench` does) and the C -O3 limit
(limit_mix.c, built like compare.py builds it) RUNS times, alternating, and the seed's callback
(seed_peer.py) twice, and keeps each case's lowest median for each peer: load from other processes
only ever adds time, so the minimum over runs is the closest to an idle machine, for every peer
alike. Prints compare.py's columns and its worst-ratio line.
"""
import os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
if len(sys.argv) < 3:
    sys.exit(__doc__)
shared = os.path.abspath(sys.argv[2])
sys.path.insert(0, shared)
from compare import lines  # noqa: E402  (compare.py's runner: JSON lines of a command)


def keep_best(best, rows, peer=None):
    for r in rows:
        if r.get("case", "mix") != "mix" or (peer and r.get("peer") != peer):
            continue
        key = (r["tracks"], r["frames"])
        best[key] = min(best.get(key, float("inf")), r["median_us"])


ours, climit, seed = {}, {}, {}
env = dict(os.environ)
env.pop("OPENBLAS_CORETYPE", None)
env.pop("OPENBLAS_L2_SIZE", None)
with tempfile.TemporaryDirectory() as d:
    exe = os.path.join(d, "limit_mix")
    subprocess.run(["gcc", "-O3", "-march=native", "-o", exe, os.path.join(shared, "limit_mix.c")], check=True)
    for i in range(runs):
        keep_best(ours, lines(["node", "--expose-gc", "dist/bench/run.js", "--json", "--case=mix"], cwd=PROJECT))
        keep_best(climit, lines([exe, "3000"]))
        if i < 2:
            keep_best(seed, lines([sys.executable, os.path.join(shared, "seed_peer.py"), "1,4,10,16,64", "128,441,1000", "1000"], env=env), "seed")

print(f"best of {runs} runs (seed: of 2)")
print(f"{'tracks':>6} {'frames':>6} {'ours_us':>9} {'seed_us':>9} {'c_us':>8} {'seed/ours':>9} {'ours/c':>7}")
worst_c, worst_c10, worst_seed = 0.0, 0.0, float("inf")
for key in sorted(ours):
    o, s, c = ours[key], seed.get(key), climit.get(key)
    if s is None or c is None:
        continue
    worst_c = max(worst_c, o / c)
    if key[0] >= 10:
        worst_c10 = max(worst_c10, o / c)
    worst_seed = min(worst_seed, s / o)
    print(f"{key[0]:>6} {key[1]:>6} {o:>9.2f} {s:>9.2f} {c:>8.2f} {s / o:>9.1f} {o / c:>7.2f}")
print(f"worst: ours/c_limit {worst_c:.2f}x (all cases), {worst_c10:.2f}x (cases with >= 10 tracks), seed/ours {worst_seed:.1f}x")
