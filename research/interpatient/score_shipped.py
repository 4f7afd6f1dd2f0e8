"""Score the shipped model on DS2 once, seed by seed and as the ensemble, and add the scoring to DS2_LEDGER.md's table.

python research/interpatient/score_shipped.py "WHAT IS SCORED"

At the reference R peaks (as published figures are measured), clean and inverted, through the package
(`load_predictor`, `classify_signal`: the card's baseline and prior correction), scored with the package's
`Metrics`; AAMI classes, Q beats left out. Writes ds2_results_shipped.json beside this file. 05_predict's
quality check measures the same ensemble end to end (detected R peaks); this adds the seeds one by one and the
inverted signal. No choice is made from what it prints.
"""
import datetime, json, sys
from pathlib import Path
import numpy as np
from ecg_nb.data import BEAT_SYMBOLS, SCHEMES, read_record
from ecg_nb.kfold import DS2, Metrics
from ecg_nb.predict import DEFAULT_MODEL, classify_signal, load_predictor

HERE = Path(__file__).parent
CLASSES = ('N', 'S', 'V', 'F')
what = sys.argv[1]
aami = SCHEMES['aami']
predictors = {'ensemble': load_predictor()} | {p.stem: load_predictor(p) for p in sorted(DEFAULT_MODEL.glob('seed_*.keras'))}
pairs = {(name, mode): ([], [], []) for name in predictors for mode in ('clean', 'inverted')}
for record in DS2:
    rec = read_record(record, None)
    beats = np.isin(rec.ann_symbol, BEAT_SYMBOLS)
    peaks, true = rec.ann_sample[beats], np.array([aami.symbols[s] for s in rec.ann_symbol[beats]])
    scored = true != 'Q'
    for name, predictor in predictors.items():
        for mode, x in (('clean', rec.signal), ('inverted', -rec.signal)):
            _, p, _ = classify_signal(x, predictor, r_peaks=peaks, progress=False)
            guess = np.array(predictor.classes)[p.argmax(1)]
            t, g, r = pairs[name, mode]
            t.append(true[scored]); g.append(guess[scored]); r.append(np.full(int(scored.sum()), record))


def figures(true, guess, keep=None):
    keep = np.ones(len(true), bool) if keep is None else keep
    index = {c: i for i, c in enumerate(CLASSES)}
    m = Metrics.of(np.array([index[c] for c in true[keep]]), np.array([index[c] for c in guess[keep]]), CLASSES)
    out = {'beats': m.n, 'accuracy': m.accuracy}
    for metric, short in (('sensitivity', 'Se'), ('ppv', '+P'), ('f1', 'F1')):
        out |= {f'{c} {short}': float(v) for c, v in zip(CLASSES, m.per_class(metric))}
    out['macro F1'] = float(np.nanmean([out[f'{c} F1'] for c in CLASSES]))
    out['j-index'] = out['S Se'] + out['S +P'] + out['V Se'] + out['V +P']
    return out


results = {}
for (name, mode), (t, g, r) in pairs.items():
    t, g, r = (np.concatenate(a) for a in (t, g, r))
    results[f'{name}, {mode}'] = figures(t, g)
    results[f'{name}, {mode}, record 232'] = figures(t, g, r == '232')
    results[f'{name}, {mode}, other 21 records'] = figures(t, g, r != '232')
for mode in ('clean', 'inverted'):
    seeds = [results[f'{n}, {mode}'] for n in predictors if n != 'ensemble']
    results[f'seeds mean, {mode}'] = {k: float(np.mean([s[k] for s in seeds])) for k in seeds[0]}
    results[f'seeds sd, {mode}'] = {k: float(np.std([s[k] for s in seeds], ddof=1)) for k in seeds[0]}
(HERE/'ds2_results_shipped.json').write_text(json.dumps({'what': what, 'results': results}, indent=1))
e, mean, sd = results['ensemble, clean'], results['seeds mean, clean'], results['seeds sd, clean']
row = (f"ensemble ref: acc {e['accuracy']:.3f}, S {e['S Se']:.3f}/{e['S +P']:.3f}, V {e['V Se']:.3f}/{e['V +P']:.3f}, "
       f"mF1 {e['macro F1']:.3f}; seeds acc {mean['accuracy']:.3f} ± {sd['accuracy']:.3f}; inverted ensemble acc "
       f"{results['ensemble, inverted']['accuracy']:.3f}")
ledger = (HERE/'DS2_LEDGER.md').read_text().splitlines(keepends=True)
last_row = max(i for i, line in enumerate(ledger) if line.startswith('| 20'))  # the table's last entry
ledger.insert(last_row + 1, f"| {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC | {what} | {row} |\n")
(HERE/'DS2_LEDGER.md').write_text(''.join(ledger))
print(row)
for key in ('ensemble, clean', 'seeds mean, clean', 'seeds sd, clean', 'ensemble, clean, record 232',
            'ensemble, clean, other 21 records', 'ensemble, inverted'):
    print(key, {k: round(v, 4) for k, v in results[key].items()})
