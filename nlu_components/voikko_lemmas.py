"""Voikko base forms as token lemmas, so a CountVectorsFeaturizer with `use_lemma: true` sees
"hammaslääkärille", "hammaslääkärin" and "hammaslaakari" as one word.

Finnish inflects heavily: the training sentences contain most words in only one or two of their
forms, so word counts on the surface text miss the same word in a new case. Character n-grams
cover part of that; lemmas cover the rest and tolerate missing ä/ö (docs/nlu-pipeline.md has the
measured effect). The component runs after the tokenizer and only rewrites `Token.lemma`;
featurizers that read `token.text` (`use_lemma: false`) are unaffected. It trains and persists
nothing, so a trained model stores only its config.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.finnish_base_forms import FinnishBaseForms, VoikkoUnavailable


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class VoikkoLemmatizer(GraphComponent):
    """Sets every text token's lemma to its Voikko base form (after the tokenizer, before featurizers).

    Config: `compound_parts` (default false) also adds the parts of compounds ("hammas lääkäri").
    """

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"compound_parts": False}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["libvoikko"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        try:
            self._forms = FinnishBaseForms(compound_parts=bool(config.get("compound_parts", False)))
        except VoikkoUnavailable as error:  # Rasa prints a RasaException as a message, not a traceback
            raise RasaException(str(error)) from error

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VoikkoLemmatizer":
        return cls({**cls.get_default_config(), **config})

    def _set_lemmas(self, message: Message) -> None:
        for token in message.get(TOKENS_NAMES[TEXT]) or []:
            token.lemma = self._forms.base_form(token.text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._set_lemmas(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._set_lemmas(message)
        return messages
