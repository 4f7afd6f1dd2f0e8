# ecg_nb in a container: the package with its embedded MIT-BIH excerpt, the notebooks that `ecg_nb kfold`
# and `ecg_nb report` execute (papermill templates, read from the source tree), and repro.sh.
#   podman build -t ecg_nb .                                  # on the public Python image
#   podman build --build-arg BASE_IMAGE=localhost/ecg_nb-base:bookworm -t ecg_nb .   # on any image with python3 -m venv
#   podman run --rm -v "$PWD/runs:/work/runs" -e FOLDS=2 -e EPOCHS=1 -e DATA_DIR=excerpt ecg_nb repro.sh
# README's "Container" section says how to make a base image from Debian's packages alone.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
# only where a proxy re-signs HTTPS: a CA bundle for pip, mounted for the build and never kept in the image, e.g.
#   --volume /etc/ssl/certs/ca-certificates.crt:/etc/pip-ca.crt:ro --build-arg PIP_CERT=/etc/pip-ca.crt
ARG PIP_CERT

# PATH in full: an image made with `podman import` has none to extend
ENV TF_CPP_MIN_LOG_LEVEL=2 \
    LANG=C.UTF-8 \
    MPLBACKEND=Agg \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# a virtual environment, because Debian's python3 refuses `pip install` into the system (PEP 668)
RUN python3 -m venv /opt/venv

# the dependencies first, read from settings.ini alone, so that a change to the code reuses this layer. They include
# what running the fold and report notebooks needs: ipykernel (papermill's `python3` kernel), nbconvert and jinja2
# (their HTML copies, pandas' Styler), and nbdev and fastcore (their set-up cells import nbdev.showdoc, fastcore.test).
WORKDIR /opt/ecg_nb
COPY settings.ini ./
RUN pip install $(python3 -c "import configparser; c = configparser.ConfigParser(delimiters=['=']); \
        c.read('settings.ini'); print(c['DEFAULT']['requirements'])")

# editable, as `ecg_nb kfold` requires: it finds nbs/03_kfold.ipynb beside the package
COPY . .
RUN pip install --no-deps -e . \
    && pip check \
    && ln -s /opt/ecg_nb/repro.sh /usr/local/bin/repro.sh \
    && ecg_nb --help > /dev/null

WORKDIR /work
CMD ["ecg_nb", "--help"]
