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
words = ["Kajaanissa", "Kuhmoon", "Sotkamosta", "Suomussalmelle", "hammaslääkärille", "hammaslaakari", "mun", "mis", "missä", "xqzv"]
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
    assert out["mis"] == out["missä"] == "mikä", "spoken 'mis' counts as the standard 'missä'"
    assert out["xqzv"] == "xqzv", "an unknown word stays as typed"


NEIGHBOURS_SCRIPT = """
import json, tempfile
from pathlib import Path
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu_components.nearest_intent_features import NearestIntentFeaturizer, neighbour_scores

examples = [("missä on Kajaanin hammashoitola", "service_question"), ("neuvolan puhelinnumero", "service_question"),
            ("miten haen kotihoitoa", "service_question"), ("sataako huomenna", "off_topic"),
            ("kerro vitsi", "off_topic"), ("mikä on hyvä pizzapaikka", "off_topic")]
config = {**NearestIntentFeaturizer.get_default_config(), "neighbours": 2, "weight": 10.0}
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource, context = Resource("neighbours"), ExecutionContext(GraphSchema({}), "test")
trained = NearestIntentFeaturizer.create(config, storage, resource, context)
data = TrainingData([Message(data={"text": t, "intent": i}) for t, i in examples])
trained.train(data)
loaded = NearestIntentFeaturizer.load(config, storage, resource, context)
loaded.process_training_data(data)
own = data.training_examples[0].get_dense_features("text")[1].features[0] / 10.0
messages = [Message(data={"text": "hammaslääkäri Kajaanissa"}), Message(data={"text": "huomisen sää"}),
            Message(data={"text": examples[0][0]})]
loaded.process(messages)
rows = [m.get_dense_features("text")[1].features[0] / 10.0 for m in messages]
from nlu_components.e5_sentence_features import E5SentenceFeaturizer
with_e5 = Message(data={"text": "hammaslääkäri Kajaanissa"})
E5SentenceFeaturizer({**E5SentenceFeaturizer.get_default_config(), "scale": 12.0}, "E5SentenceFeaturizer").process([with_e5])
loaded.process([with_e5])
reused = with_e5.get_dense_features("text")[1].features[0][-2:] / 10.0  # after the 384 e5 dimensions
scores = neighbour_scores(np.array([[0.9, -np.inf, 0.5, 0.2]]), np.array([0, 0, 0, 1]), 2, 2)
errors = []
for bad in ({"neighbours": 0}, {"weight": -1}):
    try:
        NearestIntentFeaturizer.create({**config, **bad}, storage, resource, context)
        errors.append("accepted")
    except Exception as error:
        errors.append(type(error).__name__)
print(json.dumps({"intents": loaded._intents, "shape": list(rows[0].shape), "service": rows[0].tolist(),
                  "weather": rows[1].tolist(), "seen_at_runtime": rows[2].tolist(), "own_in_training": own.tolist(),
                  "scores": scores.tolist(), "errors": errors, "reused": reused.tolist()}))
"""


@pytest.fixture(scope="module")
def neighbours_output() -> dict:
    return run_in_rasa(NEIGHBOURS_SCRIPT)


def test_nearest_intent_features_rank_the_intent_whose_sentences_are_closest(neighbours_output):
    out = neighbours_output
    assert out["intents"] == ["off_topic", "service_question"] and out["shape"] == [2]
    assert out["service"][1] > out["service"][0] + 0.02, "a dental question is nearer the service sentences"
    assert out["reused"] == pytest.approx(out["service"], abs=1e-4), "the e5 vector on the message gives the same features"
    assert out["weather"][0] > out["weather"][1] + 0.02, "a weather question is nearer the off-topic sentences"


def test_nearest_intent_features_leave_a_training_sentence_out_of_its_own_neighbours(neighbours_output):
    out = neighbours_output
    # at run time the stored sentence itself is its nearest neighbour (cosine 1.0); in training it is not
    assert out["seen_at_runtime"][1] > out["own_in_training"][1] + 0.02
    assert out["own_in_training"][1] < 0.99


def test_neighbour_scores_average_the_k_best_and_skip_left_out_sentences(neighbours_output):
    out = neighbours_output
    assert out["scores"] == [[pytest.approx(0.7), pytest.approx(0.2)]]
    assert out["errors"] == ["RasaException", "RasaException"]
