#!/usr/bin/env python3
"""Rebuild testdata/ais and testdata/nab from the project's shared data folder.

Usage: python3 testdata/build_from_shared.py [SHARED_DATA_DIR]   (default: ../shared/data)

Whole files are copied and gzipped (`gzip -9`, no name, mtime 0, so the output is the same
bytes on every run and `zcat` gives the original back). The two large shipstrike files are
sliced by rows (see SLICES); everything else is whole. Standard library only.
"""
import gzip
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (path under shared/data/ais) shipped whole; .gz files are copied as they are.
AIS_WHOLE = [
    "gpsd_sample.aivdm",
    "pyais_nmea_data_sample.txt",
    "gfw_segment_416000000.jsonl",
    "gfw_segment_338013000.jsonl",
    "gfw_segment_263576000.jsonl",
    "marinecadastre_2023-01-11_snapshot.csv",
    "marinecadastre_2022-01-03_first99999.csv.gz",
    "aisanalyze_northsea_2022-11-01_1h.csv.gz",
    "dma_collision_2021-12-13_219021240_232018267.csv",
    "dma_dlproject_10min/val_aisdk-2025-06-01.csv.gz",
    "dma_dlproject_10min/test_aisdk-2025-06-01.csv.gz",
    "dma_aisabnormal/538004030_drift_1.ais",
    "dma_aisabnormal/212123000_drift_1.ais",
    "dma_aisabnormal/219165000_ssc_1.ais",
    "dma_aisabnormal/ais-sample.txt.gz",
    "dma_aislib_stream_example_2010-06-11.txt",
    "gfw_ais_listener/nmea-with-tagblock.txt",
    "gfw_ais_listener/nmea.txt",
    "gfw_ais_listener/mixed-nmea.txt",
    "gpsd_daemon_ais/ais-18-27.log",
    "gpsd_daemon_ais/ais-18-27.log.chk",
    "gpsd_daemon_ais/ais-nmea-type6-fid55.log",
    "gpsd_daemon_ais/ais-nmea-type6-fid55.log.chk",
    "gpsd_daemon_ais/ais-nmea.log",
    "gpsd_daemon_ais/ais-nmea.log.chk",
    "gpsd_daemon_ais/ais-raw-messages.log",
    "gpsd_daemon_ais/ais-raw-messages.log.chk",
]

# (source, target, first data rows kept, last data rows kept); the header is always kept.
SLICES = [
    ("shipstrike_ais_kitimat_2018-07_10.csv.gz", "shipstrike_ais_kitimat_2018-07_10_slice.csv.gz", 20000, 5000),
    ("shipstrike_ais_kitimat_2019.csv.gz", "shipstrike_ais_kitimat_2019_slice.csv.gz", 25000, 0),
]


def write_gz(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(data)


def copy_whole(src_dir, rel, dst_dir):
    src = os.path.join(src_dir, rel)
    if rel.endswith(".gz"):
        dst = os.path.join(dst_dir, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    else:
        with open(src, "rb") as f:
            write_gz(os.path.join(dst_dir, rel + ".gz"), f.read())


def slice_rows(src_dir, src, dst, head, tail, dst_dir):
    with gzip.open(os.path.join(src_dir, src), "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    header, rows = lines[0], lines[1:]
    kept = rows[:head] + (rows[-tail:] if tail else [])
    write_gz(os.path.join(dst_dir, dst), b"\n".join([header] + kept) + b"\n")
    print(f"{dst}: {len(kept)} of {len(rows)} rows")


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data")
    ais_src, ais_dst = os.path.join(shared, "ais"), os.path.join(HERE, "ais")
    for rel in AIS_WHOLE:
        copy_whole(ais_src, rel, ais_dst)
    for src, dst, head, tail in SLICES:
        slice_rows(ais_src, src, dst, head, tail, ais_dst)
    nab_src, nab_dst = os.path.join(shared, "nab"), os.path.join(HERE, "nab")
    for root, _, files in os.walk(os.path.join(nab_src, "data")):
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), nab_src)
            copy_whole(nab_src, rel, nab_dst)
    for rel in ["labels/combined_windows.json", "labels/combined_labels.json"]:
        os.makedirs(os.path.dirname(os.path.join(nab_dst, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(nab_src, rel), os.path.join(nab_dst, rel))
    shutil.copyfile(os.path.join(nab_src, "LICENSE.txt"), os.path.join(nab_dst, "LICENSE.txt"))


if __name__ == "__main__":
    main()
