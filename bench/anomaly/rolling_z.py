"""Python baselines for `bench/anomaly/run.sh` over every NAB CSV, causal (previous points
only), window 288: a pandas rolling z-score (vectorised), and a pandas rolling MAD z-score
(the same robust statistic as Lookout's MAD baseline); prints points/s for each.
Loading is excluded from the timing, as it is on the Lookout side."""
import glob, sys, time
import numpy as np
import pandas as pd

files = sorted(glob.glob(sys.argv[1] + "/*/*.csv"))
frames = [pd.read_csv(f)["value"].astype(float) for f in files]
points = sum(len(v) for v in frames)
start = time.perf_counter()
flagged = 0
for v in frames:
    past = v.shift(1).rolling(288, min_periods=30)
    z = (v - past.mean()) / past.std()
    flagged += int((z.abs() > 3.5).sum())
secs = time.perf_counter() - start
print(f"pandas rolling z-score: {len(files)} files, {points} points, {secs:.3f} s, {points / secs:.0f} points/s ({flagged} flagged)")

start = time.perf_counter()
flagged = 0
mad = lambda w: np.median(np.abs(w - np.median(w)))
for v in frames:
    past = v.shift(1).rolling(288, min_periods=30)
    med = past.median()
    z = (v - med).abs() / (1.4826 * past.apply(mad, raw=True))
    flagged += int((z > 3.5).sum())
secs = time.perf_counter() - start
print(f"pandas rolling MAD z-score: {len(files)} files, {points} points, {secs:.3f} s, {points / secs:.0f} points/s ({flagged} flagged)")
