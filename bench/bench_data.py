"""Benchmark of the data layer on the full MIT-BIH database (not a test; results go to bench/RESULTS.md).

Times, in one run on one machine:
- building the labelled dataset of all 48 records: cold (empty cache), from the cache, and a plain
  per-beat version (a Python loop over beats, z-scored one window at a time) as the baseline;
- R-peak detection over the 48 records: `detect_r_peaks` next to `wfdb.processing.xqrs_detect` (and
  neurokit2's default `ecg_peaks` when neurokit2 is installed), with Se / +P (150 ms window) and speed.

Usage: python bench/bench_data.py [--data_dir DIR] [--repeats 3] [--skip_xqrs]
"""
import argparse
import datetime
import os
import platform
import shutil
import statistics
import tempfile
import time

import numpy as np

from ecg_nb.data import get_scheme, list_records, read_record, resolve_data_dir
from ecg_nb.segment import build_dataset, detect_r_peaks, detection_scores, reference_beats


def machine():
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f'{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}'


def plain_build(data_dir, names, width=1000):
    "Baseline: the straightforward version, one beat at a time."
    scheme, X, y = get_scheme('seed'), [], []
    for name in names:
        rec = read_record(name, data_dir)
        labels = scheme.labels(rec.ann_symbol)
        for r, label in zip(rec.ann_sample, labels):
            if label < 0 or r - width // 2 < 0 or r + width // 2 > len(rec.signal): continue
            window = rec.signal[r - width // 2:r + width // 2]
            X.append((window - window.mean()) / window.std())
            y.append(label)
    return np.array(X, np.float32)[..., None], np.array(y)


def timed(f, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); result = f(); times.append(time.perf_counter() - start)
    return result, times


def detector_row(name, detector, records):
    tp = fn = fp = 0; seconds = 0.; samples = 0
    for rec in records:
        start = time.perf_counter(); detected = detector(rec.signal, rec.fs); seconds += time.perf_counter() - start
        s = detection_scores(reference_beats(rec), np.asarray(detected), rec.fs)
        tp, fn, fp, samples = tp + s['tp'], fn + s['fn'], fp + s['fp'], samples + len(rec.signal)
    return (f'| {name} | {tp / (tp + fn):.2%} | {tp / (tp + fp):.2%} | {tp:,} / {fn:,} / {fp:,} | '
            f'{seconds:.2f} s | {samples / seconds / 1e6:.1f} M |')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--skip_xqrs', action='store_true')
    args = parser.parse_args()
    data_dir = resolve_data_dir(args.data_dir)
    names = list_records(data_dir)
    print(f'## {datetime.date.today()} — {machine()}\n')
    print(f'Database: {data_dir} ({len(names)} records). Times are the median of {args.repeats} runs (min in brackets).\n')

    cache = tempfile.mkdtemp(prefix='ecg_nb_bench_')
    try:
        def cold():
            shutil.rmtree(cache, ignore_errors=True)
            return build_dataset(data_dir, cache_dir=cache, progress=False)
        ds, cold_times = timed(cold, args.repeats)
        _, cached_times = timed(lambda: build_dataset(data_dir, cache_dir=cache, progress=False), args.repeats)
        _, nocache_times = timed(lambda: build_dataset(data_dir, use_cache=False, progress=False), args.repeats)
        (X_plain, y_plain), plain_times = timed(lambda: plain_build(data_dir, names), 1)
    finally: shutil.rmtree(cache, ignore_errors=True)
    assert np.array_equal(y_plain, ds.y) and np.allclose(X_plain, ds.X, atol=1e-4), 'the baseline must give the same beats'
    fmt = lambda ts: f'{statistics.median(ts):.2f} s ({min(ts):.2f})'
    print(f'### Dataset: {len(ds):,} beats x 1000 samples ({ds.X.nbytes / 1e6:.0f} MB), counts {ds.counts()}\n')
    print('| build | time | vs plain |\n|---|---:|---:|')
    plain = statistics.median(plain_times)
    print(f'| plain per-beat loop (baseline) | {fmt(plain_times)} | 1.0x |')
    for label, ts in [('build_dataset, cold (read, cut, write cache)', cold_times),
                      ('build_dataset, no cache (read, cut)', nocache_times),
                      ('build_dataset, from cache', cached_times)]:
        print(f'| {label} | {fmt(ts)} | {plain / statistics.median(ts):.1f}x |')

    records = [read_record(name, data_dir) for name in names]
    print('\n### R-peak detection, 48 records, MLII (V5 in 102 and 104), 150 ms match window\n')
    print('| detector | Se | +P | TP / FN / FP | time | samples/s |\n|---|---:|---:|---:|---:|---:|')
    print(detector_row('ecg_nb `detect_r_peaks`', detect_r_peaks, records))
    if not args.skip_xqrs:
        import wfdb.processing
        print(detector_row('wfdb `xqrs_detect`', lambda s, fs: wfdb.processing.xqrs_detect(
            s.astype(np.float64), fs=fs, verbose=False), records))
    try:
        import neurokit2
        print(detector_row('neurokit2 `ecg_peaks` (default)', lambda s, fs: neurokit2.ecg_peaks(
            s, sampling_rate=fs)[1]['ECG_R_Peaks'], records))
    except ImportError: print('| neurokit2 | not installed | | | | |')


if __name__ == '__main__': main()
