"""Write a blank Finnish spaCy pipeline to disk for Rasa's SpacyNLP (run with .venv-rasa's Python)."""

import sys
from pathlib import Path

import spacy

out = sys.argv[1] if len(sys.argv) > 1 else "build/spacy/fi_blank"
Path(out).parent.mkdir(parents=True, exist_ok=True)
spacy.blank("fi").to_disk(out)
print(f"wrote {out}")
