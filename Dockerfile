# attnviz for a school's server or a cloud machine: one replica (compose.yaml runs several behind nginx).
#   docker build -t attnviz .  &&  docker run -p 8501:8501 -v attnviz-var:/app/var attnviz
# The CPU build of PyTorch comes from PyTorch's CPU index (PyPI's default torch pulls gigabytes of CUDA).
# Only the runtime dependencies (pyproject.toml's [project] dependencies) are installed: no test tools.
# The app runs as an unprivileged user; var/ (class mode's SQLite file) is a volume, never copied in.
FROM python:3.11-slim
WORKDIR /app
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY attnviz ./attnviz
RUN pip install --no-cache-dir -e .
COPY . .
RUN useradd --create-home --uid 10001 attnviz && mkdir -p /app/var && chown attnviz /app/var
USER attnviz
VOLUME /app/var
# the Hansards gold alignments (AER in the Heads view) are read from ../shared/data when mounted there:
#   docker run -v /path/to/shared:/shared:ro …
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "streamlit_app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
