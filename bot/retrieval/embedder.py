"""The dense text encoder: multilingual-e5-small through sentence-transformers, offline."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

QUANTIZATION = "int8-per-channel"


class Embedder:
    """Encodes queries and passages with e5's ``query:`` / ``passage:`` prompts; loads on first use.

    With ``int8`` the model's linear layers run as dynamically quantised int8 (PyTorch's
    ``quantize_dynamic``): on two CPU cores a query embeds about twice as fast, with the same
    routing ranks (docs/retrieval.md). Vectors of the two modes are never mixed: the mode is part
    of `stamp`, so an index built in the other mode is re-embedded. In int8 mode texts are embedded
    one at a time: the activations' int8 scale is set per input tensor, so in a batch a text's vector
    would depend on its neighbours, and an incremental re-index would differ from a full build.
    """

    def __init__(self, model_dir: Path, threads: int = 2, int8: bool = False) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.int8 = int8
        self._model = None
        self._lock = threading.RLock()  # encode() holds it while the model may still be loading

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    if not (self.model_dir / "modules.json").exists():
                        raise FileNotFoundError(
                            f"embedding model missing at {self.model_dir}; run the set-up (make setup)"
                        )
                    import torch
                    from sentence_transformers import SentenceTransformer

                    torch.set_num_threads(self.threads)
                    model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
                    self._model = quantized(model) if self.int8 else model
        return self._model

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        return cls(settings.embedding_model_dir, settings.torch_threads, settings.embedding_int8)

    @property
    def stamp(self) -> str:
        converted = self.model_dir / "CONVERTED.json"
        stamp = converted.read_text(encoding="utf-8") if converted.exists() else str(self.model_dir)
        return f"{stamp} {QUANTIZATION}" if self.int8 else stamp

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one encode at a time: two cores are shared by every request
            vectors = self.model.encode(texts, prompt_name=prompt_name, normalize_embeddings=True,
                                        batch_size=1 if self.int8 else 32, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document")


def quantized(model):
    """The model with int8 weights in its linear layers (one scale per output channel), activations
    quantised on the fly. Per channel keeps the vectors closer to float32 than one scale per matrix
    (mean cosine 0.988 against 0.978) at the same speed."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # the eager-mode API is deprecated in favour of torchao, not installed here
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
