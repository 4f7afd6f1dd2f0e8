"""End-to-end `ecg_nb predict` (not a test; results go to bench/RESULTS.md).

1. One 30-minute MIT-BIH record (WFDB), the whole command as a user runs it: start-up, load, detect, segment,
   classify, write the CSV and the figure. Median of `--repeats` runs; the goal is under 3 s on 2 cores.
2. A 24-hour recording (the record tiled 48 times, 31 M samples, written as WFDB format 16): wall time and
   peak resident memory of the command, classified in 10-minute chunks (the default) and, as the baseline,
   in one piece (`chunk_s` = the whole recording).

Usage: python bench/bench_predict.py [--model results/stratified10/fold_0/model.keras] [--record DIR/100]
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def run(command):
    "Wall seconds and peak RSS (MB) of a command, measured in a fresh wrapper process so that peaks do not mix."
    wrapper = ('import resource, subprocess, sys, time; t = time.perf_counter(); '
               'p = subprocess.run(sys.argv[1:], capture_output=True, text=True); t = time.perf_counter() - t; '
               'sys.stderr.write(p.stderr[-2000:]) if p.returncode else None; '
               'print(p.returncode, t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    proc = subprocess.run([sys.executable, '-c', wrapper, *map(str, command)], capture_output=True, text=True)
    code, seconds, peak_kb = proc.stdout.split()
    if int(code): raise SystemExit(f'failed: {" ".join(map(str, command))}\n{proc.stderr}')
    return float(seconds), int(peak_kb) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='results/stratified10/fold_0/model.keras')
    parser.add_argument('--record', help='a WFDB record path without extension (default: record 100 of $ECG_NB_DATA)')
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    import wfdb
    from ecg_nb.data import resolve_data_dir
    record = args.record or str(resolve_data_dir() / '100')
    ecg_nb = str(Path(sys.executable).parent/'ecg_nb')
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f'## {datetime.date.today()} — {cpu}, {os.cpu_count()} cores\n')
    with tempfile.TemporaryDirectory() as d:
        times = [run([ecg_nb, 'predict', record + '.hea', '--model', args.model, '--output', f'{d}/b.csv',
                      '--output_fig', f'{d}/b.png'])[0] for _ in range(args.repeats)]
        print(f'| 30-min record {Path(record).name}, whole command (CSV + figure) | median {statistics.median(times):.2f} s '
              f'(min {min(times):.2f}) |')
        rec = wfdb.rdrecord(record, channels=[0], physical=False)
        day = np.tile(rec.d_signal[:, 0], 48)[:, None]
        wfdb.wrsamp('day', fs=rec.fs, units=['mV'], sig_name=[rec.sig_name[0]], d_signal=day, fmt=['16'],
                    adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=d)
        for label, extra in (('10-min chunks (default)', []), ('one piece (baseline)', ['--chunk_s', str(48 * 1800 + 60)])):
            seconds, peak = run([ecg_nb, 'predict', f'{d}/day.hea', '--model', args.model, '--output', f'{d}/day.csv', *extra])
            print(f'| 24-h recording ({len(day) / 1e6:.1f} M samples), {label} | {seconds:.1f} s, peak RSS {peak:,.0f} MB |')


if __name__ == '__main__': main()
