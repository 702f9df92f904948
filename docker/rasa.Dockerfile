# The Rasa server image. Build from the repository root:
#   docker build -f docker/rasa.Dockerfile -t kainuu-rasa .
# The model is trained at build time, so a container starts serving in about a minute.
# It runs the same launcher as `make run` (`python -m bot.launcher --only rasa`), which starts
# /app/.venv-rasa/bin/rasa with the endpoints chosen from REDIS_URL.
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    RASA_TELEMETRY_ENABLED=false

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvoikko1 voikko-fi \
 && rm -rf /var/lib/apt/lists/*

# Paths match the local checkout: the launcher runs PROJECT_ROOT/.venv-rasa/bin/rasa.
WORKDIR /app

# Rasa 3.6 (Python 3.10) in /app/.venv-rasa, exactly the locked set.
COPY requirements/rasa.lock requirements/app.lock requirements/
RUN python -m venv /app/.venv-rasa \
 && /app/.venv-rasa/bin/pip install -r requirements/rasa.lock

# The launcher needs pydantic-settings 2 (pydantic 2), which cannot live next to Rasa's
# pydantic 1.10, so it gets its own tiny venv; app.lock pins the same versions as .venv-app.
RUN python -m venv /app/.venv-launcher \
 && /app/.venv-launcher/bin/pip install -c requirements/app.lock pydantic-settings==2.16.3

# Blank Finnish spaCy pipeline (config.yml: SpacyNLP model build/spacy/fi_blank).
COPY scripts/build_spacy_fi.py scripts/
RUN /app/.venv-rasa/bin/python scripts/build_spacy_fi.py build/spacy/fi_blank

# Train the model at build time (the same command as scripts/setup.sh).
COPY config.yml domain.yml credentials.yml ./
COPY nlu_data/ nlu_data/
COPY nlu_components/ nlu_components/
# the spoken-Finnish word list the NLU shares with retrieval (no imports of its own)
COPY bot/__init__.py bot/spoken_finnish.py bot/
RUN /app/.venv-rasa/bin/rasa train --data nlu_data --config config.yml --domain domain.yml --out models \
        --fixed-model-name kainuu \
 && test -f models/kainuu.tar.gz \
 && rm -rf .rasa

COPY endpoints.yml endpoints.redis.yml ./
COPY bot/ bot/

# Run as an unprivileged user; it may write only data/ (SQLite tracker store when REDIS_URL is unset)
# and create Rasa's working folders in /app.
RUN useradd --create-home --uid 10001 bot \
 && mkdir -p /app/data \
 && chown bot /app /app/data
USER bot

# RASA_URL is the address Rasa binds (the launcher derives -i/-p from it): all interfaces here.
# The app serves the action endpoint; "app" is its service name in docker-compose.yml.
ENV PYTHONPATH=/app \
    APP_PORT=8000 \
    RASA_URL=http://0.0.0.0:5005 \
    ACTION_ENDPOINT_URL=http://app:8000/webhook

EXPOSE 5005
ENTRYPOINT ["/app/.venv-launcher/bin/python", "-m", "bot.launcher", "--only", "rasa"]
