"""Choose the training settings of the seed architecture on validation beats carved from fold 0's training part.

Issue #12: the seed CNN+LSTM (3,286 weights, unchanged) reached 97.76% over the 10 stratified folds with the seed
settings (30 epochs, constant rate), still learning at epoch 30 in 9 of 10 folds, A sensitivity 60.3%. This script
trains one candidate setting and scores it on a *selection* set that no test fold's score uses for fold 0:

- the beats are the run's (full database, seed scheme) and the folds those of `results/stratified10` (k 10,
  stratified, seed 0; checked against its folds.npz);
- fold 0's training beats are split once, stratified by class, into a selection set (10%, random_state 12) and
  the rest; `ecg_nb.model.train` fits on the rest and carves from it its own validation split (10%, seed 0) for
  the checkpoint, the schedule and early stopping, exactly as `ecg_nb kfold` does;
- fold 0's test beats are never read.

Rule, fixed before any candidate ran: the chosen setting has the highest selection accuracy among those whose
selection A sensitivity is at least 85%; if none reaches 85%, the highest A sensitivity among those within 0.2
points of the best accuracy. The selection beats of fold 0 are test beats of the other nine folds (about 10% of
each), which the run's README states.

Usage: python research/seed_headline/choose_settings.py NAME --epochs 80 --early_stopping 10 --lr_schedule plateau
       [--class_weight sqrt] [--threads 1]; writes research/seed_headline/selection/NAME/.
       python research/seed_headline/choose_settings.py --summary: the table of every candidate, and the choice.
"""
import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('name', nargs='?')
    p.add_argument('--summary', action='store_true', help='print the table of the candidates run so far, and the choice')
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--early_stopping', type=int, default=5)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--lr_schedule', default='constant')
    p.add_argument('--class_weight', default=None)
    p.add_argument('--batch_size', type=int, default=128)
    p.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    if args.summary: return summary()
    if not args.name: p.error('a candidate NAME, or --summary')
    import numpy as np
    if args.threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    from sklearn.model_selection import train_test_split
    from ecg_nb.segment import build_dataset
    from ecg_nb.kfold import Metrics, fold_indices, make_folds
    from ecg_nb.model import build_model, load_model, train

    ds = build_dataset(os.environ.get('ECG_NB_DATA'), scheme='seed', progress=False)
    test_fold = make_folds(ds.y, ds.record, 10, 'stratified', 0)
    with np.load(REPO/'results'/'stratified10'/'folds.npz', allow_pickle=False) as saved:
        assert np.array_equal(saved['test_fold'], test_fold) and np.array_equal(saved['r_sample'], ds.r_sample), 'not the run\'s folds'
    train_idx, _ = fold_indices(test_fold, 0)  # fold 0's test beats: never used here
    fit_idx, selection_idx = train_test_split(train_idx, test_size=0.1, random_state=12, stratify=ds.y[train_idx])
    fit_idx.sort(); selection_idx.sort()
    out = HERE/'selection'/args.name
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model = build_model(input_len=ds.X.shape[1], n_classes=len(ds.classes), lr=args.lr, seed=0)
    history = train(model, ds.X[fit_idx], ds.y[fit_idx], epochs=args.epochs, batch_size=args.batch_size, seed=0,
                    class_weight=args.class_weight, early_stopping=args.early_stopping or None, lr_schedule=args.lr_schedule,
                    out_dir=out, tensorboard=False, verbose=2)
    seconds = time.perf_counter() - start
    best = load_model(out/'model.keras')
    predicted = best.predict(ds.X[selection_idx], batch_size=1024, verbose=0).argmax(1)
    m = Metrics.of(ds.y[selection_idx], predicted, ds.classes)
    result = {'name': args.name, 'settings': {k: v for k, v in vars(args).items() if k not in ('name', 'threads')},
              'epochs_run': int(len(history)), 'best_epoch': int(history.val_loss.idxmin()) + 1,
              'train_minutes': round(seconds / 60, 1), 'n_fit': int(len(fit_idx)), 'n_selection': int(len(selection_idx)),
              'selection': m.to_json()}
    (out/'result.json').write_text(json.dumps(result, indent=1))
    se = m.per_class('sensitivity')
    print(f"{args.name}: accuracy {m.accuracy:.4%}, sensitivity " + ', '.join(f'{c} {s:.1%}' for c, s in zip(ds.classes, se))
          + f"; {len(history)} epochs (best {result['best_epoch']}), {seconds / 60:.1f} min")


def summary():
    "The candidates' selection scores as a Markdown table, and the setting the rule chooses."
    results = [json.loads(p.read_text()) for p in sorted((HERE/'selection').glob('*/result.json'))]
    print('| candidate | epochs (lr schedule, early stopping) | class weights | epochs run (best) | minutes | accuracy | '
          'A Se | N Se | L Se | R Se | V Se | macro F1 |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for r in results:
        s, m = r['settings'], r['selection']
        se = {c: m['per_class'][c]['sensitivity'] for c in 'NLRAV'}
        print(f"| {r['name']} | {s['epochs']} ({s['lr_schedule']}, {s['early_stopping'] or 'off'}) | {s['class_weight'] or 'none'} | "
              f"{r['epochs_run']} ({r['best_epoch']}) | {r['train_minutes']} | {m['accuracy']:.2%} | {se['A']:.1%} | {se['N']:.1%} | "
              f"{se['L']:.1%} | {se['R']:.1%} | {se['V']:.1%} | {m['macro']['f1']:.2%} |")
    meeting = [r for r in results if r['selection']['per_class']['A']['sensitivity'] >= 0.85]
    if meeting: chosen = max(meeting, key=lambda r: r['selection']['accuracy'])
    else:
        best = max(r['selection']['accuracy'] for r in results)
        chosen = max((r for r in results if r['selection']['accuracy'] >= best - 0.002),
                     key=lambda r: r['selection']['per_class']['A']['sensitivity'])
    print(f"\nChosen by the rule: {chosen['name']} "
          f"({'A sensitivity of at least 85%' if meeting else 'no candidate reached 85% A sensitivity'}).")


if __name__ == '__main__':
    main()
