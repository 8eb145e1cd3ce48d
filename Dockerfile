# The service image (docker-compose.yml's api and worker): the judge with its service dependencies
# and torch on CPU. Workers drive the host's engine through the mounted socket with the Docker SDK
# (a Python dependency): no docker CLI is needed. Candidate code never runs in this image: it runs in
# the runner image, sandbox/Dockerfile.
FROM python:3.11-slim-bookworm
COPY . /src
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" /src
WORKDIR /var/lib/judge
