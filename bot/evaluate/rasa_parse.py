"""Classify texts with a trained Rasa model; run with .venv-rasa's Python (Rasa is not in .venv-app).

    .venv-rasa/bin/python bot/evaluate/rasa_parse.py MODEL.tar.gz TEXTS.jsonl INTENTS.jsonl

Each input line is {"text": ...}; each output line adds "intent" and "confidence" (a file, not
stdout: Rasa and TensorFlow print to stdout while loading). Used by
`python -m bot.evaluate nlu --holdout` to check the intent classifier on sentences it never saw.
Imports nothing from the app, so it runs in either virtualenv's layout.
"""

import asyncio
import json
import logging
import os
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    model, texts, intents = sys.argv[1:]
    logging.disable(logging.WARNING)
    sys.path.insert(1, os.getcwd())  # as the rasa CLI does: custom components (nlu_components/) import from the cwd
    from rasa.core.agent import Agent

    agent = Agent.load(model)

    with open(texts, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]

    async def classify() -> list[dict]:
        for row in rows:
            parsed = await agent.parse_message(row["text"])
            ranking = parsed.get("intent_ranking") or []
            intent = parsed.get("intent") or {}
            # nlu_fallback (FallbackClassifier) hides the classifier's own answer: report both.
            top = next((r for r in ranking if r.get("name") != "nlu_fallback"), intent)
            row.update(intent=intent.get("name"), confidence=round(float(intent.get("confidence") or 0), 3),
                       classifier_intent=top.get("name"), classifier_confidence=round(float(top.get("confidence") or 0), 3))
        return rows

    classified = asyncio.run(classify())
    with open(intents, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in classified)
    return 0


if __name__ == "__main__":
    sys.exit(main())
