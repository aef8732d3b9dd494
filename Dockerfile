# The webapp and transcode workers in a container (docs/docker.md): `docker build -t amphigory .`, then
#   docker run -p 6199:6199 -v amphigory-data:/data amphigory                 (serve)
#   docker run -v amphigory-data:/data amphigory worker --webapp-url ...      (a worker)
# A daemon can run here too, given the drive: see docs/docker.md.

FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY samples ./samples
# The wheel (with the sample discs inside) and the locked versions of what it needs, nothing of the dev tools.
RUN uv build --wheel --out-dir /dist \
    && uv export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt \
       --output-file /dist/requirements.txt

FROM python:3.11-slim-bookworm
# HandBrakeCLI transcodes; libdiscid and cd-paranoia read audio CDs in a drive (ffmpeg comes with the wheel).
RUN apt-get update \
    && apt-get install -y --no-install-recommends handbrake-cli libdiscid0 cd-paranoia \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /dist /dist
RUN pip install --no-cache-dir -r /dist/requirements.txt \
    && pip install --no-cache-dir --no-deps /dist/*.whl \
    && rm -rf /dist
RUN useradd --create-home --uid 1000 --groups cdrom amphigory \
    && mkdir /data && chown amphigory:amphigory /data
USER amphigory
ENV AMPHIGORY_DATA_DIR=/data \
    AMPHIGORY_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 6199
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6199/health', timeout=4)"
ENTRYPOINT ["amphigory"]
CMD ["serve"]
