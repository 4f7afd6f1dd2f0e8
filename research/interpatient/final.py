"""Train the final recipe on all of DS1 (several seeds), save models + JSON, and (only with --score-ds2) score DS2
once: reference R peaks, detected R peaks, inverted signal.  Every DS2 scoring is appended to DS2_LEDGER.md.

python final.py CAND EPOCHS ALPHA SEEDS [--score-ds2]      e.g. python final.py A_full 8 0.5 0,1,2,3,4 --score-ds2
"""
import sys, os, json, time, datetime
import numpy as np
import features as F
from features import preprocess, beat_features
from model import train, confusion, metrics_from_cm, class_weights, make_inputs, CLASSES
from cv import CANDS, load
from ecg_nb.data import read_record, SCHEMES, BEAT_SYMBOLS
from ecg_nb.kfold import DS2
from ecg_nb.segment import detect_r_peaks, match_beats

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = '/work/shared/data/mitdb'
DSET = os.environ.get('DSET', 'DS1v2')
DRY = os.environ.get('DRYRUN')  # test the scoring code on DS1 records (no DS2 access, no ledger entry)
EVAL_RECS = ('209', '101', '106') if DRY else DS2
SPECIAL = '209' if DRY else '232'


def predict(models, cfg, win, feat, w_adj):
    ps = [m.predict(make_inputs(cfg, win, feat), batch_size=4096, verbose=0) for m in models]
    return [p / w_adj for p in ps]


def ds2_inputs(mode):
    """mode: 'ref', 'det', 'inv'. Returns list of per-record dicts (win, feat, y_true aligned / matching info)."""
    out = []
    for rec in EVAL_RECS:
        r = read_record(rec, DATA, lead='MLII')
        x = -r.signal if mode == 'inv' else r.signal
        y = preprocess(x, r.fs)
        m = np.isin(r.ann_symbol, BEAT_SYMBOLS)
        ref, lab = r.ann_sample[m], SCHEMES['aami'].labels(r.ann_symbol[m])
        peaks = detect_r_peaks(x, r.fs) if mode == 'det' else ref
        win, feat = beat_features(y, peaks, r.fs)
        out.append(dict(rec=rec, ref=ref, lab=lab, peaks=peaks, win=win, feat=feat))
    return out


def cm_for(d, yp, mode):
    """5x5 confusion (index 4 = none). Q reference beats (and detections matched to them) are left out."""
    cm = np.zeros((5, 5), int)
    if mode != 'det':
        k = (d['lab'] >= 0) & (d['lab'] < 4)
        np.add.at(cm, (d['lab'][k], yp[k]), 1)
        return cm
    ri, di = match_beats(d['ref'], d['peaks'], int(round(0.15 * 360)))
    lab = d['lab'][ri]; pr = yp[di]
    k = (lab >= 0) & (lab < 4)
    np.add.at(cm, (lab[k], pr[k]), 1)
    missed = np.setdiff1d(np.arange(len(d['ref'])), ri)
    ml = d['lab'][missed]; ml = ml[(ml >= 0) & (ml < 4)]
    np.add.at(cm, (ml, np.full(len(ml), 4)), 1)
    fp = np.setdiff1d(np.arange(len(d['peaks'])), di)
    np.add.at(cm, (np.full(len(fp), 4), yp[fp]), 1)
    return cm


def summarize(recs, probs_list, mode):
    """probs_list: per model, list over records of (n,4) probs. Returns per-seed, mean/sd, ensemble metrics."""
    def evaluate(per_rec_probs):
        cms = {d['rec']: cm_for(d, p.argmax(1), mode) for d, p in zip(recs, per_rec_probs)}
        tot = sum(cms.values())
        res = metrics_from_cm(tot)
        c232 = cms[SPECIAL]
        res['S_Se_232'] = c232[1, 1] / c232[1].sum()
        oth = sum(v for k, v in cms.items() if k != SPECIAL)
        res['S_Se_not232'] = oth[1, 1] / oth[1].sum()
        res['S_P_not232'] = oth[1, 1] / oth[:, 1].sum()
        res['S_pred_in_232'] = int(c232[:, 1].sum())
        res['cm'] = tot.tolist()
        return res
    seeds = [evaluate(pl) for pl in probs_list]
    ens = evaluate([np.mean([pl[i] for pl in probs_list], 0) for i in range(len(recs))])
    keys = [k for k in seeds[0] if k != 'cm']
    mean = {k: float(np.nanmean([s[k] for s in seeds])) for k in keys}
    sd = {k: float(np.nanstd([s[k] for s in seeds])) for k in keys}
    return dict(seeds=seeds, mean=mean, sd=sd, ensemble=ens)


def fmt(m):
    return (f"acc {m['acc']:.4f} | N {m['N_Se']:.3f}/{m['N_P']:.3f} | S {m['S_Se']:.3f}/{m['S_P']:.3f} F1 {m['S_F1']:.3f} | "
            f"V {m['V_Se']:.3f}/{m['V_P']:.3f} F1 {m['V_F1']:.3f} | F {m['F_Se']:.3f}/{m['F_P']:.3f} | "
            f"mF1 {m['macroF1']:.3f} | j {m['j']:.3f} | S_Se232 {m['S_Se_232']:.3f} S_not232 {m['S_Se_not232']:.3f}/{m['S_P_not232']:.3f}")


def main():
    cand, epochs, alpha = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    seeds = [int(s) for s in sys.argv[4].split(',')]
    score = '--score-ds2' in sys.argv
    cfg = CANDS[cand]
    d = load(DSET)
    keep = (d['y'] >= 0) & (d['y'] < 4)
    win, feat, y = d['win'][keep], d['feat'][keep], d['y'][keep]
    cw = class_weights(y, 1.0)
    w_adj = np.array([cw[i] for i in range(4)]) ** alpha
    os.makedirs(os.path.join(HERE, 'models' + ('_dry' if DRY else '')), exist_ok=True)
    models = []
    for s in seeds:
        t = time.time()
        m, _ = train(cfg, win, feat, y, s, epochs)
        m.save(os.path.join(HERE, 'models' + ('_dry' if DRY else ''), f'{cand}_s{s}.keras'))
        models.append(m)
        print('trained seed', s, f'{time.time()-t:.0f}s', m.count_params(), 'params', flush=True)
    spec = dict(
        candidate=cand, cfg=cfg, epochs=epochs, seeds=seeds, params=int(models[0].count_params()),
        classes=list(CLASSES), train_class_weights=[cw[i] for i in range(4)],
        prior_correction=dict(alpha=alpha, divide_probs_by=w_adj.tolist(),
                              note='final class = argmax(mean over seeds of softmax) / divide_probs_by'),
        preprocessing=dict(fs=F.FS, steps=[f'baseline = median_filter(median_filter(x, {F.MED1}), {F.MED2}) (mode nearest); x = x - baseline',
                                           f'x = convolve(x, firwin({F.LP_TAPS}, {F.LP_HZ} Hz, fs=360), centred/zero-phase, edge padding)'],
                           chunk_context_samples_each_side=F.CHUNK_CONTEXT, polarity='no correction; random inversion in training'),
        window=dict(pre=F.PRE, post=F.POST, channels=['beat/scale', 'running median template/scale'],
                    scale=f'running median over +-{F.REC_HALF} beats (centred) of max|x| within +-{F.AMP_HALF} samples of each R peak',
                    template=f'sample-wise median of the scaled windows of beats within +-{F.TPL_HALF} beats of each block of {F.TPL_BLOCK} beats'),
        features=dict(names=F.FEATURE_NAMES, feat_idx=cfg.get('feat_idx'),
                      definitions={'recRR': f'centred running mean of RRpre over +-{F.REC_HALF} beats',
                                   'local10': f'causal mean of RRpre of the previous {F.LOCAL_N} beats (excluding the current)',
                                   'medRR41': f'centred running median of RRpre over +-{F.CEN_HALF} beats',
                                   'irr_causal8': f'causal mean |successive RR difference| over the previous {F.IRR_N} beats',
                                   'irr_centred41': f'centred running median of |successive RR difference| over +-{F.CEN_HALF} beats',
                                   'QRS/P/T regions': 'window samples [54:126], [0:54], [126:234] (R at 90)',
                                   'clip': 'all features clipped to [-10, 10], NaN -> 0',
                                   'source': 'features.py: beat_features() is the exact definition'}),
    )
    with open(os.path.join(HERE, 'models' + ('_dry' if DRY else ''), f'{cand}_spec.json'), 'w') as fh:
        json.dump(spec, fh, indent=1)
    if not score:
        return
    allres = {}
    for mode in ('ref', 'det', 'inv'):
        recs = ds2_inputs(mode)
        probs = [[None] * len(recs) for _ in models]
        for i, dr in enumerate(recs):
            for j, p in enumerate(predict(models, cfg, dr['win'], dr['feat'], w_adj)):
                probs[j][i] = p
        res = summarize(recs, probs, mode)
        allres[mode] = res
        print(mode, 'MEAN ', fmt(res['mean']), flush=True)
        print(mode, 'SD   ', fmt(res['sd']), flush=True)
        print(mode, 'ENSEM', fmt(res['ensemble']), flush=True)
    if DRY:
        return
    with open(os.path.join(HERE, f'ds2_results_{cand}.json'), 'w') as fh:
        json.dump(allres, fh, indent=1, default=float)
    e = allres['ref']['ensemble']
    with open(os.path.join(HERE, 'DS2_LEDGER.md'), 'a') as fh:
        fh.write(f"| {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC | {cand}, {epochs} ep, alpha {alpha}, seeds {seeds} "
                 f"(ref/detected/inverted) | ensemble ref: acc {e['acc']:.3f}, S {e['S_Se']:.3f}/{e['S_P']:.3f}, "
                 f"V {e['V_Se']:.3f}/{e['V_P']:.3f}, mF1 {e['macroF1']:.3f} |\n")


if __name__ == '__main__':
    main()
