"""Summaries of DS1-CV out-of-fold predictions.  python analyze.py NAME [NAME...]  (NAME = cv/<NAME>.npz; 'a+b' averages)
Options via env: EP (epoch), ALPHAS (prior-correction exponents)."""
import sys, os, numpy as np
from model import confusion, metrics_from_cm, class_weights

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, ep):
    ps = []
    for n in name.split('+'):
        z = np.load(os.path.join(HERE, 'cv', n + '.npz'))
        ps.append(z[f'p{ep}'])
    return z, np.mean(ps, 0)


def adjust(p, y_train, alpha):
    """Prior correction: divide probabilities by class_weight**alpha (alpha=1 undoes the class weighting)."""
    cw = class_weights(y_train, 1.0)
    w = np.array([cw[i] for i in range(4)])
    return p / w ** alpha


def score(z, p, sel=None):
    y, fold, keep = z['y'], z['fold'], z['keep']
    yp = p.argmax(1)
    per = [metrics_from_cm(confusion(y[keep & (fold == f)], yp[keep & (fold == f)])) for f in range(5)]
    pooled = metrics_from_cm(confusion(y[keep], yp[keep]))
    mean = {k: np.nanmean([m[k] for m in per]) for k in pooled}
    sd = {k: np.nanstd([m[k] for m in per]) for k in pooled}
    return pooled, mean, sd


def fmt(m):
    return (f"acc {m['acc']:.3f} N {m['N_Se']:.2f}/{m['N_P']:.2f} S {m['S_Se']:.2f}/{m['S_P']:.2f} "
            f"V {m['V_Se']:.2f}/{m['V_P']:.2f} F {m['F_Se']:.2f}/{m['F_P']:.2f} mF1 {m['macroF1']:.3f} j {m['j']:.2f}")


if __name__ == '__main__':
    eps = [int(e) for e in os.environ.get('EP', '2,4,6,8,12,16').split(',')]
    alphas = [float(a) for a in os.environ.get('ALPHAS', '0').split(',')]
    for name in sys.argv[1:]:
        for ep in eps:
            z, p = load(name, ep)
            ytr = z['y'][z['keep']]
            for a in alphas:
                pooled, mean, sd = score(z, adjust(p, ytr, a))
                print(f'{name:28s} ep{ep:2d} a{a:.2f} POOLED {fmt(pooled)} | fold-mean acc {mean["acc"]:.3f}±{sd["acc"]:.3f} '
                      f'S {mean["S_Se"]:.2f}±{sd["S_Se"]:.2f}/{mean["S_P"]:.2f}±{sd["S_P"]:.2f} '
                      f'V {mean["V_Se"]:.2f}/{mean["V_P"]:.2f} mF1 {mean["macroF1"]:.3f}±{sd["macroF1"]:.3f}')
