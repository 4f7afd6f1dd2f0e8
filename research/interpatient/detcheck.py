import numpy as np
from ecg_nb.segment import detect_r_peaks, match_beats
from prepare import load_signal, reference
for rec in ['101','106','119','207','208','209','223']:
    r,y=load_signal(rec); p,l=reference(r); d=detect_r_peaks(r.signal,r.fs)
    ri,di=match_beats(p,d,54); off=d[di]-p[ri]
    # refined: argmax |y| within +-18
    print(rec, len(p), len(d), len(ri), 'off median %d  p5 %d p95 %d'%(np.median(off),np.percentile(off,5),np.percentile(off,95)),
          'by class', [int(np.median(off[l[ri]==c])) if (l[ri]==c).any() else None for c in range(4)])
