"""Training and prediction throughput of the seed CNN+LSTM on this machine (not a test; see bench/RESULTS.md).

Each variant trains a fresh `build_model()` for one warm-up epoch on a small slice (compilation), then one
timed epoch on `--beats` real beats of the full database (or the excerpt, repeated), and reports beats per
second. The baseline is a plain `model.fit` on numpy arrays with Keras' defaults, measured in the same run.
The model is never changed; only how it is fed and compiled.

With `--processes N`, N copies of the script run the batch-128 plain fit at the same time, each with one
thread, and the sum of their rates is printed: that is how `ecg_nb kfold --jobs 2 --threads 1` uses a 2-core
machine.

With `--backends tensorflow jax torch`, the batch-128 plain fit runs under each Keras backend in turn (a fresh
process each, as `KERAS_BACKEND` must be set before Keras is imported), with the backend's default threads, with
one thread, and as 2 processes x 1 thread, all in one table; the same beats, the same model, and the loss of
the timed epoch beside each rate, so that a fast backend that learns differently shows it.

Usage: KERAS_BACKEND=tensorflow python bench/bench_train.py [--beats 20000] [--data_dir DIR] [--processes 2]
       python bench/bench_train.py --backends tensorflow jax torch [--beats 20000]
"""
import argparse
import datetime
import importlib.util
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
    parser.add_argument('--threads', type=int, default=0, help='intra-op threads of the backend (0: its default)')
    parser.add_argument('--processes', type=int, default=0, help='run N single-thread copies at once and sum')
    parser.add_argument('--backends', nargs='+', help='compare these Keras backends side by side (tensorflow, jax, torch)')
    args = parser.parse_args()
    if args.backends: return compare_backends(args)
    if args.processes:
        rates = [rate for rate, _ in plain_fits(args, [os.environ.get('KERAS_BACKEND', 'tensorflow')] * args.processes, threads=1)]
        print(f'| train, batch 128, plain fit, {args.processes} processes x 1 thread (sum) | {sum(rates):,.0f} | '
              f'per process: {", ".join(f"{r:,.0f}" for r in rates)} |')
        return
    set_threads(os.environ.get('KERAS_BACKEND', 'tensorflow'), args.threads)
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

    # 'auto' is what `ecg_nb kfold` uses: XLA off for TensorFlow on a CPU, on for JAX (False there would run
    # every op eagerly, about 20 times slower)
    def fit_variant(batch_size, jit='auto', steps_per_execution=1, pipeline=False):
        model = build_model(jit_compile=jit)
        if steps_per_execution > 1:
            model.compile(optimizer=model.optimizer, loss=model.loss, metrics=['accuracy'], jit_compile=jit,
                          steps_per_execution=steps_per_execution)
        def data(n):
            if not pipeline: return dict(x=X[:n], y=y[:n], batch_size=batch_size, shuffle=True)
            import tensorflow as tf
            d = tf.data.Dataset.from_tensor_slices((X[:n], y[:n])).shuffle(n, seed=0).batch(batch_size)
            return dict(x=d.prefetch(tf.data.AUTOTUNE))
        # compile, with the timed epoch's last, shorter batch too (JAX compiles each batch shape once)
        model.fit(**data(batch_size * max(4, steps_per_execution) + len(X) % batch_size), epochs=1, verbose=0)
        start = time.perf_counter()
        loss = model.fit(**data(len(X)), epochs=1, verbose=0).history['loss'][-1]
        rate = len(X) / (time.perf_counter() - start)
        losses.append(loss)
        return rate

    def predict_variant(batch_size, jit='auto'):
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
    losses = []
    print('| variant | beats/s | vs baseline |\n|---|---:|---:|')
    baselines = {}
    for name, run in variants.items():
        rate = run()
        key = name.split(', ')[0] + name.split(', ')[1]
        if 'baseline' in name: baselines[key] = rate
        ratio = rate / baselines[key] if key in baselines else float('nan')
        print(f'| {name} | {rate:,.0f} | {ratio:.2f}x |', flush=True)
    if losses: print(f'\nloss of the last timed epoch: {losses[-1]:.4f}')


def set_threads(backend, threads):
    "Limit the backend to `threads` intra-op threads (0: leave its default); before it computes anything."
    if not threads: return
    if backend == 'tensorflow':
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    elif backend == 'torch':
        import torch
        torch.set_num_threads(threads); torch.set_num_interop_threads(1)
    # jax: XLA's CPU threads are set through XLA_FLAGS before it starts (see plain_fits)


def plain_fits(args, backends, threads):
    "Run the batch-128 plain fit once per entry of `backends`, all at the same time; (beats/s, loss) of each."
    import subprocess, sys
    procs = []
    for backend in backends:
        command = [sys.executable, __file__, '--beats', str(args.beats), '--threads', str(threads), '--variants', 'batch 128, plain']
        if args.data_dir: command += ['--data_dir', args.data_dir]
        env = {**os.environ, 'KERAS_BACKEND': backend}
        if backend == 'jax' and threads == 1:
            env['XLA_FLAGS'] = (env.get('XLA_FLAGS', '') + ' --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1').strip()
        procs.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env))
    results = []
    for p in procs:
        lines = p.communicate()[0].strip().splitlines()
        if p.returncode or not lines: raise SystemExit(f'a {backends[0]} fit failed (exit {p.returncode})')
        rate = float(next(l for l in lines if l.startswith('| train')).split('|')[2].replace(',', ''))
        results.append((rate, float(lines[-1].rsplit(' ', 1)[1])))
    return results


def compare_backends(args):
    "One table: each backend's batch-128 fit, with default threads, one thread, and 2 processes x 1 thread."
    import importlib.metadata as md
    versions = ', '.join(f'{name} {md.version(name)}' for name in ('keras', 'tensorflow', 'jax', 'torch')
                         if importlib.util.find_spec(name))
    print(f'## {datetime.date.today()} — {machine()}; {versions}\n')
    print(f'{args.beats:,} beats per timed epoch, batch 128, the seed model; beats/s (higher is better) and the '
          'loss after that epoch (one epoch from the same initial weights seed).\n')
    print('| backend | default threads | loss | 1 thread | loss | 2 processes x 1 thread (sum) | vs TensorFlow default |\n'
          '|---|---:|---:|---:|---:|---:|---:|')
    reference = None
    for backend in args.backends:
        (default, loss_default), = plain_fits(args, [backend], threads=0)
        (one, loss_one), = plain_fits(args, [backend], threads=1)
        pair = sum(rate for rate, _ in plain_fits(args, [backend, backend], threads=1))
        reference = reference or default
        print(f'| {backend} | {default:,.0f} | {loss_default:.4f} | {one:,.0f} | {loss_one:.4f} | {pair:,.0f} | '
              f'{default / reference:.2f}x (pair {pair / reference:.2f}x) |', flush=True)


if __name__ == '__main__': main()
