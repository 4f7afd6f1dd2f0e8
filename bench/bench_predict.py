"""End-to-end `ecg_nb predict` (not a test; results go to bench/RESULTS.md).

1. One 30-minute MIT-BIH record (WFDB), the whole command as a user runs it: start-up, load, detect, segment,
   classify, write the CSV and the figure. Median of `--repeats` runs; the goal is under 3 s on 2 cores.
   Also the start-up alone (`python -c "import ecg_nb.cli"`), the part every command pays.
2. A 24-hour recording (the record tiled 48 times, 31 M samples, written as WFDB format 16): wall time and
   peak resident memory of the command, classified in 10-minute chunks (the default) and in one piece
   (`chunk_s` = the whole recording).

With `--baseline-ecg_nb PATH` (another installation's `ecg_nb` command, e.g. the main branch's), every case runs
with both commands in the same run, alternately, so that both columns see the same machine load.
`--stages` instead times the 30-minute record's stages one by one, in a fresh process of this tree, with this tree's model.

This tree's command uses the shipped model unless `--this-model` says otherwise; the baseline's, `--model`.

Usage: python bench/bench_predict.py [--model results/stratified10/fold_0/model.keras] [--this-model ''|same|PATH] [--record DIR/100]
                                     [--baseline-ecg_nb ../main/.venv/bin/ecg_nb] [--stages]
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def run(command):
    "Wall seconds and peak RSS (MB) of a command, measured in a fresh wrapper process so that peaks do not mix."
    wrapper = ('import resource, subprocess, sys, time; t = time.perf_counter(); '
               'p = subprocess.run(sys.argv[1:], capture_output=True, text=True); t = time.perf_counter() - t; '
               'sys.stderr.write(p.stderr[-2000:]) if p.returncode else None; '
               'print(p.returncode, t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
    proc = subprocess.run([sys.executable, '-c', wrapper, *map(str, command)], capture_output=True, text=True)
    code, seconds, peak_kb = proc.stdout.split()
    if int(code): raise SystemExit(f'failed: {" ".join(map(str, command))}\n{proc.stderr}')
    return float(seconds), int(peak_kb) / 1024


STAGES = r"""
import sys, time
start = time.perf_counter()
import ecg_nb.cli
seconds = {'import ecg_nb.cli (the interpreter already started)': time.perf_counter() - start}
def timed(name, f, *args, **kwargs):
    start = time.perf_counter(); result = f(*args, **kwargs); seconds[name] = time.perf_counter() - start
    return result
import matplotlib; matplotlib.use('Agg')
import numpy as np, pandas as pd
from ecg_nb.predict import load_predictor, plot_prediction
from ecg_nb.signals import check_signal, load_signal, resample_to_model
from ecg_nb.segment import detect_r_peaks, segment_beats
timed('import matplotlib.pyplot', __import__, 'matplotlib.pyplot')
ecg = timed('read the WFDB record', load_signal, sys.argv[1] + '.hea')
ecg = timed('check it', check_signal, ecg)
predictor = timed('load the model', load_predictor, model=sys.argv[2] or None)
x = resample_to_model(ecg)
peaks = timed('detect the R peaks', detect_r_peaks, x, 360.)
if predictor.inputs == 'beat_inputs':  # the shipped model: preprocessing, the running template and the features, then the networks
    from ecg_nb.segment import beat_inputs_in_chunks
    pieces = timed('preprocess, cut the windows, the features', lambda: list(beat_inputs_in_chunks(x, peaks, baseline=predictor.baseline)))
    p = timed(f'classify {len(peaks):,} beats ({predictor.engine})', lambda: np.concatenate([predictor({'win': w, 'feat': f}) for _, w, f in pieces]))
    kept = np.ones(len(peaks), bool)
else:
    beats, kept = timed('cut the beat windows', segment_beats, x, peaks)
    p = timed(f'classify {len(beats):,} beats ({predictor.engine})', predictor, beats)
r, labels = peaks[kept], np.array(predictor.classes)[p.argmax(axis=1)]
table = pd.DataFrame({'sample': r, 'class': labels, **{f'p_{c}': p[:, i].round(4) for i, c in enumerate(predictor.classes)}})
timed('write the CSV', table.to_csv, sys.argv[3] + '.csv', index=False)
fig = timed('draw the figure', plot_prediction, x, r, labels, predictor.classes, 'stages')
timed('save the PNG', fig.savefig, sys.argv[3] + '.png', dpi=110, pil_kwargs={'compress_level': 1})  # as the command saves it
for name, s in seconds.items(): print(f'| {name} | {s:.3f} |')
print(f'| sum | {sum(seconds.values()):.2f} |')
"""


def python_of(ecg_nb):
    "The interpreter of an installed console script (its #! line)."
    first = Path(ecg_nb).read_text().splitlines()[0]
    return first[2:].strip() if first.startswith('#!') else sys.executable


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='results/stratified10/fold_0/model.keras', help="the baseline's model (and this tree's, with --this-model same)")
    parser.add_argument('--this-model', dest='this_model', default='',
                        help="this tree's model: '' (default) is the shipped one, no --model; 'same' is --model")
    parser.add_argument('--record', help='a WFDB record path without extension (default: record 100 of $ECG_NB_DATA)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--baseline-ecg_nb', dest='baseline', help="the baseline's `ecg_nb` command, run alongside")
    parser.add_argument('--stages', action='store_true', help="time the 30-minute record's stages instead")
    parser.add_argument('--no-day', dest='day', action='store_false', help='skip the 24-hour recording')
    args = parser.parse_args()
    import wfdb
    from ecg_nb.data import resolve_data_dir
    record = args.record or str(resolve_data_dir() / '100')
    if args.stages:
        print(f'| stage, record {Path(record).name} | seconds |\n|---|---:|', flush=True)
        with tempfile.TemporaryDirectory() as d: subprocess.run([sys.executable, '-c', STAGES, record, args.model if args.this_model == 'same' else args.this_model, f'{d}/out'], check=True)
        return
    commands = {'this tree': str(Path(sys.executable).parent/'ecg_nb')}
    if args.baseline: commands = {'baseline': str(Path(args.baseline).resolve()), **commands}
    this_model = [] if not args.this_model else ['--model', args.model if args.this_model == 'same' else args.this_model]
    model_of = {'baseline': ['--model', args.model], 'this tree': this_model}
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    print(f'## {datetime.date.today()} — {cpu}, {os.cpu_count()} cores; models: ' +
          ', '.join(f'{name} {" ".join(model_of[name][1:]) or "the shipped default"}' for name in commands) + '\n')
    print('| case | ' + ' | '.join(commands) + ' |')
    print('|---|' + '---:|' * len(commands))
    with tempfile.TemporaryDirectory() as d:
        def row(label, results, fmt):
            print(f'| {label} | ' + ' | '.join(fmt(*results[name]) for name in commands) + ' |', flush=True)
        # start-up: interleaved repeats, median
        times = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, ecg_nb in commands.items():
                times[name].append(run([python_of(ecg_nb), '-c', 'import ecg_nb.cli'])[0])
        row('start-up: `import ecg_nb.cli`', {n: (t,) for n, t in times.items()},
            lambda t: f'median {statistics.median(t):.2f} s (min {min(t):.2f})')
        for label, figure in (('CSV + figure', ['--output_fig', f'{d}/b.png']), ('CSV only', [])):
            times = {name: [] for name in commands}
            peaks = {name: [] for name in commands}
            for i in range(args.repeats):
                for name, ecg_nb in commands.items():
                    seconds, peak = run([ecg_nb, 'predict', record + '.hea', *model_of[name], '--output', f'{d}/b.csv', *figure])
                    times[name].append(seconds); peaks[name].append(peak)
            row(f'30-min record {Path(record).name}, whole command ({label})', {n: (t, peaks[n]) for n, t in times.items()},
                lambda t, p: f'median {statistics.median(t):.2f} s (min {min(t):.2f}), peak RSS {max(p):,.0f} MB')
        if not args.day: return
        rec = wfdb.rdrecord(record, channels=[0], physical=False)
        day = np.tile(rec.d_signal[:, 0], 48)[:, None]
        wfdb.wrsamp('day', fs=rec.fs, units=['mV'], sig_name=[rec.sig_name[0]], d_signal=day, fmt=['16'],
                    adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=d)
        del rec, day
        for label, extra in (('10-min chunks (default)', []), ('one piece (`--chunk_s` = the whole)', ['--chunk_s', str(48 * 1800 + 60)])):
            results = {name: run([ecg_nb, 'predict', f'{d}/day.hea', *model_of[name], '--output', f'{d}/day.csv', *extra])
                       for name, ecg_nb in commands.items()}
            row(f'24-h recording (31.2 M samples), {label}', results, lambda s, p: f'{s:.1f} s, peak RSS {p:,.0f} MB')


if __name__ == '__main__': main()
