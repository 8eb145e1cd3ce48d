# The service image (docker-compose.yml's api and worker): the judge with its service dependencies,
# torch on CPU, and the docker CLI (workers drive the host's engine through the mounted socket).
# Candidate code never runs in this image: it runs in the runner image, sandbox/Dockerfile.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker.io \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" /src
WORKDIR /var/lib/judge
