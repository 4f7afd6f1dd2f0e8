"""A second lead as an option of the inter-patient model (issue #15, item 3), chosen inside DS1 only.

The candidate adds the record's other lead (V1 in 20 of DS1's 22 records; V5 in 114, V4 in 124) to the window:
its beat and its own running template, scaled by its own running R amplitude (`beat_inputs` on that lead, at
the same R peaks), as channels 3 and 4 beside MLII's. The 19 features stay MLII's. In training each lead's pair
is inverted with probability 1/2, independently (a reversed electrode reverses one lead). Everything else is
the shipped recipe: the two-step baseline, 8 epochs, class weights, prior correction alpha 0.25.

Decision rule, written before either candidate ran:
- record-grouped 5-fold CV inside DS1 (the folds of `cv.py`), seeds 0-2, both candidates scored by this script
  with the package's `Metrics` on the held-out records at the reference R peaks; figures are the mean over seeds
  of the pooled out-of-fold scores;
- a second lead is worth offering only if its clean macro F1 is at least 1 point above the one-lead recipe's and
  its S +P is not lower. Otherwise the model stays single-lead: every user has one lead, few have a second, and
  in MIT-BIH the second lead is not the same lead in every record.
DS2 is not read here.

Usage: python second_lead.py [--candidates one_lead two_leads] [--seeds 0 1 2]   (TensorFlow on one thread;
writes second_lead/results.jsonl beside this file)
"""
import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = os.environ.get('ECG_NB_DATA', '/work/shared/data/mitdb')


def other_lead(name):
    "The record's second signal's name (the one that is not MLII)."
    leads = [line.split()[-1] for line in (Path(DATA)/f'{name}.hea').read_text().splitlines()[1:3]]
    return next(lead for lead in leads if lead != 'MLII')


def ds1_beats(cache):
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z: return {k: z[k] for k in z.files}
    parts = {}
    for name in DS1:
        rec = read_record(name, DATA, lead='MLII', fallback=False)
        second = read_record(name, DATA, lead=other_lead(name), fallback=False)
        beats = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
        labels = SCHEMES['aami'].labels(rec.ann_symbol[beats])
        keep = (labels >= 0) & (labels < 4)
        windows, features = beat_inputs(preprocess(rec.signal), rec.ann_sample[beats])
        windows2, _ = beat_inputs(preprocess(second.signal), rec.ann_sample[beats])
        for key, value in (('win', windows[keep]), ('win2', windows2[keep]), ('feat', features[keep]), ('y', labels[keep]),
                           ('rec', np.full(int(keep.sum()), name))):
            parts.setdefault(key, []).append(value)
        print(f'{name} ({second.lead}): {int(keep.sum())} beats', flush=True)
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    np.savez(cache, **arrays)
    return arrays


def train_two_leads(windows, windows2, features, labels, seed, epochs=8):
    "`train_interpatient`'s loop on the 4-channel window; each lead's pair inverted on its own draw."
    rng = np.random.default_rng(seed)
    model = build_model(architecture=TWO_LEADS, n_classes=4, lr=1e-3, seed=seed)
    weights = class_weights(labels, 4)
    for _ in range(epochs):
        signs = rng.choice(np.array([-1., 1.], np.float32), size=(len(labels), 1, 2))
        batch = np.concatenate([windows * signs[..., :1], windows2 * signs[..., 1:]], axis=-1)
        model.fit({'win': batch, 'feat': features}, labels, batch_size=256, epochs=1, class_weight=weights,
                  shuffle=True, verbose=0)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--candidates', nargs='+', default=['one_lead', 'two_leads'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = parser.parse_args()
    out = HERE/'second_lead'
    out.mkdir(exist_ok=True)
    d = ds1_beats(out/'ds1_two_leads.npz')
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
                if candidate == 'one_lead':
                    model = train_interpatient(d['win'][train], d['feat'][train], d['y'][train], seed=seed)
                    win = d['win'][test]
                else:
                    model = train_two_leads(d['win'][train], d['win2'][train], d['feat'][train], d['y'][train], seed)
                    win = np.concatenate([d['win'][test], d['win2'][test]], axis=-1)
                p = model.predict({'win': win, 'feat': d['feat'][test]}, batch_size=1024, verbose=0)
                predicted[test] = (p / prior_correction(d['y'][train])).argmax(1)
            row = dict(candidate=candidate, seed=seed, time_s=round(time.time() - t0), clean=figures(d['y'], predicted))
            with open(results, 'a') as fh: fh.write(json.dumps(row) + '\n')
            print(json.dumps(row), flush=True)


if __name__ == '__main__':
    import dataclasses
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)  # one core: the other is the 10-fold run's
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ecg_nb.architecture import INTERPATIENT
    from ecg_nb.data import BEAT_SYMBOLS, SCHEMES, read_record
    from ecg_nb.kfold import DS1
    from ecg_nb.model import build_model, class_weights, prior_correction, train_interpatient
    from ecg_nb.segment import beat_inputs, preprocess
    from scoring import figures
    TWO_LEADS = dataclasses.replace(INTERPATIENT, name='beat_template_rr_two_leads', inputs=(('win', (234, 4)), ('feat', (19,))),
                                    description='INTERPATIENT with a second lead\'s beat and template as channels 3 and 4')
    main()
