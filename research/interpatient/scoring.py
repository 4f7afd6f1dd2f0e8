"""The DS1-CV figures of a candidate, as `second_lead.py`, `rhythm_context.py` and `augmentation.py` record them.

Imports happen inside, so that a script can set TensorFlow's threads before anything of ecg_nb is imported."""


def figures(y, predicted):
    "Accuracy, S and V sensitivity and +P, and macro F1 over N, S, V, F, with the package's `Metrics`."
    import numpy as np
    from ecg_nb.kfold import Metrics
    from ecg_nb.model import INTERPATIENT_CLASSES
    m = Metrics.of(y, predicted, INTERPATIENT_CLASSES)
    se, ppv, f1 = (dict(zip(INTERPATIENT_CLASSES, m.per_class(k))) for k in ('sensitivity', 'ppv', 'f1'))
    return dict(accuracy=m.accuracy, S_se=se['S'], S_ppv=ppv['S'], V_se=se['V'], V_ppv=ppv['V'],
                macro_f1=float(np.nanmean(list(f1.values()))))
