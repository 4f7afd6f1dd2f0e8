"""Markdown rows of DS1-CV results.  python table.py NAME:EP:ALPHA [...]"""
import sys, numpy as np
from analyze import load, adjust, score
print('| candidate | ep | alpha | acc | N Se/+P | S Se/+P | V Se/+P | F Se/+P | macro F1 | j |')
print('|---|---|---|---|---|---|---|---|---|---|')
for a in sys.argv[1:]:
    name, ep, al = a.split(':')
    z, p = load(name, int(ep))
    pooled, mean, sd = score(z, adjust(p, z['y'][z['keep']], float(al)))
    f = lambda k: f"{mean[k]*100:.1f}±{sd[k]*100:.1f}"
    g = lambda c: f"{f(c+'_Se')} / {f(c+'_P')}"
    print(f"| {name} (fold mean±sd) | {ep} | {al} | {f('acc')} | {g('N')} | {g('S')} | {g('V')} | {g('F')} | {f('macroF1')} | {mean['j']:.2f}±{sd['j']:.2f} |")
    h = lambda c: f"{pooled[c+'_Se']*100:.1f} / {pooled[c+'_P']*100:.1f}"
    print(f"| {name} (pooled) | {ep} | {al} | {pooled['acc']*100:.1f} | {h('N')} | {h('S')} | {h('V')} | {h('F')} | {pooled['macroF1']*100:.1f} | {pooled['j']:.2f} |")
