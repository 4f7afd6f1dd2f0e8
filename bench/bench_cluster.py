"""A k-fold run here against the same run on a loopback Dask cluster: the cost of the scheduler per fold (not a
test; see bench/RESULTS.md).

In one run, alternating, `--repeats` times each: `ecg_nb kfold --jobs 2` (two folds at once in local kernels,
the baseline), the same run with `--scheduler tcp://...` on a `dask scheduler` and two `dask worker --nworkers 1
--nthreads 1` processes on 127.0.0.1 (started once, before the timings, and timed apart), and with
`--scheduler local --jobs 2`. Every run is a new run folder: 2 folds of the embedded excerpt, `--epochs` epochs,
`--threads 1`, HTML reports on, as a user would run it. For each it prints the command's wall time, the folds'
own time as the manifest records it (a local fold: its notebook and the rename; a cluster fold: its notebook on
the worker), and the wall time outside the longest fold (start-up, checks, scheduling, sending files back, writing).
Both variants run their two folds at once, so the difference of wall times is the scheduler's cost per fold.

Usage: python bench/bench_cluster.py [--epochs 1] [--repeats 3]
"""
import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def machine():
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f'{cpu}, {os.cpu_count()} cores'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def timed_run(folder, extra, epochs):
    "Wall seconds of one 2-fold run, and the folds' seconds from its manifest."
    run = folder/f'run{len(list(folder.iterdir()))}'
    start = time.perf_counter()
    subprocess.run([str(BIN/'ecg_nb'), 'kfold', '--data_dir', 'excerpt', '--k', '2', '--epochs', str(epochs), '--threads', '1',
                    '--run', str(run), *extra], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    folds = [f['seconds'] for f in json.loads((run/'manifest.json').read_text())['folds'].values()]
    return wall, folds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    import dask, distributed, tensorflow
    from distributed import Client
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        address = f'tcp://127.0.0.1:{free_port()}'
        start = time.perf_counter()
        procs = [subprocess.Popen([str(BIN/'dask'), 'scheduler', '--host', '127.0.0.1', '--port', address.rsplit(':', 1)[1],
                                   '--no-dashboard'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        procs += [subprocess.Popen([str(BIN/'dask'), 'worker', address, '--nworkers', '1', '--nthreads', '1', '--host', '127.0.0.1',
                                    '--no-dashboard', '--local-directory', str(tmp/f'w{i}')],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(2)]
        try:
            with Client(address, timeout=60) as client: client.wait_for_workers(2, timeout=120)
            cluster_start = time.perf_counter() - start
            variants = {'local, --jobs 2 (baseline)': ['--jobs', '2'],
                        'loopback cluster, 2 workers (--scheduler tcp://...)': ['--scheduler', address],
                        '--scheduler local --jobs 2': ['--scheduler', 'local', '--jobs', '2']}
            results = {name: [] for name in variants}
            for _ in range(args.repeats):
                for name, extra in variants.items():
                    (tmp/name[:5]).mkdir(exist_ok=True)
                    results[name].append(timed_run(tmp/name[:5], extra, args.epochs))
        finally:
            for proc in procs: proc.terminate()
            for proc in procs: proc.wait(timeout=60)
    print(f'## {datetime.date.today()} — {machine()}, Python {platform.python_version()}, TensorFlow {tensorflow.__version__}, '
          f'Dask {dask.__version__} (distributed {distributed.__version__})\n')
    print(f'2 folds of the excerpt, {args.epochs} epoch(s), --threads 1, HTML reports on; median of {args.repeats} runs each '
          f'(min in brackets), alternating. Scheduler and two workers started in {cluster_start:.1f} s (not in the times).\n')
    print('| variant | command wall time | fold time (manifest, mean) | wall − longest fold | vs baseline |')
    print('|---|---:|---:|---:|---:|')
    base = statistics.median(w for w, _ in results['local, --jobs 2 (baseline)'])
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        folds = [statistics.mean(f) for _, f in runs]
        outside = [w - max(f) for w, f in runs]
        wall = statistics.median(walls)
        print(f'| {name} | {wall:.1f} s ({min(walls):.1f}) | {statistics.median(folds):.1f} s | '
              f'{statistics.median(outside):.1f} s | {wall - base:+.1f} s |')


if __name__ == '__main__':
    main()
