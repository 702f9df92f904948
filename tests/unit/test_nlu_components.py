"""The custom Rasa NLU components (nlu_components/) in Rasa's own environment (.venv-rasa, Python 3.10).

The app's environment has no Rasa, so each check runs a short script with .venv-rasa's Python and
reads its JSON output.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not RASA_PYTHON.exists(), reason=".venv-rasa missing (run scripts/setup.sh)")]


def run_in_rasa(script: str) -> dict:
    result = subprocess.run([str(RASA_PYTHON), "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


E5_SCRIPT = """
import json, numpy as np
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu_components.e5_sentence_features import E5SentenceFeaturizer

def featurizer(scale):
    return E5SentenceFeaturizer({**E5SentenceFeaturizer.get_default_config(), "scale": scale}, "e5")

texts = ["missä on Kajaanin hammashoitola", "var finns tandvården i Kajana", "mikä on huomisen sääennuste", ""]
messages = [Message(data={"text": t}) for t in texts]
featurizer(1.0).process(messages)
vectors = [m.get_dense_features("text")[1] for m in messages]
v = np.stack([f.features[0] for f in vectors[:3]])
trained = TrainingData([Message(data={"text": texts[0], "intent": "service_question"})])
featurizer(12.0).process_training_data(trained)
scaled = trained.training_examples[0].get_dense_features("text")[1].features
try:
    featurizer(0)
    bad_scale = "accepted"
except Exception as error:
    bad_scale = type(error).__name__
print(json.dumps({
    "shape": list(vectors[0].features.shape), "type": vectors[0].type, "norms": np.linalg.norm(v, axis=1).tolist(),
    "same_meaning": float(v[0] @ v[1]), "other_meaning": float(v[0] @ v[2]), "empty_text": vectors[3] is None,
    "scaled_norm": float(np.linalg.norm(scaled)), "bad_scale": bad_scale}))
"""


@pytest.fixture(scope="module")
def e5_output() -> dict:
    return run_in_rasa(E5_SCRIPT)


def test_e5_featurizer_adds_one_normalised_384_dimensional_sentence_vector(e5_output):
    out = e5_output
    assert out["shape"] == [1, 384] and out["type"] == "sentence"
    assert out["norms"] == pytest.approx([1.0, 1.0, 1.0], abs=1e-3)
    assert out["scaled_norm"] == pytest.approx(12.0, abs=1e-2)
    assert out["empty_text"], "a message without text gets no feature"
    assert out["bad_scale"] == "RasaException"


def test_e5_featurizer_places_a_swedish_paraphrase_nearer_than_another_topic(e5_output):
    out = e5_output
    assert out["same_meaning"] > out["other_meaning"] + 0.05


VOIKKO_SCRIPT = """
import json
from nlu_components.finnish_base_forms import FinnishBaseForms
forms = FinnishBaseForms()
words = ["Kajaanissa", "Kuhmoon", "Sotkamosta", "Suomussalmelle", "hammaslääkärille", "hammaslaakari", "mun", "xqzv"]
print(json.dumps({w: forms.base_form(w) for w in words}))
"""


def test_voikko_base_forms_of_municipalities_spoken_words_and_missing_umlauts():
    out = run_in_rasa(VOIKKO_SCRIPT)
    assert out["Kajaanissa"] == "kajaani"
    assert out["Kuhmoon"] == "kuhmo"
    assert out["Sotkamosta"] == "sotkamo"
    assert out["Suomussalmelle"] == "suomussalmi"
    assert out["hammaslääkärille"] == out["hammaslaakari"] == "hammaslääkäri"
    assert out["mun"] == "minä"
    assert out["xqzv"] == "xqzv", "an unknown word stays as typed"
