"""Record-grouped 10-fold CV over the 44 non-paced records (DS1 u DS2; 201 and 202, one patient, in one fold) of
the shipped recipe as the package trains it: the AAMI classes, and the seed's five classes across patients.

python cv44_package.py --scheme aami|seed [--seeds 0 1 2]

The recipe is frozen (the shipped one: two-step baseline, `beat_inputs`, 8 epochs, class weights, random
inversion, prior correction alpha 0.25 from each training fold's labels); nothing is chosen here. DS2's labels are
used for training and test folds, so every run is added to DS2_LEDGER.md. The folds are those cv44.py made (read
from cv44_M_tiny_L.json; greedy-balanced by S, then V), so the AAMI run is comparable with the first recipe's.

`--scheme seed`: the same network with five outputs, N, L, R, A, V (other beats are left out of training and
scoring, but remain neighbours for the rhythm features), trained by `train_interpatient(n_classes=5)`. Left and right
bundle branch block occur in four patients each, so each test patient's L or R is learnt from three others;
per-patient sensitivity is reported for L, R, A and V.

Writes cv44_package_{scheme}.json beside this file; TensorFlow on one thread.
"""
import argparse, datetime, json, os, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = os.environ.get('ECG_NB_DATA', '/work/shared/data/mitdb')


def record_beats(records, scheme):
    "`beat_inputs` of every reference beat (two-step baseline), the scheme's classes kept; and each beat's record."
    parts = []
    for name in records:
        rec = read_record(name, DATA, lead='MLII', fallback=False)
        beats = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
        windows, features = beat_inputs(preprocess(rec.signal), rec.ann_sample[beats])
        labels = SCHEMES[scheme].labels(rec.ann_symbol[beats])
        keep = (labels >= 0) & (labels < len(CLASSES[scheme]))
        parts.append((windows[keep], features[keep], labels[keep], np.full(int(keep.sum()), name)))
    return [np.concatenate(a) for a in zip(*parts)]


def figures(y, predicted, classes):
    m = Metrics.of(y, predicted, classes)
    out = {'beats': m.n, 'accuracy': m.accuracy}
    for metric, short in (('sensitivity', 'Se'), ('ppv', '+P'), ('f1', 'F1')):
        out |= {f'{c} {short}': float(v) for c, v in zip(classes, m.per_class(metric))}
    out['macro F1'] = float(np.nanmean([out[f'{c} F1'] for c in classes]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--scheme', choices=('aami', 'seed'), required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    args = parser.parse_args()
    classes = CLASSES[args.scheme]
    t0 = time.time()
    windows, features, y, rec = record_beats(sorted(DS1 + DS2), args.scheme)
    assign = json.loads((HERE/'cv44_M_tiny_L.json').read_text())['folds']  # cv44.py's folds, as that run made them
    fold = np.array([assign[s] for s in subjects(rec)])
    print(f'{len(y):,} beats, {dict(zip(classes, np.bincount(y, minlength=len(classes)).tolist()))}; '
          f'{time.time() - t0:.0f} s', flush=True)
    probabilities = np.zeros((len(args.seeds), len(y), len(classes)), np.float32)
    for f in range(10):
        train, test = fold != f, fold == f
        correction = prior_correction(y[train], classes=classes)
        for j, seed in enumerate(args.seeds):
            model = train_interpatient(windows[train], features[train], y[train], seed=seed, n_classes=len(classes))
            probabilities[j, test] = model.predict({'win': windows[test], 'feat': features[test]}, batch_size=1024, verbose=0) / correction
        print(f'fold {f}: {sorted(set(rec[test]))}; {time.time() - t0:.0f} s', flush=True)
    results = {}
    for name, p in [(f'seed {s}', probabilities[j]) for j, s in enumerate(args.seeds)] + [('ensemble', probabilities.mean(0))]:
        predicted = p.argmax(1)
        per_fold = [figures(y[fold == f], predicted[fold == f], classes) for f in range(10)]
        results[name] = {'pooled': figures(y, predicted, classes),
                         'fold mean': {k: float(np.nanmean([m[k] for m in per_fold])) for k in per_fold[0]},
                         'fold sd': {k: float(np.nanstd([m[k] for m in per_fold])) for k in per_fold[0]}}
    ensemble = probabilities.mean(0).argmax(1)
    per_patient = {}  # each class's sensitivity in each record that has at least 20 of its beats
    for c, label in enumerate(classes[1:], 1):
        for r in sorted(set(rec)):
            n = int(((rec == r) & (y == c)).sum())
            if n >= 20: per_patient.setdefault(label, {})[r] = {'beats': n, 'Se': float((ensemble[(rec == r) & (y == c)] == c).mean())}
    out = {'scheme': args.scheme, 'classes': classes, 'seeds': args.seeds, 'folds': {r: int(f) for r, f in assign.items()},
           'results': results, 'per_patient_sensitivity': per_patient, 'minutes': round((time.time() - t0) / 60, 1)}
    (HERE/f'cv44_package_{args.scheme}.json').write_text(json.dumps(out, indent=1))
    e, m, sd = results['ensemble']['pooled'], results['ensemble']['fold mean'], results['ensemble']['fold sd']
    row = (f"ensemble pooled acc {e['accuracy']:.3f}, " + ', '.join(f"{c} {e[f'{c} Se']:.3f}/{e[f'{c} +P']:.3f}" for c in classes[1:])
           + f", mF1 {e['macro F1']:.3f}; fold mean acc {m['accuracy']:.3f} ± {sd['accuracy']:.3f}")
    ledger = (HERE/'DS2_LEDGER.md').read_text().splitlines(keepends=True)
    last_row = max(i for i, line in enumerate(ledger) if line.startswith('| 20'))
    ledger.insert(last_row + 1, f"| {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | 44-record 10-fold CV "
                  f"(DS1 u DS2, cv44.py's folds), the shipped recipe as the package trains it (two-step baseline), "
                  f"{args.scheme} classes, seeds {args.seeds} (DS2 labels used for training folds and scoring; no choice made) | {row} |\n")
    (HERE/'DS2_LEDGER.md').write_text(''.join(ledger))
    print(row)
    for name in results: print(name, {k: round(v, 4) for k, v in results[name]['pooled'].items()})
    print(json.dumps(per_patient, indent=1))


if __name__ == '__main__':
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)  # one core: the other is the 10-fold run's
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ecg_nb.data import BEAT_SYMBOLS, SCHEMES, read_record
    from ecg_nb.kfold import DS1, DS2, Metrics, subjects
    from ecg_nb.model import prior_correction, train_interpatient
    from ecg_nb.segment import beat_inputs, preprocess
    CLASSES = {'aami': SCHEMES['aami'].classes[:4], 'seed': SCHEMES['seed'].classes}
    main()
