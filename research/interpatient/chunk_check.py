"""Check that preprocess() computed chunk by chunk with CHUNK_CONTEXT samples of context equals the whole-record result."""
import numpy as np
from features import preprocess, CHUNK_CONTEXT as C
from ecg_nb.data import read_record
x = read_record('100', '/work/shared/data/mitdb').signal[:360 * 120]
full = preprocess(x)
n, step, out = len(x), 360 * 17, []
for s in range(0, n, step):
    e = min(n, s + step); a, b = max(0, s - C), min(n, e + C)
    out.append(preprocess(x[a:b])[s - a:s - a + (e - s)])
print('context', C, 'max abs diff', np.abs(np.concatenate(out) - full).max())
