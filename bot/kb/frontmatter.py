"""Writing a document's front matter back so that a save changes only the lines it must.

The files are the source of truth and are reviewed in git, so a re-dump of the whole YAML (new
quoting, re-wrapped summaries, keys in another order) would bury a one-word change in noise.
Fields whose value did not change keep their original lines byte for byte; a changed field is
written in the knowledge base's own style (summaries as folded blocks, lists as [a, b], other
text on one line) and a new field goes where the README's example has it.
"""

from __future__ import annotations

import json
import re
import textwrap

import yaml

from bot.kb.documents import _yaml_safe_dates

# The order of knowledge/README.md and of the existing files; unknown keys keep their place.
CANONICAL_ORDER = ("id", "title", "title_sv", "title_en", "type", "summary", "summary_sv", "summary_en", "audience",
                   "ages", "municipalities", "url", "catalogue", "updated", "keywords", "how_to_access", "related",
                   "keywords_sv", "keywords_en", "questions", "status", "source", "ptv_id")
FOLDED_FIELDS = frozenset({"summary", "summary_sv", "summary_en"})
FOLD_WIDTH = 96
KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:")
_FAILED = object()


class FrontMatterError(ValueError):
    """A value could not be written so that it reads back the same (should not happen for form input)."""


def _load(snippet: str):
    try:
        return _yaml_safe_dates(yaml.safe_load(snippet))
    except Exception:  # any value YAML cannot read back (e.g. 2026-13-45 as a date) is simply not plain-safe
        return _FAILED


def normalized(value):
    """Scalars compared as text, so `[112]` in a file equals "112" from a form."""
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalized(v) for k, v in value.items()}
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same(a, b) -> bool:
    return normalized(a) == normalized(b)


def _scalar(value: str, flow: bool = False) -> str:
    """The value plain when YAML reads it back unchanged, otherwise double-quoted."""
    if value and value == value.strip() and "\n" not in value:
        probe = f"k: [{value}]" if flow else f"k: {value}"
        if _load(probe) == {"k": [value] if flow else value}:
            return value
    return json.dumps(value, ensure_ascii=False)


def render_field(key: str, value) -> list[str]:
    """The lines of one top-level field."""
    if isinstance(value, list):  # numbers stay numbers (ages: [13, 17]); text that looks like one stays text
        items = (str(item) if type(item) is int else _scalar(str(item), flow=True) for item in value)
        return [f"{key}: [{', '.join(items)}]"]
    if isinstance(value, str):
        if key in FOLDED_FIELDS and value:
            lines = textwrap.wrap(value, FOLD_WIDTH, break_long_words=False, break_on_hyphens=False)
            block = [f"{key}: >-"] + [f"  {line}" for line in lines]
            if _load("\n".join(block)) == {key: value}:
                return block
        return [f"{key}: {_scalar(value)}"]
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=None, width=FOLD_WIDTH)
    return dumped.rstrip("\n").split("\n")


def split_blocks(front: str) -> list[tuple[str | None, list[str]]]:
    """Top-level fields with their continuation lines; comments and leading lines as key None."""
    blocks: list[tuple[str | None, list[str]]] = []
    for line in front.split("\n") if front else []:
        match = KEY_LINE.match(line)
        if match:
            blocks.append((match.group(1), [line]))
        elif blocks and blocks[-1][0] is not None and (not line.strip() or line[:1] in (" ", "\t")):
            blocks[-1][1].append(line)
        else:
            blocks.append((None, [line]))
    return blocks


def _insert_position(blocks: list[tuple[str | None, list[str]]], key: str) -> int:
    """After the last present key that comes before `key` in CANONICAL_ORDER; unknown keys last."""
    if key not in CANONICAL_ORDER:
        return len(blocks)
    earlier = set(CANONICAL_ORDER[: CANONICAL_ORDER.index(key)])
    position = 0
    for index, (name, _lines) in enumerate(blocks):
        if name in earlier:
            position = index + 1
    return position


def render_front_matter(original_front: str, original_meta: dict, meta: dict) -> str:
    """New front-matter text for `meta` (None values are removed), reusing unchanged lines of the original."""
    blocks = split_blocks(original_front)
    result: list[tuple[str | None, list[str]]] = []
    for name, lines in blocks:
        if name is None:
            result.append((name, lines))
        elif name in meta and meta[name] is not None:
            keep = name in original_meta and same(original_meta[name], meta[name])
            result.append((name, lines if keep else render_field(name, meta[name])))
        # a key missing from meta or set to None is dropped
    present = {name for name, _ in result}
    for key, value in meta.items():
        if key not in present and value is not None:
            result.insert(_insert_position(result, key), (key, render_field(key, value)))
    text = "\n".join(line for _name, lines in result for line in lines)
    check = _load(text) if text.strip() else {}
    expected = {k: v for k, v in meta.items() if v is not None}
    if check is _FAILED or not isinstance(check, dict) or not same(check, expected):
        raise FrontMatterError("the front matter would not read back as written")
    return text


def compose(front: str, body: str, original_text: str | None = None, original_body: str | None = None) -> str:
    """The whole file. When the body is unchanged, everything after the front matter stays as it was."""
    if original_text is not None and original_body is not None and body == original_body:
        lines = original_text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            return "\n".join(["---", front, "---", *lines[end + 1:]])
    return f"---\n{front}\n---\n{body}\n"
