"""Training and prediction throughput of the seed CNN+LSTM on this machine (not a test; see bench/RESULTS.md).

Each variant trains a fresh `build_model()` for one warm-up epoch on a small slice (compilation), then one
timed epoch on `--beats` real beats of the full database (or the excerpt, repeated), and reports beats per
second. The baseline is a plain `model.fit` on numpy arrays with Keras' defaults, measured in the same run.
The model is never changed; only how it is fed and compiled.

With `--processes N`, N copies of the script run the batch-128 plain fit at the same time, each with one
TensorFlow thread, and the sum of their rates is printed: that is how `ecg_nb kfold --jobs 2 --threads 1`
uses a 2-core machine.

Usage: KERAS_BACKEND=tensorflow python bench/bench_train.py [--beats 20000] [--data_dir DIR] [--processes 2]
"""
import argparse
import datetime
import os
import platform
import time

import numpy as np


def machine():
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    return f'{cpu}, {os.cpu_count()} cores'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--beats', type=int, default=20000)
    parser.add_argument('--data_dir')
    parser.add_argument('--variants', nargs='+', help='run only the variants whose names contain one of these')
    parser.add_argument('--threads', type=int, default=0, help='TensorFlow intra-op threads (0: default)')
    parser.add_argument('--processes', type=int, default=0, help='run N single-thread copies at once and sum')
    args = parser.parse_args()
    if args.processes:
        import subprocess, sys
        command = [sys.executable, __file__, '--beats', str(args.beats), '--threads', '1', '--variants', 'batch 128, plain']
        if args.data_dir: command += ['--data_dir', args.data_dir]
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for _ in range(args.processes)]
        rates = [float(p.communicate()[0].strip().splitlines()[-1].split('|')[2].replace(',', '')) for p in procs]
        print(f'| train, batch 128, plain fit, {args.processes} processes x 1 thread (sum) | {sum(rates):,.0f} | '
              f'per process: {", ".join(f"{r:,.0f}" for r in rates)} |')
        return
    if args.threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from ecg_nb.model import build_model
    from ecg_nb.segment import build_dataset
    ds = build_dataset(args.data_dir, progress=False)
    rng = np.random.default_rng(0)
    idx = rng.choice(len(ds), min(args.beats, len(ds)), replace=len(ds) < args.beats)
    X, y = np.ascontiguousarray(ds.X[idx]), ds.y[idx]
    backend = keras.backend.backend()
    versions = f'Keras {keras.__version__}, backend {backend}'
    if backend == 'tensorflow':
        import tensorflow as tf
        versions += f' (TensorFlow {tf.__version__})'
    print(f'## {datetime.date.today()} — {machine()}; {versions}\n')
    print(f'{len(X):,} beats per timed epoch; throughput in beats/s (higher is better); '
          f'TensorFlow threads: {args.threads or "default"}.\n')

    def fit_variant(batch_size, jit=False, steps_per_execution=1, pipeline=False):
        model = build_model(jit_compile=jit)
        if steps_per_execution > 1:
            model.compile(optimizer=model.optimizer, loss=model.loss, metrics=['accuracy'], jit_compile=jit,
                          steps_per_execution=steps_per_execution)
        def data(n):
            if not pipeline: return dict(x=X[:n], y=y[:n], batch_size=batch_size, shuffle=True)
            import tensorflow as tf
            d = tf.data.Dataset.from_tensor_slices((X[:n], y[:n])).shuffle(n, seed=0).batch(batch_size)
            return dict(x=d.prefetch(tf.data.AUTOTUNE))
        model.fit(**data(batch_size * max(4, steps_per_execution)), epochs=1, verbose=0)  # compile
        start = time.perf_counter()
        model.fit(**data(len(X)), epochs=1, verbose=0)
        return len(X) / (time.perf_counter() - start)

    def predict_variant(batch_size, jit=False):
        model = build_model(jit_compile=jit)
        model.predict(X[:batch_size], batch_size=batch_size, verbose=0)
        start = time.perf_counter()
        model.predict(X, batch_size=batch_size, verbose=0)
        return len(X) / (time.perf_counter() - start)

    variants = {
        'train, batch 128, plain fit (baseline)': lambda: fit_variant(128),
        'train, batch 128, jit_compile': lambda: fit_variant(128, jit=True),
        'train, batch 128, jit_compile + steps_per_execution 32': lambda: fit_variant(128, jit=True, steps_per_execution=32),
        'train, batch 128, tf.data prefetch + jit_compile': lambda: fit_variant(128, jit=True, pipeline=True),
        'train, batch 128, tf.data prefetch': lambda: fit_variant(128, pipeline=True),
        'train, batch 1024, plain fit (baseline)': lambda: fit_variant(1024),
        'train, batch 1024, jit_compile': lambda: fit_variant(1024, jit=True),
        'train, batch 1024, tf.data prefetch': lambda: fit_variant(1024, pipeline=True),
        'predict, batch 1024, plain (baseline)': lambda: predict_variant(1024),
        'predict, batch 1024, jit_compile': lambda: predict_variant(1024, jit=True),
        'predict, batch 4096, jit_compile': lambda: predict_variant(4096, jit=True),
    }
    if backend != 'tensorflow': variants = {k: v for k, v in variants.items() if 'tf.data' not in k}
    if args.variants: variants = {k: v for k, v in variants.items() if any(s in k for s in args.variants)}
    print('| variant | beats/s | vs baseline |\n|---|---:|---:|')
    baselines = {}
    for name, run in variants.items():
        rate = run()
        key = name.split(', ')[0] + name.split(', ')[1]
        if 'baseline' in name: baselines[key] = rate
        ratio = rate / baselines[key] if key in baselines else float('nan')
        print(f'| {name} | {rate:,.0f} | {ratio:.2f}x |', flush=True)


if __name__ == '__main__': main()
