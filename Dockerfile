# The explorer on the shipped models. Install steps are the README's run command; the app needs
# no network at run time.
FROM python:3.11.7-slim-bookworm

# Where pip would pick a CUDA build of torch, pass a CPU wheel index here.
ARG PIP_EXTRA_INDEX_URL

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAE_BOARD_DIR=/home/explorer/.board

RUN useradd --create-home --uid 10001 explorer
WORKDIR /app

COPY requirements.txt .
RUN python3 -m pip install -r requirements.txt

COPY .streamlit/ .streamlit/
COPY vae/ vae/
COPY page/ page/
COPY panels/ panels/
COPY live/ live/
COPY routes/ routes/
COPY pretrained/ pretrained/
COPY app.py ./

USER 10001
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

CMD ["python3", "-m", "streamlit", "run", "app.py", \
     "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true", \
     "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", "--client.showErrorDetails=none"]
