"""Record-grouped 5-fold CV inside DS1 only.  Usage: python cv.py CAND [CAND ...]
Saves cv/<cand>_s<seed>.npz (out-of-fold probabilities at several epochs) and appends a summary to cv/summary.jsonl.
"""
import sys, json, time, os
import numpy as np
from model import train, confusion, metrics_from_cm
from ecg_nb.kfold import DS1

HERE = os.path.dirname(os.path.abspath(__file__))
RHYTHM = list(range(8))
CANDS = {
    'A_full':        dict(),
    'B_featonly':    dict(use_win=False),
    'C_textbook':    dict(template=False, feat_idx=RHYTHM),
    'D_full_cw05':   dict(cw_power=0.5),
    'E_tpl_rr':      dict(feat_idx=RHYTHM),
    'F_notpl_allf':  dict(template=False),
    'G_full_big':    dict(convs=[(32, 7), (32, 5), (64, 5)], head=64, feat_units=32),
    'H_full_noinv':  dict(invert=False),
    'B2_feat_cw05':  dict(use_win=False, cw_power=0.5),
    'B3_feat_wide':  dict(use_win=False, feat_units=64, head=64, dropout=0.5),
    'K_feat_rronly': dict(use_win=False, feat_idx=list(range(8)) + [19, 20, 21, 22]),
    'L_feat_noPT':   dict(use_win=False, feat_idx=list(range(10)) + [12, 15, 16, 17, 18, 19, 20, 21, 22]),
    'M_tiny_L':      dict(pool0=4, convs=[(8, 7), (16, 5), (16, 5)], dropout=0.5,
                          feat_idx=list(range(10)) + [12, 15, 16, 17, 18, 19, 20, 21, 22]),
    'N_feat_min':    dict(use_win=False, feat_idx=list(range(10)) + [12, 17, 18, 19, 20, 21, 22]),
    'O_feat_noPT_noirr': dict(use_win=False, feat_idx=list(range(10)) + [12, 15, 16, 17, 18]),
    'P_feat_L_v3':   dict(use_win=False, feat_idx=list(range(10)) + [12, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]),
    'I_tiny':        dict(pool0=4, convs=[(8, 7), (16, 5), (16, 5)], dropout=0.5),
    'J_tiny_rr':     dict(pool0=4, convs=[(8, 7), (16, 5), (16, 5)], dropout=0.5, feat_idx=list(range(8)) + [19, 20, 21, 22]),
}
EVAL_AT = (2, 4, 6, 8, 12, 16)


def folds_ds1(y, rec, k=5):
    """Deterministic record-grouped folds, greedy-balanced by S, then V, beat counts."""
    recs = list(DS1)
    cnt = {r: np.bincount(y[(rec == r) & (y >= 0)], minlength=5) for r in recs}
    order = sorted(recs, key=lambda r: (-cnt[r][1], -cnt[r][2], r))
    load = np.zeros((k, 3))
    assign = {}
    for r in order:
        key = 1 if cnt[r][1] >= 20 else (2 if cnt[r][2] >= 20 else 0)
        f = int(np.lexsort((load[:, 0], load[:, key]))[0]) if key else int(np.argmin(load[:, 0]))
        assign[r] = f
        load[f] += [cnt[r][0], cnt[r][1], cnt[r][2]]
    return np.array([assign[r] for r in rec]), assign


def load(name):
    c = os.path.join(HERE, 'cache')
    return {k: np.load(os.path.join(c, f'{name}_{k}.npy')) for k in ('win', 'feat', 'y', 'rec')}


def run(cand, seed=0, epochs=max(EVAL_AT)):
    cfg = CANDS[cand]
    d = load(os.environ.get('DSET', 'DS1'))
    fold, assign = folds_ds1(d['y'], d['rec'])
    keep = (d['y'] >= 0) & (d['y'] < 4)  # Q left out of training and scoring
    oof = {e: np.zeros((len(d['y']), 4), np.float32) for e in EVAL_AT}
    t0 = time.time()
    for f in range(5):
        tr = keep & (fold != f)
        te = fold == f
        _, preds = train(cfg, d['win'][tr], d['feat'][tr], d['y'][tr], seed, epochs,
                         eval_sets={'te': (d['win'][te], d['feat'][te])}, eval_at=EVAL_AT)
        for e in EVAL_AT:
            oof[e][te] = preds[e]['te']
        print(cand, 'fold', f, f'{time.time()-t0:.0f}s', flush=True)
    os.makedirs(os.path.join(HERE, 'cv'), exist_ok=True)
    np.savez_compressed(os.path.join(HERE, 'cv', f'{cand}{os.environ.get("TAG", "")}_s{seed}.npz'), fold=fold, keep=keep, y=d['y'], rec=d['rec'],
                        **{f'p{e}': oof[e] for e in EVAL_AT})
    res = summarize(oof, d['y'], fold, keep)
    with open(os.path.join(HERE, 'cv', 'summary.jsonl'), 'a') as fh:
        fh.write(json.dumps(dict(cand=cand + os.environ.get('TAG', ''), seed=seed, cfg=cfg, time_s=time.time() - t0, res=res)) + '\n')
    return res


def summarize(oof, y, fold, keep):
    res = {}
    for e, p in oof.items():
        yp = p.argmax(1)
        per = [metrics_from_cm(confusion(y[keep & (fold == f)], yp[keep & (fold == f)])) for f in range(5)]
        pooled = metrics_from_cm(confusion(y[keep], yp[keep]))
        res[e] = dict(pooled=pooled, mean={k: float(np.nanmean([m[k] for m in per])) for k in pooled},
                      sd={k: float(np.nanstd([m[k] for m in per])) for k in pooled})
    return res


if __name__ == '__main__':
    seed = int(os.environ.get('SEED', 0))
    for cand in sys.argv[1:]:
        res = run(cand, seed)
        for e, r in res.items():
            p = r['pooled']
            print(f"{cand} ep{e:2d} acc {p['acc']:.3f} S {p['S_Se']:.2f}/{p['S_P']:.2f} V {p['V_Se']:.2f}/{p['V_P']:.2f} "
                  f"F {p['F_Se']:.2f}/{p['F_P']:.2f} mF1 {p['macroF1']:.3f} j {p['j']:.2f}", flush=True)
