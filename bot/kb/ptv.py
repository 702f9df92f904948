"""Import of the county's services from the Suomi.fi service registry (PTV, open API v11).

Why this exists: PTV is the official, maintained description of every public service. Importing it
keeps the bot's service documents in step with what the county itself publishes, including the
contact details (phone numbers, addresses, opening hours) that editors may not invent by hand.

How it works, in three steps so that a failure never leaves a half-written knowledge base:

1. **fetch** everything from PTV (``PtvClient``: anonymous GET, timeout, retries, paging);
2. **plan** what each service means for the knowledge base (create, update, retire, review, skip);
3. **write** the plan, then the state file (``ptv-state.json`` in the knowledge folder).

Imported documents live in ``services/`` with ids ``ptv-<slug>`` and ``source: ptv``. Each carries
``ptv_imported_hash``, a hash of the content as imported: if the file no longer matches it, an editor
has changed it, and a re-import writes the new PTV version to ``ptv-review/<id>.md`` for review
instead of overwriting the edit. See docs/ptv-import.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bot.kb.documents import MUNICIPALITIES, Document, ParseProblem, document_paths, load_documents, parse_text
from bot.kb.validate import validate_documents, validate_knowledge_base

DEFAULT_URL = "https://hyvinvointialue.kainuu.fi/"
STATE_FILE = "ptv-state.json"
REVIEW_FOLDER = "ptv-review"  # not a type folder: the loader and the validator never read it
TARGET_FOLDER = "services"
LANGUAGES = ("fi", "sv", "en")
TIMEOUT_S = 20.0
RETRIES = 3
RETRY_BACKOFF_S = 1.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_IDS_PER_REQUEST = 100  # the API's limit for ?guids=
MAX_PAGES = 10_000  # guards against a server that never stops paging
# Re-read a little before the last import: clocks differ, and re-importing is idempotent.
SINCE_OVERLAP = dt.timedelta(minutes=15)
# Statistics Finland codes of the Kainuu municipalities, for areas that carry a code but no Finnish name.
MUNICIPALITY_CODES = {"105": "Hyrynsalmi", "205": "Kajaani", "290": "Kuhmo", "578": "Paltamo", "620": "Puolanka",
                      "697": "Ristijärvi", "765": "Sotkamo", "777": "Suomussalmi"}
# Words in PTV's Finnish target-group names -> the audience words the knowledge base already uses.
AUDIENCE_WORDS = (("ikäänty", "ikäihmiset"), ("vanhu", "ikäihmiset"), ("lapsiperhe", "lapsiperheet"),
                  ("lapset", "lapset ja nuoret"), ("nuoret", "lapset ja nuoret"), ("perhe", "perheet"),
                  ("maahanmuut", "maahanmuuttajat"), ("vammai", "vammaiset"), ("omaishoit", "omaishoitajat"),
                  ("opiskelij", "opiskelijat"))
CHANNEL_ORDER = ("EChannel", "WebPage", "Phone", "ServiceLocation", "PrintableForm")
CHANNEL_LABELS = {"EChannel": "Verkkoasiointi", "WebPage": "Verkkosivu", "Phone": "Puhelin",
                  "ServiceLocation": "Asiointipiste", "PrintableForm": "Lomake"}
DAY_NAMES = {"Monday": "ma", "Tuesday": "ti", "Wednesday": "ke", "Thursday": "to", "Friday": "pe",
             "Saturday": "la", "Sunday": "su"}
DESCRIPTION_SECTIONS = (("UserInstruction", "Miten pääset palveluun"), ("ProcessingTime", "Käsittelyaika"),
                        ("DeadLine", "Määräaika"), ("ValidityTime", "Voimassaoloaika"))
PERSONAL_EMAIL = re.compile(r"^[a-zäöå-]+\.[a-zäöå-]+@", re.IGNORECASE)  # etunimi.sukunimi@ …: left out


class PtvError(Exception):
    """PTV could not be read: network, HTTP status or a response of an unexpected shape."""


# --------------------------------------------------------------------------------------------- fetch


class PtvClient:
    """Anonymous GETs against the open API, with a timeout, retries and the API's paging."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport | None = None, *, timeout: float = TIMEOUT_S,
                 retries: int = RETRIES, backoff: float | None = None, sleep: Callable[[float], None] = time.sleep):
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout,
                                  headers={"Accept": "application/json"}, follow_redirects=True)
        self.retries = retries
        self.backoff = RETRY_BACKOFF_S if backoff is None else backoff
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def get_json(self, path: str, params: dict | None = None):
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as error:  # connection refused, DNS, timeouts …
                last = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                continue
            if response.status_code in RETRY_STATUSES:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise PtvError(f"PTV answered HTTP {response.status_code} for {response.request.url}: "
                               f"{response.text[:200].strip()}")
            try:
                return response.json()
            except ValueError:
                raise PtvError(f"PTV answered something that is not JSON for {response.request.url}") from None
        raise PtvError(f"PTV is not reachable at {self._http.base_url} ({path}) "
                       f"after {self.retries + 1} attempts: {last}")

    def pages(self, path: str, params: dict | None = None) -> Iterator[list]:
        """Every ``itemList`` of a paged answer (``pageNumber``, ``pageSize``, ``pageCount``, ``itemList``)."""
        page = 1
        while page <= MAX_PAGES:
            data = self.get_json(path, {**(params or {}), "page": page})
            if not isinstance(data, dict) or not isinstance(data.get("pageCount"), int):
                raise PtvError(f"unexpected answer from PTV for {path} page {page}: no pageCount")
            items = data.get("itemList") or []
            if not isinstance(items, list):
                raise PtvError(f"unexpected answer from PTV for {path} page {page}: itemList is not a list")
            yield items
            if page >= data["pageCount"]:
                return
            page += 1
        raise PtvError(f"PTV kept paging past {MAX_PAGES} pages for {path}")

    def guid_pages(self, path: str, params: dict | None = None) -> list[str]:
        """Ids from a GUID page endpoint (items ``{id, name}``)."""
        return [str(item["id"]) for items in self.pages(path, params) for item in items
                if isinstance(item, dict) and item.get("id")]

    def by_ids(self, path: str, ids: Iterable[str]) -> list:
        """Full items for many ids, at most 100 ids a request."""
        ids = sorted(set(ids))
        found: list = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            data = self.get_json(path, {"guids": ",".join(ids[start:start + MAX_IDS_PER_REQUEST])})
            if data is None:
                continue
            if not isinstance(data, list):
                raise PtvError(f"unexpected answer from PTV for {path}: not a list")
            found.extend(data)
        return found


def fixture_transport(directory: Path, seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """Answers the importer's requests from recorded JSON files (tests, demos, offline runs).

    The layout of ``directory`` is described in docs/ptv-import.md; the HTTP client code is the real one.
    """
    directory = Path(directory)

    def load(name: str):
        path = directory / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def index(names: Iterable[str]) -> dict[str, object]:
        items: dict[str, object] = {}
        for name in names:
            data = load(name)
            for item in (data.get("itemList") or []) if isinstance(data, dict) else (data or []):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    items.setdefault(item["id"], item)
        return items

    def respond(data) -> httpx.Response:
        if data is None:
            return httpx.Response(404, json={"errorMessage": "not found in the recorded fixtures"})
        return httpx.Response(200, json=data)

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        route = request.url.path.split("/api/v11/", 1)[-1].strip("/")
        params = request.url.params
        page = params.get("page", "1")
        pages = sorted(p.name for p in directory.glob("organization-services.page*.json"))
        if route == "Service/list/organization":
            return respond(load(f"organization-services.page{page}.json"))
        if route in ("Service/list", "Service/serviceWithGD/list"):
            items = index([*pages, "service-list.json"])
            return respond([items[i] for i in params.get("guids", "").split(",") if i in items])
        if route == "ServiceChannel/list":
            items = index(["service-channels.json"])
            return respond([items[i] for i in params.get("guids", "").split(",") if i in items])
        if route == "Service":
            prefix = {"Published": "changed", "Archived": "archived", "Withdrawn": "withdrawn"}.get(
                params.get("status", "Published"), "unknown")
            return respond(load(f"{prefix}-services.page{page}.json"))
        if route == "ServiceChannel":
            return respond(load(f"changed-channels.page{page}.json"))
        return respond(None)

    return httpx.MockTransport(handle)


# ------------------------------------------------------------------------------------ PTV data shape


def _localized(items, lang: str, kind: str | None = None) -> list[str]:
    """Values of a PTV ``[{language, value, type}]`` list for one language (and type)."""
    return [str(item["value"]).strip() for item in items or []
            if item.get("language") == lang and (kind is None or item.get("type") == kind)
            and isinstance(item.get("value"), str) and item["value"].strip()]


def _first(items, lang: str, kind: str | None = None) -> str:
    values = _localized(items, lang, kind)
    return values[0] if values else ""


def _description(service: dict, lang: str, kind: str) -> str:
    """A description of the service itself, else of its statutory general description (``GD_`` prefix)."""
    return (_first(service.get("serviceDescriptions"), lang, kind)
            or _first(service.get("serviceDescriptions"), lang, f"GD_{kind}"))


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _parse_modified(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _localized_list_problem(item: dict, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        return f"'{key}' is not a list"
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get("language"), str) \
                or not isinstance(entry.get("value"), (str, type(None))):
            return f"'{key}' has an entry that is not {{language, value}}"
    return None


def service_problem(service) -> str | None:
    """Why a service item cannot be imported, or None. Never raises."""
    if not isinstance(service, dict):
        return "not a JSON object"
    if not _is_uuid(service.get("id")):
        return "'id' is missing or not a UUID"
    if not isinstance(service.get("serviceNames"), list):
        return "'serviceNames' is missing or not a list"
    for key in ("serviceNames", "serviceDescriptions", "requirements", "keywords"):
        problem = _localized_list_problem(service, key)
        if problem:
            return problem
    for key in ("targetGroups", "serviceChannels", "areas", "organizations", "languages"):
        if service.get(key) is not None and not isinstance(service[key], list):
            return f"'{key}' is not a list"
    if not _first(service["serviceNames"], "fi", "Name"):
        return "no Finnish name"
    if not (_description(service, "fi", "Summary") or _description(service, "fi", "Description")):
        return "no Finnish summary or description"
    if _parse_modified(service.get("modified")) is None:
        return "'modified' is missing or not a date"
    for group in service.get("targetGroups") or []:
        if not isinstance(group, dict) or not isinstance(group.get("code"), str):
            return "'targetGroups' has an entry without a code"
    for relation in service.get("serviceChannels") or []:
        if not isinstance(relation, dict) or not isinstance(relation.get("serviceChannel"), dict) \
                or not _is_uuid(relation["serviceChannel"].get("id")):
            return "'serviceChannels' has an entry without serviceChannel.id"
    return None


def channel_problem(channel) -> str | None:
    if not isinstance(channel, dict):
        return "not a JSON object"
    if not _is_uuid(channel.get("id")):
        return "'id' is missing or not a UUID"
    if not isinstance(channel.get("serviceChannelType"), str):
        return "'serviceChannelType' is missing"
    problem = _localized_list_problem(channel, "serviceChannelNames")
    if problem or not channel.get("serviceChannelNames"):
        return problem or "'serviceChannelNames' is missing"
    for key in ("webPages", "supportPhones", "phoneNumbers", "supportEmails", "emails", "addresses", "serviceHours"):
        if channel.get(key) is not None and not isinstance(channel[key], list):
            return f"'{key}' is not a list"
    return None


def is_for_residents(service: dict) -> bool:
    """True when a target group is citizens (KR1) or one of its subgroups (KR1.x); business-only is dropped."""
    return any(re.fullmatch(r"KR1(\.\d+)*", str(group.get("code", ""))) for group in service.get("targetGroups") or [])


def belongs_to(service: dict, organization: str) -> bool:
    for role in service.get("organizations") or []:
        org = role.get("organization") if isinstance(role, dict) else None
        if isinstance(org, dict) and str(org.get("id", "")).lower() == organization.lower():
            return True
    return False


def channel_ids(service: dict) -> list[str]:
    return [relation["serviceChannel"]["id"] for relation in service.get("serviceChannels") or []]


# ------------------------------------------------------------------------------------------- mapping


def slugify(text: str, max_length: int = 50) -> str:
    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def _clean_text(text: str) -> str:
    """PTV plain text as Markdown: no accidental headings, bullets as '-', at most one blank line."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        line = re.sub(r"^[•·▪●]\s*", "- ", line)
        if line.startswith("#"):
            line = "\\" + line
        if line == "---":
            line = "—"
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _one_line(text: str, limit: int) -> str:
    """The first sentences of ``text`` that fit in ``limit`` characters, on one line."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out or text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _municipalities(service: dict) -> str | list[str]:
    if str(service.get("areaType", "")).startswith("WholeCountry"):
        return "all"
    found: set[str] = set()
    for area in service.get("areas") or []:
        if not isinstance(area, dict):
            continue
        if area.get("type") != "Municipality":
            return "all"  # province, hospital region …: the whole county
        for municipality in area.get("municipalities") or []:
            if not isinstance(municipality, dict):
                continue
            name = _first(municipality.get("name"), "fi")
            if name in MUNICIPALITIES:
                found.add(name)
            elif str(municipality.get("code")) in MUNICIPALITY_CODES:
                found.add(MUNICIPALITY_CODES[str(municipality.get("code"))])
    if not found or len(found) == len(MUNICIPALITIES):
        return "all"
    return [m for m in MUNICIPALITIES if m in found]


def _resident_groups(service: dict) -> list[str]:
    return [_first(group.get("name"), "fi") or group["code"] for group in service.get("targetGroups") or []
            if re.fullmatch(r"KR1(\.\d+)*", group["code"])]


def _audience(service: dict) -> list[str]:
    audience: list[str] = []
    for group in service.get("targetGroups") or []:
        code, name = group["code"], _first(group.get("name"), "fi").lower()
        if not re.fullmatch(r"KR1(\.\d+)*", code):
            continue
        words, rest = [], name
        for stem, word in AUDIENCE_WORDS:  # 'lapsiperheet' is consumed before 'perhe' is looked for
            if stem in rest:
                words.append(word)
                rest = rest.replace(stem, " ")
        if code == "KR1" and not words:
            words = ["kaikki"]
        for word in words or ([name] if name else []):
            if word not in audience:
                audience.append(word)
    return audience or ["kaikki"]


def _time(value) -> str:
    match = re.match(r"^(\d{1,2}):(\d{2})", str(value or ""))
    return f"{int(match.group(1))}.{match.group(2)}" if match else ""


def _opening_hours(channel: dict, today: dt.date) -> list[str]:
    """Standard opening hours as PTV gives them, e.g. 'ma–to 7.30–14.45, pe 7.30–14.15'."""
    lines = []
    for hours in channel.get("serviceHours") or []:
        if not isinstance(hours, dict) or hours.get("serviceHourType") != "Standard" or hours.get("isClosed"):
            continue
        if hours.get("validForNow") is False:
            continue
        valid_to = _parse_modified(hours.get("validTo"))
        if valid_to is not None and valid_to.date() < today:
            continue
        days: list[tuple[str, str]] = []
        for opening in hours.get("openingHour") or []:
            if not isinstance(opening, dict) or opening.get("dayFrom") not in DAY_NAMES:
                continue
            span = f"{_time(opening.get('from'))}–{_time(opening.get('to'))}"
            day = DAY_NAMES[opening["dayFrom"]]
            if opening.get("dayTo") in DAY_NAMES:
                day = f"{day}–{DAY_NAMES[opening['dayTo']]}"
            days.append((day, span))
        grouped: list[list[str]] = []  # consecutive days with the same hours: [first, last, span]
        for day, span in days:
            if grouped and grouped[-1][2] == span and "–" not in day and "–" not in grouped[-1][1]:
                grouped[-1][1] = day
            else:
                grouped.append([day, day, span])
        text = ", ".join(f"{a}–{b} {s}" if a != b else f"{a} {s}" for a, b, s in grouped)
        extra = _first(hours.get("additionalInformation"), "fi")
        if text or extra:
            lines.append(f"{text} ({extra})" if text and extra else text or extra)
    return lines


def _phones(channel: dict) -> list[str]:
    numbers = [p for key in ("phoneNumbers", "supportPhones") for p in channel.get(key) or [] if isinstance(p, dict)]
    preferred = [p for p in numbers if p.get("language") == "fi"] or numbers
    out: list[str] = []
    for phone in preferred:
        number = str(phone.get("number") or "").strip()
        if not number:
            continue
        prefix = str(phone.get("prefixNumber") or "").strip()
        text = number if phone.get("isFinnishServiceNumber") or not prefix else f"{prefix} {number}"
        notes = [str(phone[key]).strip() for key in ("additionalInformation", "chargeDescription") if phone.get(key)]
        if not notes and phone.get("serviceChargeType") == "Free":
            notes = ["maksuton"]
        text = f"{text} ({'; '.join(notes)})" if notes else text
        if text not in out:
            out.append(text)
    return out


def _emails(channel: dict) -> tuple[list[str], int]:
    """Functional e-mail addresses; personal-looking ones (etunimi.sukunimi@) are left out and counted."""
    items = [e for key in ("emails", "supportEmails") for e in channel.get(key) or [] if isinstance(e, dict)]
    preferred = [e for e in items if e.get("language") == "fi"] or items
    kept, left_out = [], 0
    for email in preferred:
        value = str(email.get("value") or "").strip()
        if not value:
            continue
        if PERSONAL_EMAIL.match(value):
            left_out += 1
        elif value not in kept:
            kept.append(value)
    return kept, left_out


def _web_pages(channel: dict) -> list[str]:
    pages = [p for p in channel.get("webPages") or [] if isinstance(p, dict) and p.get("url")]
    pages += [{"url": p.get("value"), "language": p.get("language")} for p in channel.get("webPage") or []
              if isinstance(p, dict) and p.get("value")]  # older e-channel shape
    preferred = [p for p in pages if p.get("language") == "fi"] or pages
    return list(dict.fromkeys(str(p["url"]).strip() for p in preferred))


def _addresses(channel: dict) -> list[str]:
    out = []
    for address in channel.get("addresses") or []:
        if not isinstance(address, dict) or not isinstance(address.get("streetAddress"), dict):
            continue
        street = address["streetAddress"]
        line = " ".join(x for x in (_first(street.get("street"), "fi"), str(street.get("streetNumber") or "")) if x)
        place = " ".join(x for x in (str(street.get("postalCode") or ""),
                                     _first(street.get("postOffice"), "fi")
                                     or _first((street.get("municipality") or {}).get("name"), "fi")) if x)
        text = ", ".join(x for x in (line, place) if x)
        if text:
            label = "Postiosoite" if address.get("type") == "Postal" else "Osoite"
            out.append(f"{label}: {text}")
    return out


def _channel_lines(channel: dict, today: dt.date) -> tuple[list[str], int]:
    kind = channel["serviceChannelType"]
    names = channel.get("serviceChannelNames")
    name = next((_first(names, lang) for lang in LANGUAGES if _first(names, lang)), "")
    lines = [f"- **{CHANNEL_LABELS.get(kind, kind)}: {_one_line(name, 120)}**"]
    summary = _first(channel.get("serviceChannelDescriptions"), "fi", "Summary")
    details = [_one_line(summary, 300)] if summary else []
    details += [f"Puhelin: {p}" for p in _phones(channel)]
    details += [f"Verkossa: {u}" for u in _web_pages(channel)]
    emails, left_out = _emails(channel)
    details += [f"Sähköposti: {e}" for e in emails]
    details += _addresses(channel)
    details += [f"Aukioloajat: {h}" for h in _opening_hours(channel, today)]
    lines += [f"  - {d}" for d in details]
    return lines, left_out


def _service_url(channels: list[dict]) -> str:
    for channel in channels:
        if channel["serviceChannelType"] == "WebPage":
            for url in _web_pages(channel):
                if url.startswith("https://"):
                    return url
    return DEFAULT_URL


@dataclass
class Rendered:
    doc_id: str
    text: str
    warnings: list[str] = field(default_factory=list)


def imported_hash(meta: dict, body: str) -> str:
    """Hash of a document's content, ignoring the hash field itself and trailing spaces."""
    meta = {k: v for k, v in meta.items() if k != "ptv_imported_hash"}
    body = "\n".join(line.rstrip() for line in body.strip().splitlines())
    payload = json.dumps([meta, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _with_fields(text: str, fields: dict[str, str]) -> str:
    """Set simple one-line front-matter fields in place, keeping every other line as it is."""
    lines = text.replace("\r\n", "\n").split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    for key, value in fields.items():
        for i in range(1, end):
            if re.match(rf"^{re.escape(key)}\s*:", lines[i]):
                lines[i] = f"{key}: {value}"
                break
        else:
            lines.insert(end, f"{key}: {value}")
            end += 1
    return "\n".join(lines)


def _stamp(text: str, path: Path) -> str:
    """Add (or refresh) ``ptv_imported_hash`` so a later import can tell whether an editor changed the file."""
    parsed = parse_text(path, text.encode("utf-8"))
    if isinstance(parsed, ParseProblem):
        raise ValueError(f"rendered document does not parse: {parsed.message}")
    return _with_fields(text, {"ptv_imported_hash": imported_hash(parsed.meta, parsed.body)})


def render_service(service: dict, channels: dict[str, dict], organization: str, doc_id: str,
                   today: dt.date | None = None) -> Rendered:
    """One PTV service as a knowledge document (Markdown with YAML front matter), Finnish body."""
    today = today or dt.date.today()
    names = service["serviceNames"]
    linked = [channels[i] for i in channel_ids(service) if i in channels]
    linked.sort(key=lambda c: (CHANNEL_ORDER.index(c["serviceChannelType"]) if c["serviceChannelType"] in CHANNEL_ORDER
                               else len(CHANNEL_ORDER), _first(c.get("serviceChannelNames"), "fi")))
    title = _one_line(_first(names, "fi", "Name"), 150)
    summary = _description(service, "fi", "Summary") or _description(service, "fi", "Description")
    meta: dict = {"id": doc_id, "title": title}
    for lang in ("sv", "en"):
        if _first(names, lang, "Name"):
            meta[f"title_{lang}"] = _one_line(_first(names, lang, "Name"), 150)
    meta.update({"type": "service", "status": "active", "summary": _one_line(summary, 500)})
    for lang in ("sv", "en"):
        text = _description(service, lang, "Summary")
        if text:
            meta[f"summary_{lang}"] = _one_line(text, 500)
    instruction = _description(service, "fi", "UserInstruction")
    if instruction:
        how = _one_line(instruction, 300)
    elif linked:
        kinds = dict.fromkeys(CHANNEL_LABELS.get(c["serviceChannelType"], "").lower() for c in linked)
        how = "Katso asiointikanavat alta: " + ", ".join(k for k in kinds if k) + "."
    else:
        how = f"Katso lisätiedot hyvinvointialueen verkkosivuilta {DEFAULT_URL}"
    keywords = {lang: list(dict.fromkeys(
        [v.lower() for v in _localized(service.get("keywords"), lang)]
        + [v.lower() for v in _localized(names, lang, "AlternativeName")])) for lang in LANGUAGES}
    modified = _parse_modified(service["modified"])
    meta.update({
        "audience": _audience(service),
        "municipalities": _municipalities(service),
        "url": _service_url(linked),
        "catalogue": [],
        "updated": modified.date(),
        "keywords": keywords["fi"][:20] or [title.lower()],
    })
    for lang in ("sv", "en"):
        if keywords[lang]:
            meta[f"keywords_{lang}"] = keywords[lang][:20]
    meta.update({"how_to_access": how, "source": "ptv", "ptv_id": service["id"], "ptv_organization": organization})

    sections: list[tuple[str, str]] = []
    description = _description(service, "fi", "Description")
    sections.append(("Mitä palvelu on", _clean_text(description or summary)))
    groups = _resident_groups(service)
    if groups:
        sections.append(("Kenelle", "\n".join(f"- {g}" for g in groups)))
    requirements = "\n\n".join(_localized(service.get("requirements"), "fi"))
    if requirements:
        sections.append(("Edellytykset", _clean_text(requirements)))
    for kind, heading in DESCRIPTION_SECTIONS:
        text = _description(service, "fi", kind)
        if text:
            sections.append((heading, _clean_text(text)))
    charges = {"Free": "Palvelu on maksuton.", "Charged": "Palvelu on maksullinen."}
    charge = charges.get(service.get("serviceChargeType"), "")
    charge_info = _description(service, "fi", "ChargeTypeAdditionalInfo")
    if charge or charge_info:
        sections.append(("Maksut", "\n\n".join(x for x in (charge, _clean_text(charge_info)) if x)))
    warnings: list[str] = []
    channel_lines: list[str] = []
    for channel in linked:
        lines, left_out = _channel_lines(channel, today)
        channel_lines += lines
        if left_out:
            warnings.append(f"service {service['id']}: left out {left_out} personal-looking e-mail address(es) "
                            f"of channel {channel['id']}")
    source = f"_Tiedot: Suomi.fi-palvelutietovaranto (PTV), päivitetty {modified.date().isoformat()}._"
    sections.append(("Asiointikanavat", "\n".join(channel_lines + ["", source]).strip()))
    body = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections if text)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None).strip()
    text = f"---\n{front}\n---\n{body}\n"
    return Rendered(doc_id, _stamp(text, Path(f"{doc_id}.md")), warnings)


# ------------------------------------------------------------------------------------- plan & write


@dataclass
class ImportReport:
    mode: str
    since: str | None = None
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # edited locally and changed in PTV: new version beside it
    kept_local: list[str] = field(default_factory=list)  # edited locally, PTV unchanged
    retired: list[str] = field(default_factory=list)
    not_for_residents: list[str] = field(default_factory=list)  # PTV ids
    other_organization: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    writes: dict[Path, str] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        lines = [f"PTV import ({self.mode}{', since ' + self.since if self.since else ''}): "
                 f"{len(self.created)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                 f"{len(self.retired)} retired, {len(self.review)} for review, "
                 f"{len(self.kept_local)} kept local edits, "
                 f"{len(self.not_for_residents)} not for residents, {len(self.warnings)} warning(s)"]
        lines += [f"  new:      {i}" for i in self.created]
        lines += [f"  updated:  {i}" for i in self.updated]
        lines += [f"  retired:  {i}" for i in self.retired]
        lines += [f"  review:   {i} (edited locally; new PTV version in {REVIEW_FOLDER}/{i.split(' ')[0]}.md)"
                  for i in self.review]
        return lines


@dataclass
class Inventory:
    """What the knowledge folder already holds: every id in use, and the imported documents by PTV id."""

    ids: set[str]
    by_ptv_id: dict[str, Document]

    @classmethod
    def load(cls, root: Path, report: ImportReport) -> "Inventory":
        docs, _problems = load_documents(root)
        ids = {p.stem for p in document_paths(root)} | {d.id for d in docs}
        by_ptv_id: dict[str, Document] = {}
        for doc in docs:
            ptv_id = str(doc.meta.get("ptv_id") or "").lower()
            if doc.meta.get("source") == "ptv" and ptv_id:
                if ptv_id in by_ptv_id:
                    report.warnings.append(f"ptv_id {ptv_id} is in two documents ({by_ptv_id[ptv_id].path.name}, "
                                           f"{doc.path.name}); the second is left alone")
                    continue
                by_ptv_id[ptv_id] = doc
        return cls(ids, by_ptv_id)

    def new_id(self, service: dict) -> str:
        slug = slugify(_first(service["serviceNames"], "fi", "Name"))
        doc_id = f"ptv-{slug}" if slug else f"ptv-{service['id'][:8]}"
        if doc_id in self.ids:
            doc_id = f"{doc_id}-{service['id'][:8]}"
        self.ids.add(doc_id)
        return doc_id


def _is_locally_edited(doc: Document) -> bool:
    return doc.meta.get("ptv_imported_hash") != imported_hash(doc.meta, doc.body)


class Planner:
    """Turns fetched PTV data into file writes; nothing touches the disk here."""

    def __init__(self, root: Path, organization: str, report: ImportReport, today: dt.date | None = None):
        self.root, self.organization, self.report = root, organization.lower(), report
        self.inventory = Inventory.load(root, report)
        self.today = today

    def _write(self, path: Path, text: str) -> None:
        self.report.writes[path] = text

    def _valid(self, path: Path, text: str, ptv_id: str) -> bool:
        parsed = parse_text(path, text.encode("utf-8"))
        problems = [parsed] if isinstance(parsed, ParseProblem) else validate_documents(self.root, [parsed], [])
        for problem in problems:
            self.report.warnings.append(f"service {ptv_id}: imported document would not validate, skipped: "
                                        f"{problem.message}")
        return not problems

    def service(self, service: dict, channels: dict[str, dict]) -> None:
        ptv_id = service["id"].lower()
        existing = self.inventory.by_ptv_id.get(ptv_id)
        status = service.get("publishingStatus", "Published")
        if status not in (None, "Published"):
            return self.retire(ptv_id, f"{status.lower()} in PTV")
        if not belongs_to(service, self.organization):
            if existing is not None and str(existing.meta.get("ptv_organization", "")).lower() == self.organization:
                return self.retire(ptv_id, "no longer a service of the organisation in PTV")
            self.report.other_organization.append(ptv_id)
            return None
        if not is_for_residents(service):
            self.report.not_for_residents.append(ptv_id)
            if existing is not None:
                self.retire(ptv_id, "no longer for residents (target groups) in PTV")
            return None
        doc_id = existing.id if existing is not None else self.inventory.new_id(service)
        rendered = render_service(service, channels, self.organization, doc_id, self.today)
        self.report.warnings.extend(rendered.warnings)
        if existing is None:
            path = self.root / TARGET_FOLDER / f"{doc_id}.md"
            if self._valid(path, rendered.text, ptv_id):
                self._write(path, rendered.text)
                self.report.created.append(doc_id)
            return None
        if not self._valid(existing.path, rendered.text, ptv_id):
            return None
        new = parse_text(existing.path, rendered.text.encode("utf-8"))
        same_import = new.meta.get("ptv_imported_hash") == existing.meta.get("ptv_imported_hash")
        if not _is_locally_edited(existing):
            if same_import:
                self.report.unchanged.append(doc_id)
            else:
                self._write(existing.path, rendered.text)
                self.report.updated.append(doc_id)
        elif same_import:
            self.report.kept_local.append(doc_id)
        else:
            self._write(self.root / REVIEW_FOLDER / f"{doc_id}.md", rendered.text)
            self.report.review.append(doc_id)
        return None

    def retire(self, ptv_id: str, reason: str) -> None:
        """Hide a document from the bot (``status: retired``); the file and any local edits stay."""
        ptv_id = ptv_id.lower()
        doc = self.inventory.by_ptv_id.get(ptv_id)
        if doc is None or not doc.active or doc.path in self.report.writes:
            return
        edited = _is_locally_edited(doc)
        text = _with_fields(doc.path.read_text(encoding="utf-8"), {"status": "retired"})
        if not edited:
            text = _stamp(text, doc.path)
        parsed = parse_text(doc.path, text.encode("utf-8"))
        if isinstance(parsed, ParseProblem) or parsed.meta.get("status") != "retired":
            self.report.warnings.append(f"{doc.path.name}: could not set 'status: retired' ({reason}); "
                                        "retire it by hand")
            return
        self._write(doc.path, text)
        self.report.retired.append(f"{doc.id} ({reason}{'; local edits kept' if edited else ''})")

    def retire_missing(self, seen: set[str]) -> None:
        """Full import: imported documents of this organisation that PTV no longer lists are retired."""
        for ptv_id, doc in sorted(self.inventory.by_ptv_id.items()):
            if ptv_id not in seen and str(doc.meta.get("ptv_organization", "")).lower() == self.organization:
                self.retire(ptv_id, "no longer published by the organisation in PTV")


def _valid_channels(items: list, report: ImportReport) -> dict[str, dict]:
    channels = {}
    for item in items:
        problem = channel_problem(item)
        if problem:
            item_id = item.get("id") if isinstance(item, dict) else None
            report.warnings.append(f"skipped malformed channel {item_id or '(no id)'}: {problem}")
        else:
            channels[item["id"]] = item
    return channels


def _valid_services(items: list, report: ImportReport) -> tuple[list[dict], set[str]]:
    """The well-formed services, and the ids of every item that had one (malformed ones are not retired)."""
    services, seen = [], set()
    for item in items:
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str):
            seen.add(item_id.lower())
        problem = service_problem(item)
        if problem:
            report.warnings.append(f"skipped malformed service {item_id or '(no id)'}: {problem}")
        else:
            services.append(item)
    return services, seen


def _ptv_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _fetch_changed(client: PtvClient, since: dt.datetime, channel_map: dict[str, list[str]]) -> tuple[list, set[str]]:
    """Incremental read through the API's ``date`` filter: changed services (also those using a changed
    channel, found through the channel map of the last import) and the ids archived or withdrawn since."""
    date = {"date": _ptv_date(since)}
    changed = set(client.guid_pages("Service", date))
    gone = {i.lower() for status in ("Archived", "Withdrawn")
            for i in client.guid_pages("Service", {**date, "status": status})}
    for channel in client.guid_pages("ServiceChannel", date):
        changed.update(channel_map.get(channel, []))
    fetch = {i for i in changed if i.lower() not in gone}
    return (client.by_ids("Service/serviceWithGD/list", fetch) if fetch else []), gone


def _update_channel_map(channel_map: dict[str, list[str]], services: list[dict], gone: set[str],
                        organization: str) -> dict[str, list[str]]:
    """Which imported services use which channel: the next incremental run re-reads a service whose channel changed."""
    dropped = {s["id"].lower() for s in services} | gone
    kept = {channel: [i for i in ids if i.lower() not in dropped] for channel, ids in channel_map.items()}
    for service in services:
        if belongs_to(service, organization) and is_for_residents(service):
            for channel in channel_ids(service):
                kept.setdefault(channel, []).append(service["id"])
    return {channel: sorted(set(ids)) for channel, ids in sorted(kept.items()) if ids}


def run_import(root: Path, organization: str, client: PtvClient, *, since: dt.datetime | None = None,
               state: dict | None = None, today: dt.date | None = None) -> tuple[ImportReport, dict]:
    """Fetch and plan (no writes). Returns the report (its ``writes``) and the new state of the organisation.

    ``since`` None is a full import of the organisation's published services; otherwise only what
    changed after ``since`` is read, and archived/withdrawn services are retired.
    """
    state = state or {}
    report = ImportReport(mode="full" if since is None else "incremental",
                          since=None if since is None else _ptv_date(since))
    planner = Planner(root, organization, report, today)
    channel_map = {} if since is None else dict(state.get("channels", {}))
    gone: set[str] = set()
    if since is None:
        query = {"organizationId": organization, "serviceWithGD": "true"}
        items = [item for page in client.pages("Service/list/organization", query) for item in page]
    else:
        items, gone = _fetch_changed(client, since, channel_map)
    services, seen = _valid_services(items, report)
    ours = [s for s in services if belongs_to(s, organization)]
    wanted = {c for s in ours for c in channel_ids(s)}
    channels = _valid_channels(client.by_ids("ServiceChannel/list", wanted), report) if wanted else {}
    for service in services:
        try:
            planner.service(service, channels)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:  # never crash on one item
            report.warnings.append(f"skipped service {service.get('id')}: {type(error).__name__}: {error}")
    for ptv_id in sorted(gone):
        planner.retire(ptv_id, "archived or withdrawn in PTV")
    if since is None:
        planner.retire_missing(seen)
    return report, {"channels": _update_channel_map(channel_map, services, gone, organization)}


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def load_state(root: Path) -> dict:
    path = root / STATE_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def save_state(root: Path, state: dict, organization: str, org_state: dict, started: dt.datetime, mode: str) -> None:
    orgs = state.setdefault("organizations", {})
    entry = {**orgs.get(organization, {}), **org_state, "last_import": _ptv_date(started) + "Z"}
    if mode == "full":
        entry["last_full_import"] = entry["last_import"]
    orgs[organization] = entry
    _atomic_write(root / STATE_FILE, json.dumps(state, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def parse_since(value: str) -> dt.datetime:
    """'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS' (UTC unless an offset is given)."""
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{value}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def command(root: Path, organization: str, api_url: str, *, since: dt.datetime | None = None, full: bool = False,
            fixtures: Path | None = None, dry_run: bool = False, transport: httpx.BaseTransport | None = None,
            out=None, err=None) -> int:
    """The ``import-ptv`` command: 0 done, 1 bad local input, 2 PTV not readable (nothing written)."""
    out, err = out or sys.stdout, err or sys.stderr
    if not (root / TARGET_FOLDER).is_dir():
        print(f"error: {root} is not a knowledge folder (no {TARGET_FOLDER}/ in it)", file=err)
        return 1
    try:
        state = load_state(root)
        org_state = state.setdefault("organizations", {}).get(organization, {})
        if since is None and not full and org_state.get("last_import"):
            since = parse_since(org_state["last_import"]) - SINCE_OVERLAP
    except (ValueError, OSError, AttributeError, TypeError) as error:
        print(f"error: cannot use {root / STATE_FILE}: {error}; fix or delete it (then a full import runs)", file=err)
        return 1
    if fixtures is not None:
        if not Path(fixtures).is_dir():
            print(f"error: fixtures folder {fixtures} does not exist", file=err)
            return 1
        transport = fixture_transport(Path(fixtures))
    started = dt.datetime.now(dt.timezone.utc)
    client = PtvClient(api_url, transport)
    try:
        report, new_org_state = run_import(root, organization, client, since=since, state=org_state)
    except PtvError as error:
        print(f"error: {error}\nNothing was written; the knowledge base is unchanged.", file=err)
        return 2
    finally:
        client.close()
    for warning in report.warnings:
        print(f"warning: {warning}", file=err)
    for line in report.summary_lines():
        print(line, file=out)
    if dry_run:
        print(f"dry run: {len(report.writes)} file(s) would be written; nothing was written.", file=out)
        return 0
    for path, text in report.writes.items():
        _atomic_write(path, text)
    save_state(root, state, organization, new_org_state, started, report.mode)
    _docs, problems = validate_knowledge_base(root)
    if problems:
        print(f"note: the knowledge base has {len(problems)} problem(s); run `python -m bot.kb validate`.", file=err)
    print(f"wrote {len(report.writes)} file(s) and {STATE_FILE}; next: `python -m bot.kb index`.", file=out)
    return 0
