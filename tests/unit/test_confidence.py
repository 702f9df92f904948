"""The retrieval confidence model and its calibration data (no model, no index)."""

import json

import pytest

from bot.evaluate.calibration import ANSWERABLE_INTENTS, UNANSWERABLE_INTENTS, rates, training_sentences
from bot.retrieval.confidence import MODEL_PATH, ConfidenceModel, RetrievalSignals


def signals(**changes) -> RetrievalSignals:
    values = {"dense_top": 0.85, "dense_margin": 0.01, "agreement": 2 / 3, "lexical_top": 2.0, "char_top": 0.3}
    return RetrievalSignals(**{**values, **changes})


def write_model(path, **changes):
    model = {"features": ["dense_top", "char_top"], "mean": [0.85, 0.3], "scale": [0.02, 0.1],
             "coef": [1.5, 1.0], "intercept": 0.0, **changes}
    path.write_text(json.dumps(model), encoding="utf-8")
    return path


def test_confidence_is_a_probability_rising_with_its_signals(tmp_path):
    model = ConfidenceModel.load(write_model(tmp_path / "m.json"))
    assert model.confidence(signals()) == 0.5  # at the training means, with no intercept
    assert model.confidence(signals(dense_top=0.90)) > 0.9
    assert model.confidence(signals(dense_top=0.78, char_top=0.1)) < 0.05
    assert 0.0 <= model.confidence(signals(dense_top=1e9)) <= 1.0  # no overflow on absurd input


def test_a_model_naming_unknown_signals_is_refused(tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        ConfidenceModel.load(write_model(tmp_path / "m.json", features=["dense_top", "bm25_raw"]))
    with pytest.raises(ValueError, match="does not match"):
        ConfidenceModel.load(write_model(tmp_path / "m.json", coef=[1.0]))


def test_the_committed_model_loads_and_prefers_a_strong_match():
    model = ConfidenceModel.load(MODEL_PATH)
    strong = signals(dense_top=0.92, agreement=1.0, lexical_top=3.0, char_top=0.6)
    weak = signals(dense_top=0.80, agreement=0.0, lexical_top=0.0, char_top=0.1)
    assert model.confidence(strong) > 0.5 > model.confidence(weak)


def test_a_model_knows_the_index_it_was_fitted_on(tmp_path):
    stamp = {"model": "e5 int8", "chunker": "5"}
    model = ConfidenceModel.load(write_model(tmp_path / "m.json", fitted_on={"index_stamp": stamp}))
    assert model.fits(dict(stamp))
    assert not model.fits({**stamp, "model": "e5"})
    assert ConfidenceModel.load(write_model(tmp_path / "old.json")).fits(stamp)  # unstamped: cannot tell


def test_the_committed_model_was_fitted_with_the_configured_embedding_model_and_chunker():
    """Changing the embedding mode or the chunker without `python -m bot.evaluate calibrate` fails here."""
    from bot.retrieval.embedder import Embedder
    from bot.retrieval.index import index_stamp
    from bot.settings import get_settings

    model = ConfidenceModel.load(MODEL_PATH)
    assert model.index_stamp is not None
    assert model.fits(index_stamp(Embedder.from_settings(get_settings())))


def test_training_sentences_are_labelled_by_intent_without_annotations(tmp_path):
    nlu = tmp_path / "nlu.yml"
    nlu.write_text("""version: "3.1"
nlu:
- intent: service_question
  examples: |
    - missä on [Kuhmon](kunta) terveysasema
- intent: off_topic
  examples: |
    - kerro vitsi
- intent: medical_advice
  examples: |
    - paljonko buranaa saa ottaa
""", encoding="utf-8")
    assert training_sentences(nlu) == [("missä on Kuhmon terveysasema", 1), ("kerro vitsi", 0)]
    assert not ANSWERABLE_INTENTS & UNANSWERABLE_INTENTS


def test_rates_count_as_the_dialogue_acts():
    result = rates([0.9, 0.4, 0.1, 0.6, 0.2], [1, 1, 1, 0, 0], answer=0.5, clarify=0.3)
    assert result["answerable_refused"] == round(1 / 3, 3)      # 0.1 is below clarify
    assert result["answerable_answered"] == round(1 / 3, 3)     # only 0.9 is answered
    assert result["unanswerable_not_answered"] == 0.5           # 0.6 would be answered
