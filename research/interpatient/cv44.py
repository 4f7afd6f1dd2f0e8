"""Record-grouped 10-fold CV over DS1 u DS2 (44 non-paced records, 201/202 one subject), final recipe frozen beforehand.
This uses DS2 labels for scoring only (logged in DS2_LEDGER.md).   python cv44.py CAND EPOCHS ALPHA SEEDS"""
import sys, os, json, datetime
import numpy as np
from model import train, confusion, metrics_from_cm, class_weights
from cv import CANDS, load
from ecg_nb.kfold import subjects

HERE = os.path.dirname(os.path.abspath(__file__))


def folds44(y, subj, k=10):
    subs = sorted(set(subj))
    cnt = {s: np.bincount(y[(subj == s) & (y >= 0)], minlength=5) for s in subs}
    order = sorted(subs, key=lambda s: (-cnt[s][1], -cnt[s][2], s))
    load_ = np.zeros((k, 3)); assign = {}
    for s in order:
        key = 1 if cnt[s][1] >= 20 else (2 if cnt[s][2] >= 20 else 0)
        f = int(np.lexsort((load_[:, 0], load_[:, key]))[0]) if key else int(np.argmin(load_[:, 0]))
        assign[s] = f; load_[f] += cnt[s][:3]
    return np.array([assign[s] for s in subj]), assign


def main():
    cand, epochs, alpha = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    seeds = [int(s) for s in sys.argv[4].split(',')]
    cfg = CANDS[cand]
    a, b = load('DS1v2'), load('DS2v2')
    d = {k: np.concatenate([a[k], b[k]]) for k in a}
    subj = subjects(d['rec'])
    fold, assign = folds44(d['y'], subj)
    keep = (d['y'] >= 0) & (d['y'] < 4)
    P = np.zeros((len(seeds), len(d['y']), 4), np.float32)
    for f in range(10):
        tr, te = keep & (fold != f), fold == f
        cw = class_weights(d['y'][tr], 1.0)
        wadj = np.array([cw[i] for i in range(4)]) ** alpha
        for j, s in enumerate(seeds):
            _, pr = train(cfg, d['win'][tr], d['feat'][tr], d['y'][tr], s, epochs,
                          eval_sets={'te': (d['win'][te], d['feat'][te])}, eval_at=(epochs,))
            P[j, te] = pr[epochs]['te'] / wadj
        print('fold', f, sorted(s for s in assign if assign[s] == f), flush=True)
    res = {}
    for name, p in [(f'seed{s}', P[j]) for j, s in enumerate(seeds)] + [('ensemble', P.mean(0))]:
        yp = p.argmax(1)
        per = [metrics_from_cm(confusion(d['y'][keep & (fold == f)], yp[keep & (fold == f)])) for f in range(10)]
        pooled = metrics_from_cm(confusion(d['y'][keep], yp[keep]))
        res[name] = dict(pooled=pooled, mean={k: float(np.nanmean([m[k] for m in per])) for k in pooled},
                         sd={k: float(np.nanstd([m[k] for m in per])) for k in pooled})
        m, sd = res[name]['mean'], res[name]['sd']
        print(name, 'POOLED', {k: round(v, 4) for k, v in pooled.items()})
        print(name, 'FOLD MEAN±SD', {k: f'{m[k]:.4f}±{sd[k]:.4f}' for k in m})
    with open(os.path.join(HERE, f'cv44_{cand}.json'), 'w') as fh:
        json.dump(dict(folds={s: int(f) for s, f in assign.items()}, res=res), fh, indent=1, default=float)
    e = res['ensemble']['pooled']
    with open(os.path.join(HERE, 'DS2_LEDGER.md'), 'a') as fh:
        fh.write(f"| {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC | 44-record 10-fold CV (DS1 u DS2), frozen recipe {cand}, "
                 f"{epochs} ep, alpha {alpha}, seeds {seeds} (DS2 labels used for training folds and scoring; no choice made) | "
                 f"ensemble pooled acc {e['acc']:.3f}, S {e['S_Se']:.3f}/{e['S_P']:.3f}, V {e['V_Se']:.3f}/{e['V_P']:.3f}, mF1 {e['macroF1']:.3f} |\n")


if __name__ == '__main__':
    main()
