"""Reading knowledge-base documents: Markdown files with YAML front matter.

Parsing never raises for a bad file; it returns a :class:`ParseProblem` with the file and line,
so the validator can report every broken file at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MUNICIPALITIES = ("Hyrynsalmi", "Kajaani", "Kuhmo", "Paltamo", "Puolanka", "Ristijärvi", "Sotkamo", "Suomussalmi")
FOLDER_TYPES = {
    "services": "service",
    "care-pathways": "care_pathway",
    "self-care": "self_care",
    "digital-channels": "digital_channel",
    "emergency": "emergency",
    "approved": "approved_text",
}
ANSWER_TYPES = frozenset(FOLDER_TYPES.values()) - {"approved_text"}


@dataclass(frozen=True)
class ParseProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Document:
    """One knowledge document as the bot uses it."""

    path: Path
    meta: dict
    body: str
    body_line: int  # line number where the body starts, for error messages
    front_matter_text: str

    @property
    def id(self) -> str:
        return str(self.meta.get("id", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def type(self) -> str:
        return str(self.meta.get("type", ""))

    @property
    def summary(self) -> str:
        return str(self.meta.get("summary", "")).strip()

    @property
    def url(self) -> str:
        return str(self.meta.get("url", ""))

    @property
    def catalogue(self) -> list[str]:
        return [str(c) for c in self.meta.get("catalogue") or []]

    @property
    def keywords(self) -> list[str]:
        return [str(k) for k in self.meta.get("keywords") or []]

    @property
    def questions(self) -> list[str]:
        """Questions as residents ask them; each is indexed on its own so a similar message finds the document."""
        return [str(q).strip() for q in self.meta.get("questions") or [] if str(q).strip()]

    @property
    def municipalities(self) -> list[str]:
        """Municipalities the document is specific to; empty means the whole county."""
        value = self.meta.get("municipalities")
        if value in (None, "all", ["all"]):
            return []
        return [str(m) for m in value]

    @property
    def active(self) -> bool:
        return self.meta.get("status", "active") != "retired"

    def sections(self) -> list[tuple[str, str]]:
        """The body split at ``## `` headings: [(heading, text)], heading '' before the first."""
        parts: list[tuple[str, str]] = []
        heading, lines = "", []
        for line in self.body.splitlines():
            match = re.match(r"^#{1,3}\s+(.*)", line)
            if match:
                if "".join(lines).strip():
                    parts.append((heading, "\n".join(lines).strip()))
                heading, lines = match.group(1).strip(), []
            else:
                lines.append(line)
        if "".join(lines).strip():
            parts.append((heading, "\n".join(lines).strip()))
        return parts

    def content_hash(self) -> str:
        text = self.front_matter_text + "\n---\n" + self.body
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def line_of(self, key: str) -> int:
        """Line number of a front-matter key (1-based; the opening '---' is line 1)."""
        for number, line in enumerate(self.front_matter_text.splitlines(), start=2):
            if re.match(rf"^{re.escape(key)}\s*:", line):
                return number
        return 1


def _yaml_safe_dates(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _yaml_safe_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_safe_dates(v) for v in value]
    return value


def parse_text(path: Path, raw: bytes) -> Document | ParseProblem:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return ParseProblem(path, line, f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8")
    if "\x00" in text:
        return ParseProblem(path, text[: text.index("\x00")].count("\n") + 1, "binary content (NUL byte)")
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return ParseProblem(path, 1, "front matter missing: the file must start with a line '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return ParseProblem(path, 1, "front matter not closed: add a line '---' after it")
    front = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return ParseProblem(path, line, f"front matter is not valid YAML: {problem}")
    if not isinstance(meta, dict):
        return ParseProblem(path, 2, "front matter must be a mapping of 'key: value' lines")
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return Document(path=path, meta=_yaml_safe_dates(meta), body=body, body_line=end + 2, front_matter_text=front)


def parse_file(path: Path) -> Document | ParseProblem:
    try:
        raw = path.read_bytes()
    except OSError as error:
        return ParseProblem(path, 0, f"cannot read: {error.strerror}")
    return parse_text(path, raw)


def document_paths(root: Path) -> list[Path]:
    return sorted(p for folder in FOLDER_TYPES for p in (root / folder).glob("*.md"))


def load_documents(root: Path) -> tuple[list[Document], list[ParseProblem]]:
    docs: list[Document] = []
    problems: list[ParseProblem] = []
    for path in document_paths(root):
        result = parse_file(path)
        (problems if isinstance(result, ParseProblem) else docs).append(result)
    return docs, problems


@dataclass
class Catalogue:
    entries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "Catalogue":
        path = root / "catalogue.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls({str(k): str(v) for k, v in (data or {}).get("entries", {}).items()})
