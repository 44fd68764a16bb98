FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY core core
COPY api api
COPY graph graph
COPY ingest ingest
COPY generator generator
COPY matching matching
COPY cypher cypher
COPY enrich enrich
COPY activate activate
COPY cli cli
RUN pip install --no-cache-dir .
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
CMD ["cdp", "serve", "--host", "0.0.0.0", "--port", "8000"]
