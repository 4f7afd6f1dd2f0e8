#!/usr/bin/env bash
# Reproduce the seed's k-fold protocol with ecg_nb, driven by the seed's environment variables.
#
#   ./repro.sh                     train, evaluate and report: the whole reproduction
#   ./repro.sh train|eval|report   one step (several may be given, run in that order)
#   ./repro.sh predict             classify the beats of $ECG with the run's fold models
#
# Variables (the seed's defaults):
#   DATA_DIR     database folder or 'excerpt' (default: ecg_nb's own choice: $ECG_NB_DATA, data/mitdb, the excerpt)
#   FOLDS=10  EPOCHS=30  BATCH_SIZE=128  LR=0.001  SEED=0
#   MODELS_DIR   also copy each fold's best model here (default: none)
#   LOGDIR       TensorBoard folder (default: each fold folder's logs/)
#   RUN          the run folder (default: runs/stratified$FOLDS); rerun the same command to resume
#   ECG          the ECG file for `predict`
#   PREDICT_DIR  where `predict` writes <ECG name>_beats.csv (default: the current folder, as ecg_nb does)
#   DRY_RUN=1    print the commands, run nothing
# `make train`, `make eval`, `make report` and `make predict ECG=...` run the same steps. This script never
# deletes anything; ecg_nb refuses a run folder that was made with other settings.
set -euo pipefail

refuse() { echo "repro.sh: $*" >&2; exit 2; }
whole() { [[ $2 =~ ^[0-9]+$ ]] && (( 10#$2 >= $3 )) || refuse "$1=$2: must be a whole number of at least $3"; }

FOLDS=${FOLDS:-10}
EPOCHS=${EPOCHS:-30}
BATCH_SIZE=${BATCH_SIZE:-128}
LR=${LR:-0.001}
SEED=${SEED:-0}
DATA_DIR=${DATA_DIR:-}
MODELS_DIR=${MODELS_DIR:-}
LOGDIR=${LOGDIR:-}
ECG=${ECG:-}
PREDICT_DIR=${PREDICT_DIR:-}
DRY_RUN=${DRY_RUN:-}

whole FOLDS "$FOLDS" 2
whole EPOCHS "$EPOCHS" 1
whole BATCH_SIZE "$BATCH_SIZE" 1
whole SEED "$SEED" 0
[[ $LR =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]] && awk -v lr="$LR" 'BEGIN { exit !(lr > 0) }' \
    || refuse "LR=$LR: must be a positive number, e.g. 0.001 or 1e-3"
[[ -z $DATA_DIR || $DATA_DIR == excerpt || -d $DATA_DIR ]] \
    || refuse "DATA_DIR=$DATA_DIR: no such folder (give a MIT-BIH folder, or 'excerpt')"
[[ -z $DRY_RUN || $DRY_RUN == 0 || $DRY_RUN == 1 ]] || refuse "DRY_RUN=$DRY_RUN: must be 0 or 1"
RUN=${RUN:-runs/stratified$FOLDS}

steps=("$@")
(( ${#steps[@]} )) || steps=(train eval report)
for step in "${steps[@]}"; do
    case $step in
        train|eval|report) ;;
        predict) [[ -n $ECG ]] || refuse "predict needs ECG=<file> (.csv, .mat or a WFDB .hea)"
                 [[ -f $ECG ]] || refuse "ECG=$ECG: no such file" ;;
        *) refuse "unknown step '$step': give train, eval, report or predict (none: train eval report)" ;;
    esac
done

# the project's virtual environment where there is one (make setup), else ecg_nb on the PATH (the container)
ecg_nb=$(dirname "$0")/.venv/bin/ecg_nb
[[ -x $ecg_nb ]] || ecg_nb=$(command -v ecg_nb) || refuse "ecg_nb is not installed: run 'make setup' first"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
data=(${DATA_DIR:+--data_dir "$DATA_DIR"})

run() {
    printf +; printf " %q" "$@"; echo
    [[ $DRY_RUN == 1 ]] || "$@"
}

for step in "${steps[@]}"; do
    case $step in
        train) run "$ecg_nb" kfold --k "$FOLDS" --split stratified --epochs "$EPOCHS" --batch_size "$BATCH_SIZE" \
                   --lr "$LR" --seed "$SEED" "${data[@]}" ${MODELS_DIR:+--models_dir "$MODELS_DIR"} \
                   ${LOGDIR:+--logdir "$LOGDIR"} --run "$RUN" ;;
        eval) run "$ecg_nb" evaluate --run "$RUN" ;;
        report) run "$ecg_nb" report --run "$RUN" ;;
        predict) stem=$(basename "$ECG"); stem=${stem%.*}
                 run "$ecg_nb" predict "$ECG" --run "$RUN" ${PREDICT_DIR:+--output "$PREDICT_DIR/${stem}_beats.csv"} ;;
    esac
done
