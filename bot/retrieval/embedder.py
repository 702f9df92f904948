"""The dense text encoder: multilingual-e5-small through sentence-transformers, offline."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
QUANTIZATION = "int8-per-channel"
# Texts embedded one at a time barely use a second core (7.8 ms a text on one thread, 6.7 ms on two),
# so a large batch is split between one-thread processes instead: the vectors are bit-identical.
# Below this many texts, starting the processes (importing torch, loading the model) costs more than it saves.
PARALLEL_MIN_TEXTS = 2000
PARALLEL_SLICE = 64


class Embedder:
    """Encodes queries and passages with e5's ``query:`` / ``passage:`` prompts; loads on first use.

    With ``int8`` the model's linear layers run as dynamically quantised int8 (PyTorch's
    ``quantize_dynamic``): on two CPU cores a query embeds about twice as fast, with the same
    routing ranks (docs/retrieval.md). Vectors of the two modes are never mixed: the mode is part
    of `stamp`, so an index built in the other mode is re-embedded. In int8 mode texts are embedded
    one at a time: the activations' int8 scale is set per input tensor, so in a batch a text's vector
    would depend on its neighbours, and an incremental re-index would differ from a full build.
    A large batch of passages is split between one-thread worker processes (`PARALLEL_MIN_TEXTS`).
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
        if self.int8 and self.threads > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            try:
                return self._encode_in_processes(texts, "document")
            except (OSError, RuntimeError) as exc:  # no process could start (BrokenProcessPool is a RuntimeError)
                log.warning("embedding in %d processes failed (%s); embedding in this one", self.threads, exc)
        return self._encode(texts, "document")

    def _encode_in_processes(self, texts: list[str], prompt_name: str) -> np.ndarray:
        """`texts` split between `threads` one-thread processes, in order. The lock is not held: the
        workers use the cores, and a resident's query waiting for a whole re-index would be worse."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        slices = [(texts[i : i + PARALLEL_SLICE], prompt_name) for i in range(0, len(texts), PARALLEL_SLICE)]
        # spawn, not fork: a forked copy of a process whose torch threads already ran can hang
        with ProcessPoolExecutor(self.threads, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_start_worker, initargs=(str(self.model_dir),)) as pool:
            return np.vstack(list(pool.map(_encode_slice, slices)))


_worker: Embedder | None = None  # the model of a worker process of `_encode_in_processes`


def _start_worker(model_dir: str) -> None:
    global _worker
    _worker = Embedder(Path(model_dir), threads=1, int8=True)


def _encode_slice(job: tuple[list[str], str]) -> np.ndarray:
    texts, prompt_name = job
    return _worker._encode(texts, prompt_name)


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
