# Byline API image: the embedded store lives in the /data volume.
#   docker build -t byline . && docker run -p 8000:8000 -v byline-data:/data byline
#   docker run -v byline-data:/data -v "$PWD/articles:/articles" byline ingest /articles
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    BYLINE_DATA_DIR=/data \
    BYLINE_HOST=0.0.0.0

WORKDIR /app
# The CPU build of torch, pinned; without the CPU index pip pulls GBs of CUDA libraries.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple torch==2.13.0

COPY pyproject.toml README.md ./
COPY rag rag
COPY ingest ingest
COPY prompts prompts
COPY eval eval
COPY examples examples
RUN pip install . && useradd --create-home byline && mkdir -p /data && chown byline /data

USER byline
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
ENTRYPOINT ["byline"]
CMD ["serve"]
