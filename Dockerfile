# The service image (docker-compose.yml's api and workers): the judge with its service dependencies
# and torch on CPU, in a venv at /opt/judge/venv; the problem bank at /src/problems. Workers drive the
# host's engine through the mounted socket with the Docker SDK (a Python dependency): no docker CLI is
# needed. Candidate code never runs in this image: it runs in the runner image, sandbox/Dockerfile.
#
# Two ways to build it, both with the classic builder (no BuildKit-only syntax):
# * with a registry: `docker compose build` (context: the repository; the official Python image,
#   PyPI and the PyTorch CPU index);
# * offline: `judge deploy build-images --offline` (judge/sandbox/deploy.py), which builds from a
#   context holding ./wheelhouse/ (every wheel, made with the host's pip) on the debootstrapped base,
#   with BASE_IMAGE and PIP_INSTALL_ARGS="--no-index" and no network.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS venv
ARG PIP_INSTALL_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
# Lets `judge deploy build-images` keep this stage's image as the next build's cache and prune the
# stages of other dependencies.
ARG DEPS_DIGEST=unknown
LABEL judge.build-stage=service-venv judge.deps=${DEPS_DIGEST}
# The dependencies only: this stage stays cached while only the judge's code changes. The glob
# matches ./wheelhouse/ where the offline build made one, and nothing in the repository.
COPY pyproject.toml wheelhous[e] /wheelhouse/
RUN python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
 && if [ ! -f /wheelhouse/requirements.txt ]; then \
        python3 -c 'import tomllib; p = tomllib.load(open("/wheelhouse/pyproject.toml", "rb")); print("\n".join(p["project"]["dependencies"] + p["build-system"]["requires"]))' \
            > /wheelhouse/requirements.txt; \
    fi \
 && python3 -m venv /opt/judge/venv \
 && /opt/judge/venv/bin/pip install --no-cache-dir --disable-pip-version-check ${PIP_INSTALL_ARGS} \
        --find-links /wheelhouse --requirement /wheelhouse/requirements.txt \
 && /opt/judge/venv/bin/python -I -c "import torch, celery, fastapi, psycopg, docker, setuptools; print('torch', torch.__version__)"

# The final image: the base, the venv, then the judge (small; a change to it rebuilds only these layers).
FROM ${BASE_IMAGE}
COPY --from=venv /opt/judge/venv /opt/judge/venv
COPY pyproject.toml README.md /src/
COPY judge /src/judge
# setuptools (the build backend) is in the venv: no index and no build isolation are needed.
RUN /opt/judge/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-index --no-deps --no-build-isolation /src \
 && rm -rf /src/build /src/*.egg-info \
 && /opt/judge/venv/bin/judge --help >/dev/null
COPY problems /src/problems
ENV PATH=/opt/judge/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8
WORKDIR /var/lib/judge
