"""A rhythm-context branch for the inter-patient model (issue #15, RESULTS.md "What I would try next", item 1),
chosen inside DS1 only.

Why: on every error budget so far, most S false positives are normal beats in irregular rhythms (atrial
fibrillation, flutter, 2:1 block), where a short RR interval is not a premature beat. The 19 features see the
beat's own intervals and two summaries of irregularity; this candidate lets the network look at the rhythm
around the beat as a sequence.

The candidate adds a third input, `ctx` (33 x 2): for the 16 beats before the beat, the beat itself and the 16
after it, two of `beat_inputs`' features of that beat: log(RRpre/recRR) (its prematurity against the patient's
running mean RR) and corr_qrs (how much its QRS matches the patient's template). Beats beyond the recording's
ends repeat the first or last beat. Every beat counts as a neighbour, Q beats included, as at prediction. The
branch: 2 x [Conv1D(8, 5, same), BN, ReLU], then global average and max pooling, joined with the other two
branches before the head. Everything else is the shipped recipe: the two-step baseline, 8 epochs, class
weights, random inversion of the window, prior correction alpha 0.25.

Decision rule, written before either candidate ran:
- record-grouped 5-fold CV inside DS1 (the folds of `cv.py`), seeds 0-2, both candidates trained and scored by
  this script on the same arrays, with the package's `Metrics` on the held-out records at the reference R
  peaks; figures are the mean over seeds of the pooled out-of-fold scores;
- the context branch is worth shipping only if its macro F1 is at least 1 point above the shipped recipe's,
  its S +P at least 3 points above, and its V sensitivity and V +P each at most 1 point below. Otherwise the
  model stays as it is, and this is recorded as a negative result.
DS2 is not read here.

Usage: python rhythm_context.py [--candidates shipped context] [--seeds 0 1 2]   (TensorFlow on one thread;
writes rhythm_context/results.jsonl beside this file)
"""
import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = os.environ.get('ECG_NB_DATA', '/work/shared/data/mitdb')
CONTEXT_BEATS = 16  # each side
CONTEXT_FEATURES = (0, 8)  # log(RRpre/recRR), corr_qrs: columns of `beat_inputs`' features


def rhythm_context(features):
    "(m, 2 * CONTEXT_BEATS + 1, 2): the context features of each beat's neighbours, ends repeated."
    m = len(features)
    neighbours = np.clip(np.arange(m)[:, None] + np.arange(-CONTEXT_BEATS, CONTEXT_BEATS + 1)[None, :], 0, m - 1)
    return features[:, CONTEXT_FEATURES][neighbours].astype(np.float32)


def ds1_beats(cache):
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z: return {k: z[k] for k in z.files}
    parts = {}
    for name in DS1:
        rec = read_record(name, DATA, lead='MLII', fallback=False)
        beats = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
        labels = SCHEMES['aami'].labels(rec.ann_symbol[beats])
        keep = (labels >= 0) & (labels < 4)  # Q is not scored; it still counts as a neighbour
        windows, features = beat_inputs(preprocess(rec.signal), rec.ann_sample[beats])
        context = rhythm_context(features)
        for key, value in (('win', windows[keep]), ('feat', features[keep]), ('ctx', context[keep]), ('y', labels[keep]),
                           ('rec', np.full(int(keep.sum()), name))):
            parts.setdefault(key, []).append(value)
        print(f'{name}: {int(keep.sum())} beats', flush=True)
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    np.savez(cache, **arrays)
    return arrays


def train_with_context(windows, features, context, labels, seed, epochs=8):
    "`train_interpatient`'s loop (the same draws, in the same order) with the context as a third input."
    rng = np.random.default_rng(seed)
    model = build_model(architecture=WITH_CONTEXT, n_classes=4, lr=1e-3, seed=seed)
    weights = class_weights(labels, 4)
    for _ in range(epochs):
        signs = rng.choice(np.array([-1., 1.], np.float32), size=(len(labels), 1, 1))
        model.fit({'win': windows * signs, 'feat': features, 'ctx': context}, labels, batch_size=256, epochs=1,
                  class_weight=weights, shuffle=True, verbose=0)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--candidates', nargs='+', default=['shipped', 'context'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = parser.parse_args()
    out = HERE/'rhythm_context'
    out.mkdir(exist_ok=True)
    d = ds1_beats(out/'ds1_context.npz')
    from cv import folds_ds1  # the research CV's record-grouped folds (greedy-balanced by S, then V)
    fold = folds_ds1(d['y'], d['rec'])[0]
    results = out/'results.jsonl'
    done = {(r['candidate'], r['seed']) for r in map(json.loads, results.read_text().splitlines())} if results.exists() else set()
    for candidate in args.candidates:
        for seed in args.seeds:
            if (candidate, seed) in done: continue
            t0, predicted = time.time(), np.zeros(len(d['y']), int)
            for f in range(5):
                train, test = fold != f, fold == f
                inputs = {'win': d['win'][test], 'feat': d['feat'][test]}
                if candidate == 'shipped':
                    model = train_interpatient(d['win'][train], d['feat'][train], d['y'][train], seed=seed)
                else:
                    model = train_with_context(d['win'][train], d['feat'][train], d['ctx'][train], d['y'][train], seed)
                    inputs['ctx'] = d['ctx'][test]
                p = model.predict(inputs, batch_size=1024, verbose=0)
                predicted[test] = (p / prior_correction(d['y'][train])).argmax(1)
            per_record = {name: figures(d['y'][d['rec'] == name], predicted[d['rec'] == name])['S_ppv']
                          for name in np.unique(d['rec'])}
            row = dict(candidate=candidate, seed=seed, time_s=round(time.time() - t0), clean=figures(d['y'], predicted),
                       S_ppv_per_record={k: (None if np.isnan(v) else round(v, 4)) for k, v in per_record.items()})
            with open(results, 'a') as fh: fh.write(json.dumps(row) + '\n')
            print(json.dumps(row['clean']), candidate, seed, row['time_s'], flush=True)


if __name__ == '__main__':
    import dataclasses
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)  # one core: the other is the 10-fold run's
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ecg_nb.architecture import INTERPATIENT, Layer
    from ecg_nb.data import BEAT_SYMBOLS, SCHEMES, read_record
    from ecg_nb.kfold import DS1
    from ecg_nb.model import build_model, class_weights, prior_correction, train_interpatient
    from ecg_nb.segment import beat_inputs, preprocess
    from scoring import figures
    before_join = [layer for layer in INTERPATIENT.layers if layer.name in ('join', 'head', 'drop', 'out')]
    context_branch = (
        Layer('conv', 'ctx_conv1', 8, 5, padding='same', use_bias=False, inbound=('ctx',)), Layer('batch_norm', 'ctx_bn1'),
        Layer('relu', 'ctx_relu1'),
        Layer('conv', 'ctx_conv2', 8, 5, padding='same', use_bias=False), Layer('batch_norm', 'ctx_bn2'), Layer('relu', 'ctx_relu2'),
        Layer('global_avg_pool', 'ctx_gap'), Layer('global_max_pool', 'ctx_gmp', inbound=('ctx_relu2',)),
        Layer('concat', 'ctx_pool', inbound=('ctx_gap', 'ctx_gmp')))
    layers = [layer for layer in INTERPATIENT.layers if layer not in before_join] + list(context_branch) + [
        dataclasses.replace(before_join[0], inbound=('gpool', 'feat_dense', 'ctx_pool')), *before_join[1:]]
    WITH_CONTEXT = dataclasses.replace(
        INTERPATIENT, name='beat_template_rr_context', inputs=(*INTERPATIENT.inputs, ('ctx', (2 * CONTEXT_BEATS + 1, len(CONTEXT_FEATURES)))),
        layers=tuple(layers), description='INTERPATIENT with a branch over the rhythm context (16 beats each side)')
    main()
