"""The knowledge-base editor behind the staff console: read, change, create and retire documents.

The Markdown files under KNOWLEDGE_DIR stay the source of truth. A save validates the whole
knowledge base with the candidate file in memory (the same validator as `python -m bot.kb
validate`), so an invalid file never reaches the disk; then writes the file atomically, records a
revision (who, when, the text before and after) and asks for a background re-index.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fcntl
import hashlib
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from sqlalchemy import Engine, insert, select

from bot.db.tables import kb_gap_done, kb_revisions
from bot.kb.documents import (
    ANSWER_TYPES,
    FOLDER_TYPES,
    MUNICIPALITIES,
    Catalogue,
    Document,
    ParseProblem,
    document_paths,
    load_documents,
    parse_text,
)
from bot.kb.frontmatter import FrontMatterError, compose, render_front_matter
from bot.kb.validate import ID_PATTERN, validate_documents

TYPE_FOLDERS = {doc_type: folder for folder, doc_type in FOLDER_TYPES.items()}
TYPE_LABELS = {"service": "Palvelu", "care_pathway": "Hoitoketju", "self_care": "Omahoito",
               "digital_channel": "Digipalvelu", "emergency": "Päivystys ja kriisit",
               "approved_text": "Hyväksytty teksti"}
TEXT_FIELDS = ("title", "title_sv", "title_en", "summary", "summary_sv", "summary_en", "url", "updated",
               "how_to_access")
LIST_FIELDS = ("audience", "catalogue", "keywords", "keywords_sv", "keywords_en", "related")
# Lists whose entries may contain commas (whole sentences): one entry per line in the form.
LINE_LIST_FIELDS = ("questions",)
REQUIRED = frozenset({"title", "summary", "audience", "url", "catalogue", "updated", "keywords", "how_to_access"})
EDITABLE_FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, *LINE_LIST_FIELDS, "ages", "municipalities", "status")
AGE_FIELD = re.compile(r"^\s*(\d{1,3})\s*(?:[-–—]\s*(\d{1,3})?\s*)?$")
FIELD_LABELS = {
    "id": "Tunnus", "title": "Otsikko", "title_sv": "Otsikko ruotsiksi", "title_en": "Otsikko englanniksi",
    "summary": "Tiivistelmä", "summary_sv": "Tiivistelmä ruotsiksi", "summary_en": "Tiivistelmä englanniksi",
    "audience": "Kenelle", "ages": "Ikä (vuotta)", "municipalities": "Kunnat", "url": "Verkkosivu", "catalogue": "Palveluluettelon tunnukset",
    "updated": "Tarkistettu", "keywords": "Hakusanat", "keywords_sv": "Hakusanat ruotsiksi",
    "keywords_en": "Hakusanat englanniksi", "how_to_access": "Näin pääset palveluun", "related": "Liittyvät dokumentit",
    "questions": "Asukkaiden kysymyksiä", "status": "Tila", "body": "Teksti", "type": "Tyyppi",
}
ACTION_LABELS = {"create": "luotu", "update": "muokattu", "review": "merkitty tarkistetuksi",
                 "retire": "poistettu käytöstä", "revert": "palautettu"}
# The validator speaks English to the command line; editors read Finnish.
MESSAGES_FI = (
    (r"required field '\w+' is missing", "Pakollinen tieto puuttuu."),
    (r"'\w+' must be a list", "Anna luettelo pilkuilla erotettuna."),
    (r"'\w+' must be text", "Kirjoita tähän tekstiä."),
    (r"unknown municipality '(.*?)'", "Tuntematon kunta: {0}."),
    (r"unknown catalogue ID '(.*?)'", "Tuntematon palveluluettelon tunnus: {0}."),
    (r"'url' must start with https://", "Osoitteen pitää alkaa https://"),
    (r"'summary' is longer than 600", "Tiivistelmä on yli 600 merkkiä: pidä se 2–3 virkkeessä."),
    (r"'ages' must be", "Anna ikä vuosina muodossa 13–17 tai 18– (0–120), tai jätä tyhjäksi."),
    (r"'status' must be", "Tilan pitää olla käytössä tai poistettu käytöstä."),
    (r"the body is empty", "Teksti puuttuu: kirjoita vastausteksti."),
    (r"'updated' must be a date", "Anna päivämäärä muodossa VVVV-KK-PP."),
    (r"id '.*?' must be lowercase", "Tunnuksessa saa olla vain pieniä kirjaimia a–z, numeroita ja väliviivoja."),
    (r"duplicate id '(.*?)'", "Tunnus {0} on jo käytössä."),
    (r"'related' links to unknown document '(.*?)'", "Liittyvää dokumenttia {0} ei ole."),
    (r"approved text has no '(\w+)' version", "Hyväksytystä tekstistä puuttuu kieliversio {0}."),
)


class EditorError(ValueError):
    """A request the editor cannot carry out, with a Finnish message fit to show."""


class NotFound(EditorError, LookupError):
    pass


class Conflict(EditorError):
    pass


@dataclass(frozen=True)
class Problem:
    field: str      # a front-matter key, "body", "id", or "" for the document as a whole
    message: str    # Finnish
    detail: str     # the validator's own line, with file and line number


class ValidationFailed(EditorError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("Tallennus ei onnistunut: korjaa merkityt kohdat.")
        self.problems = problems

    def by_field(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped


@dataclass
class SaveResult:
    doc_id: str
    revision_id: int | None
    changed: bool
    path: str


@dataclass
class Loaded:
    """One document as the edit form shows it."""

    doc: Document | None
    path: Path
    raw: str
    base_hash: str
    problem: ParseProblem | None = None
    fields: dict[str, str | list[str]] = field(default_factory=dict)

    @property
    def editable(self) -> bool:
        return self.doc is not None and self.doc.type in ANSWER_TYPES


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def helsinki_today() -> dt.date:
    from bot.service_hours import HELSINKI

    return dt.datetime.now(HELSINKI).date()


def slugify(title: str) -> str:
    """A document id from a title: 'Äitiysneuvola Kuhmossa' -> 'aitiysneuvola-kuhmossa'."""
    text = title.lower().translate(str.maketrans({"ä": "a", "ö": "o", "å": "a", "é": "e", "ü": "u"}))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug


def split_list(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def split_lines(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def form_fields(doc: Document) -> dict:
    """The document's front matter as form values: text as one line, lists comma-separated or one per line."""
    meta = doc.meta
    values: dict = {}
    for key in TEXT_FIELDS:
        values[key] = "" if meta.get(key) is None else str(meta.get(key)).strip()
    for key in LIST_FIELDS:
        items = meta.get(key)
        values[key] = ", ".join(str(i) for i in items) if isinstance(items, list) else str(items or "")
    for key in LINE_LIST_FIELDS:
        items = meta.get(key)
        values[key] = "\n".join(str(i) for i in items) if isinstance(items, list) else str(items or "")
    values["ages"] = age_field_value(meta.get("ages"))
    values["municipalities"] = doc.municipalities
    values["status"] = "retired" if not doc.active else "active"
    return values


def age_field_value(ages) -> str:
    """[13, 17] → "13–17", [18] → "18–"; anything else as written, for the validator to name."""
    if isinstance(ages, list) and len(ages) in (1, 2):
        return f"{ages[0]}–{ages[1]}" if len(ages) == 2 else f"{ages[0]}–"
    return "" if ages is None else str(ages)


def parse_age_field(text: str):
    """The form's "13–17", "18–" or "18" as front matter ([13, 17], [18]); None when empty. Other text is
    returned as written, so the validator reports it on the field instead of it being dropped silently."""
    text = str(text or "").strip()
    if not text:
        return None
    match = AGE_FIELD.match(text)
    if not match:
        return text
    low, high = match.groups()
    return [int(low), int(high)] if high else [int(low)]


def translate(problem: ParseProblem) -> str:
    for pattern, finnish in MESSAGES_FI:
        match = re.search(pattern, problem.message)
        if match:
            return finnish.format(*match.groups())
    return problem.message


def field_of(problem: ParseProblem, candidate: Document | ParseProblem) -> str:
    """Which form field a validator problem is about."""
    for name in re.findall(r"'(\w+)'", problem.message):
        if name in FIELD_LABELS:
            return name
    if re.match(r"(unknown municipality|'municipalities')", problem.message):
        return "municipalities"
    if problem.message.startswith("unknown catalogue"):
        return "catalogue"
    if re.match(r"(id |duplicate id)", problem.message):
        return "id"
    if isinstance(candidate, Document):
        if problem.line >= candidate.body_line:
            return "body"
        for number, line in enumerate(candidate.front_matter_text.split("\n"), start=2):
            match = re.match(r"^(\w+)\s*:", line)
            if match:
                current = match.group(1)
            if number == problem.line and match:
                return current if current in FIELD_LABELS else ""
    return ""


class KnowledgeEditor:
    def __init__(self, knowledge_dir: Path, engine: Engine, reindexer=None, stale_after_days: int = 365,
                 today: Callable[[], dt.date] = helsinki_today) -> None:
        self.root = Path(knowledge_dir)
        self.engine = engine
        self.reindexer = reindexer
        self.stale_after_days = stale_after_days
        self.today = today
        self._lock = threading.Lock()

    # reading -------------------------------------------------------------------------------------
    def documents(self) -> tuple[list[Document], list[ParseProblem]]:
        return load_documents(self.root)

    def catalogue(self) -> dict[str, str]:
        return Catalogue.load(self.root).entries

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def stale_before(self) -> dt.date:
        return self.today() - dt.timedelta(days=self.stale_after_days)

    def is_stale(self, doc: Document) -> bool:
        try:
            return dt.date.fromisoformat(str(doc.meta.get("updated"))) < self.stale_before()
        except ValueError:
            return True

    def row(self, doc: Document) -> dict:
        return {"id": doc.id, "title": doc.title, "type": doc.type, "type_label": TYPE_LABELS.get(doc.type, doc.type),
                "path": self.relative(doc.path), "municipalities": doc.municipalities, "catalogue": doc.catalogue,
                "updated": str(doc.meta.get("updated") or ""), "stale": doc.active and self.is_stale(doc),
                "active": doc.active, "source": str(doc.meta.get("source") or "")}

    def list(self, query: str = "", doc_type: str | None = None, municipality: str | None = None,
             catalogue: str | None = None, staleness: str | None = None, status: str | None = "active",
             docs: list[Document] | None = None) -> list[dict]:
        """Documents matching every given filter, by title. municipality "all" = county-wide documents."""
        docs = docs if docs is not None else self.documents()[0]
        words = query.lower().split()
        rows = []
        for doc in docs:
            if doc_type and doc.type != doc_type:
                continue
            if status == "active" and not doc.active or status == "retired" and doc.active:
                continue
            if municipality == "all" and doc.municipalities or \
                    municipality and municipality != "all" and municipality not in doc.municipalities:
                continue
            if catalogue and catalogue.strip().upper() not in (c.upper() for c in doc.catalogue):
                continue
            row = self.row(doc)
            if staleness == "stale" and not row["stale"] or staleness == "fresh" and row["stale"]:
                continue
            if words:
                haystack = " ".join([doc.id, doc.title, doc.summary, " ".join(doc.keywords), doc.body,
                                     str(doc.meta.get("how_to_access") or "")]).lower()
                if not all(word in haystack for word in words):
                    continue
            rows.append(row)
        return sorted(rows, key=lambda r: (r["title"].lower(), r["id"]))

    def stale(self, docs: list[Document] | None = None) -> list[dict]:
        """Active documents not reviewed within the period, oldest first."""
        docs = docs if docs is not None else self.documents()[0]
        rows = [self.row(doc) for doc in docs if doc.active and self.is_stale(doc)]
        return sorted(rows, key=lambda r: (r["updated"], r["id"]))

    def _path_of(self, doc_id: str) -> Path:
        if not ID_PATTERN.match(doc_id or ""):
            raise NotFound(f"Dokumenttia {doc_id!r} ei ole.")
        for path in document_paths(self.root):
            if path.stem == doc_id:
                return path
        raise NotFound(f"Dokumenttia {doc_id} ei ole.")

    def load(self, doc_id: str) -> Loaded:
        path = self._path_of(doc_id)
        raw = path.read_bytes().decode("utf-8", errors="replace")
        parsed = parse_text(path, raw.encode("utf-8"))
        if isinstance(parsed, ParseProblem):
            return Loaded(None, path, raw, _hash(raw), problem=parsed)
        return Loaded(parsed, path, raw, _hash(raw), fields=form_fields(parsed))

    # writing -------------------------------------------------------------------------------------
    def _meta_with(self, original: dict, fields: Mapping) -> dict:
        """The original front matter with the submitted editable fields applied (others kept as they were)."""
        meta = dict(original)
        for key in TEXT_FIELDS:
            if key in fields:
                value = " ".join(str(fields[key] or "").split())
                meta[key] = value if value or key in REQUIRED else None
        for key in LIST_FIELDS:
            if key in fields:
                items = split_list(fields[key])
                meta[key] = items if items or key in REQUIRED or key in original else None
        for key in LINE_LIST_FIELDS:
            if key in fields:
                items = split_lines(fields[key])
                meta[key] = items if items or key in original else None
        if "ages" in fields:
            meta["ages"] = parse_age_field(fields["ages"])
        if "municipalities" in fields:
            chosen = split_list(fields["municipalities"])
            if chosen == ["all"] or not chosen:
                meta["municipalities"] = "all"
            else:  # known ones in the usual order, unknown ones kept so the validator names them
                meta["municipalities"] = [m for m in MUNICIPALITIES if m in chosen] + \
                                         [m for m in chosen if m not in MUNICIPALITIES]
        if "status" in fields:
            status = str(fields["status"] or "active").strip()
            # "active" is the default: written only where the file already said so explicitly
            meta["status"] = None if status == "active" and original.get("status") != "active" else status
        return meta

    @contextmanager
    def _exclusive(self):
        """One writer at a time: in this process (a lock) and across instances sharing the folder (flock)."""
        with self._lock:
            descriptor = os.open(self.root, os.O_RDONLY)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)

    def _check(self, path: Path, text: str) -> Document:
        """Validate the whole knowledge base as if `text` were at `path`; raise ValidationFailed."""
        docs, problems = load_documents(self.root)
        before = {(str(p.path), p.message) for p in validate_documents(self.root, docs, problems)}
        candidate = parse_text(path, text.encode("utf-8"))
        docs = [d for d in docs if d.path != path]
        problems = [p for p in problems if p.path != path]
        (problems if isinstance(candidate, ParseProblem) else docs).append(candidate)
        after = validate_documents(self.root, docs, problems)
        blocking = [p for p in after if p.path == path or (str(p.path), p.message) not in before]
        if blocking:
            found = []
            for problem in blocking:
                where = "" if problem.path == path else f"{self.relative(problem.path)}: "
                found.append(Problem(field_of(problem, candidate) if problem.path == path else "",
                                     where + translate(problem), str(problem)))
            raise ValidationFailed(found)
        assert isinstance(candidate, Document)
        return candidate

    def _commit(self, path: Path, text: str, user: str, action: str, expected_old: str | None = None,
                reverts: int | None = None, must_be_new: bool = False) -> SaveResult:
        if not user or not user.strip():
            raise EditorError("Käyttäjä puuttuu.")
        with self._exclusive():
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if must_be_new and old is not None:
                raise ValidationFailed([Problem("id", f"Tunnus {path.stem} on jo käytössä.", str(path))])
            if expected_old is not None and (old is None or _hash(old) != expected_old):
                raise Conflict("Joku muu tallensi tämän dokumentin sillä välin. Avaa dokumentti uudelleen; "
                               "muutoksesi eivät tallentuneet.")
            doc = self._check(path, text)
            if old == text:
                return SaveResult(doc.id, None, False, self.relative(path))
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with open(temporary, "w", encoding="utf-8", newline="\n") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
            with self.engine.begin() as db:
                revision_id = db.execute(insert(kb_revisions).values(
                    doc_id=doc.id, path=self.relative(path), ts=time.time(), username=user.strip()[:64], action=action,
                    old_text=old, new_text=text, reverts=reverts)).inserted_primary_key[0]
        if self.reindexer is not None:
            self.reindexer.request()
        return SaveResult(doc.id, revision_id, True, self.relative(path))

    def _render(self, loaded: Loaded, meta: dict, body: str | None) -> str:
        assert loaded.doc is not None
        new_body = loaded.doc.body if body is None else body.replace("\r\n", "\n").strip("\n")
        try:
            front = render_front_matter(loaded.doc.front_matter_text, loaded.doc.meta, meta)
        except FrontMatterError as error:
            raise EditorError("Kenttiä ei voitu kirjoittaa tiedostoon muuttumattomina; tarkista erikoismerkit.") from error
        return compose(front, new_body, loaded.raw, loaded.doc.body)

    def _editable(self, doc_id: str) -> Loaded:
        loaded = self.load(doc_id)
        if loaded.doc is None:
            raise EditorError(f"Tiedosto on rikki eikä sitä voi muokata lomakkeella: {loaded.problem}")
        if not loaded.editable:
            raise EditorError("Hyväksyttyjä tekstejä ei muokata täällä: muutokset hyväksyttävät hyvinvointialueella.")
        return loaded

    def save(self, doc_id: str, fields: Mapping, body: str | None, user: str, base_hash: str | None = None,
             action: str = "update") -> SaveResult:
        """Apply the given fields (others stay as they are) and the body (None keeps it)."""
        loaded = self._editable(doc_id)
        unknown = set(fields) - set(EDITABLE_FIELDS)
        if unknown:
            raise EditorError(f"Näitä kenttiä ei voi muokata: {', '.join(sorted(unknown))}.")
        text = self._render(loaded, self._meta_with(loaded.doc.meta, fields), body)
        return self._commit(loaded.path, text, user, action, expected_old=base_hash or loaded.base_hash)

    def retire(self, doc_id: str, user: str) -> SaveResult:
        """Retired documents stay on disk (and in git) but leave the index."""
        return self.save(doc_id, {"status": "retired"}, None, user, action="retire")

    def mark_reviewed(self, doc_id: str, user: str) -> SaveResult:
        return self.save(doc_id, {"updated": self.today().isoformat()}, None, user, action="review")

    def create(self, doc_type: str, fields: Mapping, body: str, user: str, doc_id: str | None = None) -> SaveResult:
        if doc_type not in ANSWER_TYPES:
            raise ValidationFailed([Problem("type", "Valitse dokumentin tyyppi.", doc_type)])
        doc_id = (doc_id or "").strip() or slugify(str(fields.get("title") or ""))
        if not ID_PATTERN.match(doc_id):
            raise ValidationFailed([Problem("id", "Tunnuksessa saa olla vain pieniä kirjaimia a–z, numeroita ja "
                                                  "väliviivoja (esim. kotihoito-kuhmo).", doc_id)])
        existing = [p for p in document_paths(self.root) if p.stem == doc_id]
        if existing:
            raise ValidationFailed([Problem("id", f"Tunnus {doc_id} on jo käytössä ({self.relative(existing[0])}).",
                                            doc_id)])
        values = {"updated": self.today().isoformat(), "catalogue": "", "related": "", **fields}
        unknown = set(values) - set(EDITABLE_FIELDS)
        if unknown:
            raise EditorError(f"Näitä kenttiä ei voi antaa: {', '.join(sorted(unknown))}.")
        meta = self._meta_with({"id": doc_id, "type": doc_type}, values)
        meta.setdefault("municipalities", "all")
        if meta.get("related") is None:
            meta["related"] = []
        try:
            front = render_front_matter("", {}, meta)
        except FrontMatterError as error:
            raise EditorError("Kenttiä ei voitu kirjoittaa tiedostoon; tarkista erikoismerkit.") from error
        text = compose(front, body.replace("\r\n", "\n").strip("\n"))
        path = self.root / TYPE_FOLDERS[doc_type] / f"{doc_id}.md"
        return self._commit(path, text, user, "create", must_be_new=True)

    # history -------------------------------------------------------------------------------------
    def history(self, doc_id: str, limit: int = 100) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(select(kb_revisions).where(kb_revisions.c.doc_id == doc_id)
                              .order_by(kb_revisions.c.id.desc()).limit(limit)).mappings().all()
        return [self._revision_view(dict(row)) for row in rows]

    def revision(self, revision_id: int) -> dict:
        with self.engine.connect() as db:
            row = db.execute(select(kb_revisions).where(kb_revisions.c.id == revision_id)).mappings().first()
        if row is None:
            raise NotFound(f"Muutosta {revision_id} ei ole.")
        return self._revision_view(dict(row))

    @staticmethod
    def _revision_view(row: dict) -> dict:
        old = (row["old_text"] or "").splitlines()
        new = row["new_text"].splitlines()
        diff = list(difflib.unified_diff(old, new, "ennen", "jälkeen", lineterm="", n=2))[2:]
        row["diff"] = [{"kind": "add" if line.startswith("+") else "del" if line.startswith("-") else
                        "hunk" if line.startswith("@@") else "same", "text": line} for line in diff]
        row["action_label"] = ACTION_LABELS.get(row["action"], row["action"])
        return row

    def revert(self, revision_id: int, user: str) -> SaveResult:
        """Write back the text from before `revision_id`, as a new revision (the undone one stays in history)."""
        revision = self.revision(revision_id)
        if revision["old_text"] is None:
            raise EditorError("Uuden dokumentin luontia ei voi perua palauttamalla; poista dokumentti käytöstä.")
        path = self.root / revision["path"]
        if path.resolve().parent.parent != self.root.resolve() or path.parent.name not in FOLDER_TYPES:
            raise EditorError("Muutoksen tiedostopolku ei ole tietopohjassa.")
        return self._commit(path, revision["old_text"], user, "revert", reverts=revision_id)

    # knowledge gaps from the failure-demand console ----------------------------------------------
    def gaps(self, days: int = 90) -> list[dict] | None:
        """Open knowledge gaps of the last `days` days, or None while bot.analytics cannot provide them."""
        try:
            from bot.analytics.queries import Filters, knowledge_gaps
        except ImportError:
            return None
        groups = knowledge_gaps(self.engine, Filters(start=self.today() - dt.timedelta(days=days - 1)))
        done = self._done({i for group in groups for i in group.get("event_ids") or []})
        titles = {doc.id: doc.title for doc in self.documents()[0]}
        result = []
        for group in groups:
            ids = list(group.get("event_ids") or [])
            open_ids = [i for i in ids if i not in done]
            if ids and not open_ids:
                continue
            result.append({**group, "open_ids": open_ids, "open_count": group["count"] - (len(ids) - len(open_ids)),
                           "doc_title": titles.get(group.get("doc_id") or "")})
        return result

    def _done(self, event_ids: Iterable[int]) -> set[int]:
        ids, done = sorted(event_ids), set()
        with self.engine.connect() as db:
            for start in range(0, len(ids), 500):
                done.update(db.execute(select(kb_gap_done.c.event_id)
                                       .where(kb_gap_done.c.event_id.in_(ids[start:start + 500]))).scalars())
        return done

    def gap_questions(self, event_ids: list[int]) -> list[dict]:
        """The unresolved questions behind a gap, newest first, with whether an editor has handled them."""
        from bot.db.tables import events

        ids = event_ids[:200]
        with self.engine.connect() as db:
            rows = db.execute(select(events.c.id, events.c.ts, events.c.text_redacted, events.c.reason,
                                     events.c.decision, events.c.municipality, events.c.lang)
                              .where(events.c.id.in_(ids)).order_by(events.c.ts.desc())).mappings().all()
        done = self._done(ids)
        return [dict(row, done=row["id"] in done) for row in rows]

    def mark_gaps_done(self, event_ids: Iterable[int], user: str) -> int:
        ids = sorted({int(i) for i in event_ids})
        fresh = sorted(set(ids) - self._done(ids))
        if fresh:
            with self.engine.begin() as db:
                db.execute(insert(kb_gap_done), [{"event_id": i, "username": user[:64], "ts": time.time()}
                                                 for i in fresh])
        return len(fresh)

