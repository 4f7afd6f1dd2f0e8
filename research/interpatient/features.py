"""Shared preprocessing and per-beat features (used identically for training and prediction).

Everything here depends only on the unlabeled signal and R-peak positions (reference or detected).
"""
import numpy as np
import pandas as pd
from scipy.ndimage import median_filter
from scipy.signal import firwin

FS = 360.0
# --- preprocessing constants -------------------------------------------------------------------------------
MED1 = 71        # samples, ~200 ms median filter (removes QRS / P)
MED2 = 215       # samples, ~600 ms median filter (removes T) -> baseline estimate
LP_TAPS = 73     # zero-phase (symmetric, linear-phase, applied centred) FIR low-pass
LP_HZ = 40.0
# context needed at each chunk border for exact chunked preprocessing: (MED1//2 + MED2//2 + LP_TAPS//2) samples
CHUNK_CONTEXT = MED1 // 2 + MED2 // 2 + LP_TAPS // 2   # 178 samples ~ 0.49 s
# --- beat window --------------------------------------------------------------------------------------------
PRE = 90         # samples before the R peak (0.25 s)
POST = 144       # samples after the R peak (0.40 s)
WIN = PRE + POST  # 234
AMP_HALF = 18    # +-50 ms around the peak where the R amplitude (max |x|) is measured
# --- rhythm / record-normalisation windows (in beats) --------------------------------------------------------
REC_HALF = 150   # centred window of +-150 beats (~4-5 min) for the patient's running mean RR and median R amplitude
LOCAL_N = 10     # causal mean of the previous 10 RR intervals
IRR_N = 8        # causal mean |successive RR difference| over the previous 8 beats
import os
V3 = os.environ.get('FEAT_V3') == '1'  # experimental v3 features (see RESULTS.md)
CEN_HALF = 20    # centred +-20 beats: median RR and median |successive RR difference|
TPL_BLOCK = 32   # running median template: recomputed every 32 beats ...
TPL_HALF = 128   # ... as the sample-wise median of the normalised windows of the beats within +-128 beats of the block
# regions of the window (relative to the window start) for template comparison
QRS = slice(PRE - 36, PRE + 36)    # -100..+100 ms
PWAVE = slice(0, PRE - 36)         # -250..-100 ms
TWAVE = slice(PRE + 36, WIN)       # +100..+400 ms

_LP = firwin(LP_TAPS, LP_HZ, fs=FS).astype(np.float64)


def preprocess(x, fs=FS):
    """Baseline removal (200 ms then 600 ms median filters) and a 40 Hz zero-phase FIR low-pass. 360 Hz input.
    Non-causal; chunkable with CHUNK_CONTEXT samples of context on each side."""
    assert abs(fs - FS) < 1e-6, 'resample to 360 Hz first'
    x = np.asarray(x, dtype=np.float64)
    base = median_filter(median_filter(x, MED1, mode='nearest'), MED2, mode='nearest')
    y = x - base
    y = np.convolve(np.pad(y, LP_TAPS // 2, mode='edge'), _LP, mode='valid')
    return y.astype(np.float32)


def _windows(y, peaks):
    pad = np.pad(y, (PRE, POST), mode='constant')
    idx = peaks[:, None] + np.arange(WIN)[None, :]   # y index p-PRE+k -> pad index p+k
    return pad[idx]


def _rolling(v, half, how):
    s = pd.Series(v)
    r = s.rolling(2 * half + 1, center=True, min_periods=1)
    return (r.median() if how == "median" else r.mean()).to_numpy().copy()


def _corr(a, b):
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1) + 1e-12)


def beat_features(y, peaks, fs=FS):
    """y: preprocessed signal; peaks: sorted int R-peak sample indices.
    Returns win (n, WIN, 2) float32 [beat, running template], both divided by the running median R amplitude,
    and feat (n, F) float32 rhythm + template-comparison features."""
    peaks = np.asarray(peaks, dtype=np.int64)
    n = len(peaks)
    W = _windows(y, peaks)
    # R amplitude: max |x| within +-50 ms of the peak; record scale: running median over +-REC_HALF beats
    amp = np.abs(W[:, PRE - AMP_HALF:PRE + AMP_HALF + 1]).max(1)
    scale = _rolling(amp, REC_HALF, 'median')
    scale = np.maximum(scale, 1e-3)
    W = W / scale[:, None]
    # running median template of the record's dominant beat
    T = np.empty_like(W)
    for s in range(0, n, TPL_BLOCK):
        e = min(n, s + TPL_BLOCK)
        T[s:e] = np.median(W[max(0, s - TPL_HALF):min(n, e + TPL_HALF)], axis=0)
    # rhythm
    rr = np.diff(peaks) / fs
    if n >= 2:
        pre = np.concatenate([[rr[0]], rr])
        post = np.concatenate([rr, [rr[-1]]])
    else:
        pre = post = np.ones(n)
    prev_pre = np.concatenate([[pre[0]], pre[:-1]])
    next_post = np.concatenate([post[1:], [post[-1]]])
    rec_rr = _rolling(pre, REC_HALF, 'mean')
    local = pd.Series(pre).shift(1).rolling(LOCAL_N, min_periods=1).mean().to_numpy().copy()
    local[0] = pre[0]
    L = np.log
    rhythm = np.stack([
        L(pre / rec_rr), L(post / rec_rr), L(pre / local), L(post / pre), L(prev_pre / rec_rr),
        L(local / rec_rr), L(next_post / rec_rr), L(pre / prev_pre)], 1)
    # rhythm irregularity (atrial fibrillation makes short RR intervals uninformative) and a robust local RR
    dabs = np.abs(np.diff(pre, prepend=pre[0]))
    irr_causal = pd.Series(dabs).shift(1).rolling(IRR_N, min_periods=1).mean().to_numpy().copy()
    irr_causal[0] = 0.0
    med_c = _rolling(pre, CEN_HALF, 'median')
    irr_cen = _rolling(dabs, CEN_HALF, 'median')
    rhythm2 = np.stack([irr_causal / local, irr_cen / med_c, L(pre / med_c), L(post / med_c)], 1)
    if V3:
        # v3: prematurity relative to the local RR spread, and the local fraction of irregular intervals (AF cue)
        mad = _rolling(np.abs(pre - med_c), CEN_HALF, 'median')
        z = (pre - med_c) / (1.4826 * mad + 0.02 * med_c)
        frac_irr = _rolling((np.abs(pre - med_c) > 0.15 * med_c).astype(float), CEN_HALF, 'mean')
        zpost = (post - med_c) / (1.4826 * mad + 0.02 * med_c)
        rhythm2 = np.concatenate([rhythm2, np.stack([np.clip(z, -10, 10), np.clip(zpost, -10, 10), frac_irr], 1)], 1)
    # morphology relative to the template
    d = W - T
    tq = T[:, QRS]
    morph = np.stack([
        _corr(W[:, QRS], tq), _corr(W, T), _corr(W[:, PWAVE], T[:, PWAVE]), _corr(W[:, TWAVE], T[:, TWAVE]),
        np.sqrt((d[:, QRS] ** 2).mean(1) / ((tq ** 2).mean(1) + 1e-6)),
        np.sqrt((d[:, PWAVE] ** 2).mean(1) / ((T[:, QRS] ** 2).mean(1) + 1e-6)),
        np.sqrt((d[:, TWAVE] ** 2).mean(1) / ((T[:, QRS] ** 2).mean(1) + 1e-6)),
        L(np.ptp(W[:, QRS], 1) / (np.ptp(tq, 1) + 1e-3) + 1e-3),
        amp / scale], 1)
    # neighbours' QRS correlation (bigeminy / runs context)
    cq = morph[:, 0]
    nb = np.stack([np.concatenate([[cq[0]], cq[:-1]]), np.concatenate([cq[1:], [cq[-1]]])], 1)
    feat = np.concatenate([rhythm, morph, nb, rhythm2], 1)
    feat = np.nan_to_num(np.clip(feat, -10, 10))
    win = np.stack([W, T], -1)
    return win.astype(np.float32), feat.astype(np.float32)


FEATURE_NAMES = ['log(RRpre/recRR)', 'log(RRpost/recRR)', 'log(RRpre/local10)', 'log(RRpost/RRpre)',
                 'log(RRprevpre/recRR)', 'log(local10/recRR)', 'log(RRnextpost/recRR)', 'log(RRpre/RRprevpre)',
                 'corr_qrs', 'corr_all', 'corr_p', 'corr_t', 'rmsdiff_qrs', 'rmsdiff_p', 'rmsdiff_t',
                 'log_ptp_ratio_qrs', 'amp/scale', 'corr_qrs_prev', 'corr_qrs_next',
                 'irr_causal8/local10', 'irr_centred41/medRR41', 'log(RRpre/medRR41)', 'log(RRpost/medRR41)']
