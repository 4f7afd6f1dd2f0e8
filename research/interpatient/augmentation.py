"""Simple augmentation of the training windows (issue #15, item 3), chosen inside DS1 only.

`train_interpatient` has had the options since session 6 (`augmented`: amplitude, slope, noise, shift), but
they were never run through DS1's cross-validation: 02 said they "did not help" on the strength of the issue's
own calibration. This script measures them.

The candidate: all four at once, at sizes a real recording gives, in units of the patient's R amplitude as the
windows are: amplitude factors in [0.8, 1.2], a line across the beat ending within +-0.1, white noise of
standard deviation 0.05 (26 dB below the R peak), and the beat moved by up to 3 samples (8 ms) either way.
Everything else is the shipped recipe: the two-step baseline, 8 epochs, class weights, random inversion,
prior correction alpha 0.25.

Decision rule, written before the candidate ran:
- record-grouped 5-fold CV inside DS1 (the folds of `cv.py`), seeds 0-2, scored with the package's `Metrics` on
  the held-out records at the reference R peaks; figures are the mean over seeds of the pooled out-of-fold
  scores; the shipped recipe's rows are `rhythm_context.py`'s (the same arrays, folds, seeds and scoring);
- the augmentation is shipped only if its macro F1 is at least 1 point above the shipped recipe's, its S +P is
  not lower, and its V sensitivity and V +P are each at most 1 point lower. Otherwise the shipped model keeps
  none, and 02 says so with these figures.
DS2 is not read here.

Usage: python augmentation.py [--seeds 0 1 2]   (TensorFlow on one thread; reads rhythm_context.py's beats cache;
appends to rhythm_context/results.jsonl)
"""
import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUGMENTATION = dict(amplitude=0.2, slope=0.1, noise=0.05, shift=3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = parser.parse_args()
    out = HERE/'rhythm_context'
    with np.load(out/'ds1_context.npz', allow_pickle=False) as z: d = {k: z[k] for k in ('win', 'feat', 'y', 'rec')}
    from cv import folds_ds1
    fold = folds_ds1(d['y'], d['rec'])[0]
    results = out/'results.jsonl'
    done = {(r['candidate'], r['seed']) for r in map(json.loads, results.read_text().splitlines())}
    for seed in args.seeds:
        if ('augmented', seed) in done: continue
        t0, predicted = time.time(), np.zeros(len(d['y']), int)
        for f in range(5):
            train, test = fold != f, fold == f
            model = train_interpatient(d['win'][train], d['feat'][train], d['y'][train], seed=seed, **AUGMENTATION)
            p = model.predict({'win': d['win'][test], 'feat': d['feat'][test]}, batch_size=1024, verbose=0)
            predicted[test] = (p / prior_correction(d['y'][train])).argmax(1)
        row = dict(candidate='augmented', augmentation=AUGMENTATION, seed=seed, time_s=round(time.time() - t0),
                   clean=figures(d['y'], predicted))
        with open(results, 'a') as fh: fh.write(json.dumps(row) + '\n')
        print(json.dumps(row['clean']), seed, row['time_s'], flush=True)


if __name__ == '__main__':
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ecg_nb.model import prior_correction, train_interpatient
    from scoring import figures
    main()
