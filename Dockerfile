# The assistant in a container: same install steps as the Makefile, index built at image build.
FROM python:3.11-slim

# "[milvus]" adds the Milvus client (deploy/docker-compose.yml builds with it).
ARG QA_EXTRAS=""

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    QA_CACHE_DIR=/app/cache

WORKDIR /app
RUN useradd --create-home --uid 10001 qa

# As in the Makefile: torch first, pinned to 2.13.0 (it only exports the model to ONNX), then the project.
COPY pyproject.toml README.md ./
COPY qa ./qa
COPY web ./web
RUN pip install --quiet torch==2.13.0 && pip install --quiet ".${QA_EXTRAS}"

# The default corpus, indexed now (which also exports the model to ONNX in /app/cache),
# so the container answers from its first request.
COPY seeds ./seeds
RUN qa index seeds --index embeddings --quiet && chown -R qa:qa /app/embeddings /app/cache

USER qa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
# Inside the container 0.0.0.0 is needed to be reachable; set QA_API_TOKEN when exposing it.
CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000", "--index", "embeddings", "--workers", "2"]
