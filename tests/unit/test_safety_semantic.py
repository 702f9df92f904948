"""The semantic safety net's decision rule, with a tiny fake embedder (the real model is measured in
`python -m bot.evaluate safety --semantic`), and how the chat shows its notice."""

from __future__ import annotations

import json

import numpy as np

from bot.safety_semantic import SemanticSafety

WORDS = ["rinta", "kipu", "seulonta", "aika", "hengitä", "kurssi"]


class BagOfWordsEmbedder:
    """Unit vectors of word counts over a fixed vocabulary: closeness = shared words."""

    def encode_queries(self, texts):
        vectors = np.array([[t.lower().split().count(w) + 1e-3 for w in WORDS] for t in texts], dtype=float)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def reference(tmp_path):
    folder = tmp_path / "safety-reference"
    folder.mkdir()
    emergencies = [("rinta kipu", "chest_pain"), ("kipu rinta rinta", "chest_pain"), ("ei hengitä", "breathing")]
    look_alikes = ["rinta seulonta aika", "seulonta aika", "kurssi hengitä aika"]
    (folder / "emergencies.jsonl").write_text(
        "\n".join(json.dumps({"text": t, "category": c}) for t, c in emergencies), encoding="utf-8")
    (folder / "look-alikes.jsonl").write_text("\n".join(json.dumps({"text": t}) for t in look_alikes), encoding="utf-8")
    return folder


def test_a_message_like_an_emergency_gets_its_category(tmp_path):
    net = SemanticSafety(BagOfWordsEmbedder(), reference(tmp_path), min_similarity=0.8, margin=0.05, neighbours=1)
    notice = net.check("kova kipu rinta")
    assert notice is not None and notice.category == "chest_pain" and notice.decision == "emergency"
    assert notice.text_id == "safety-emergency"


def test_a_message_nearer_the_look_alikes_is_left_to_the_bot(tmp_path):
    net = SemanticSafety(BagOfWordsEmbedder(), reference(tmp_path), min_similarity=0.5, margin=0.05, neighbours=1)
    assert net.check("rinta seulonta aika") is None
    assert net.check("") is None


def test_far_from_everything_is_not_an_emergency(tmp_path):
    net = SemanticSafety(BagOfWordsEmbedder(), reference(tmp_path), min_similarity=0.99, margin=0.0, neighbours=1)
    assert net.check("kurssi") is None
