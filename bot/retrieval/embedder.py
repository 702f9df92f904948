"""The dense text encoder: multilingual-e5-small through sentence-transformers, offline."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np


class Embedder:
    """Encodes queries and passages with e5's ``query:`` / ``passage:`` prompts; loads on first use."""

    def __init__(self, model_dir: Path, threads: int = 2) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
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
                    self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        return self._model

    @property
    def stamp(self) -> str:
        converted = self.model_dir / "CONVERTED.json"
        return converted.read_text(encoding="utf-8") if converted.exists() else str(self.model_dir)

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one encode at a time: two cores are shared by every request
            vectors = self.model.encode(
                texts, prompt_name=prompt_name, normalize_embeddings=True, batch_size=32, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document")
