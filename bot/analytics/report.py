"""The weekly failure-demand report: one self-contained HTML page in Finnish, charts as inline SVG.

No scripts, no external files: it can be mailed, archived or opened offline. It compares the week
with the one before, shows when residents write, why the bot could not help, and which topics
and knowledge gaps grew, so the service-advice team knows what to fix first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import Engine

from bot.analytics.charts import bar_chart, fi_number, fi_percent, heatmap, line_chart
from bot.analytics.queries import Filters, knowledge_gaps, overview
from bot.analytics.topics import topics
from bot.analytics.vocabulary import reason_label
from bot.service_hours import HELSINKI

TREND_WEEKS = 8
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #e3e3e3;vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#555;font-size:.9rem}.up{color:#a33}.down{color:#1b7a4f}figure{margin:1rem 0}
figcaption{font-size:.9rem;color:#555}
"""


def _week_label(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"vk {monday.isocalendar().week} ({monday.day}.{monday.month}.–{sunday.day}.{sunday.month}.{sunday.year})"


def _change(now: float, before: float, share: bool, lower_is_better: bool | None) -> str:
    """The change from last week; red when it went the wrong way, green when the right way."""
    if not before and not now:
        return "–"
    difference = now - before
    if share and round(difference * 1000) == 0:  # under 0,05 percentage points: no change worth a colour
        return "±0,0 %-yks."
    sign = "+" if difference >= 0 else "−"
    if share:
        text = f"{sign}{fi_number(abs(difference) * 100, 1)} %-yks."
    elif before:
        text = f"{sign}{fi_number(abs(difference) / before * 100)} %"
    else:
        text = "uusi"
    if lower_is_better is None or not difference:
        return text
    worse = difference > 0 if lower_is_better else difference < 0
    return f'<span class="{"up" if worse else "down"}">{text}</span>'


def _key_figures(this: dict, previous: dict) -> str:
    rows = [  # label, key, is a share, lower is better (None: neither)
        ("Keskustelut", "conversations", False, None),
        ("Viestit (asukkaan vuorot)", "turns", False, None),
        ("Ratkaisematta", "unresolved_rate", True, True),
        ("Ei vastausta (fallback)", "fallback_rate", True, True),
        ("Ohjattu ihmiselle", "handoff_rate", True, True),
        ("Kielteinen palaute", "negative_feedback", False, True),
        ("Virka-ajan ulkopuolella", "off_hours_share", True, None),
        ("Hätä- ja kriisitilanteet", "emergencies", False, None),
    ]
    for totals in (this, previous):
        totals["emergencies"] = totals["emergency"] + totals["crisis"]
    body = []
    for label, key, share, lower_is_better in rows:
        show = fi_percent if share else fi_number
        body.append(f"<tr><td>{label}</td><td class='n'>{show(this[key])}</td><td class='n'>{show(previous[key])}</td>"
                    f"<td class='n'>{_change(this[key], previous[key], share, lower_is_better)}</td></tr>")
    return ("<table><thead><tr><th>Tunnusluku</th><th class='n'>Tämä viikko</th><th class='n'>Edellinen</th>"
            "<th class='n'>Muutos</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _topics_table(found: list[dict]) -> str:
    if not found:
        return "<p class='muted'>Aiheita ei ole vielä ryhmitelty (python -m bot.analytics topics).</p>"
    rows = []
    for topic in found[:12]:
        trend = topic["trend"]
        trend_text = "uusi" if trend is None and topic["last_7_days"] else "–" if trend is None else \
            f"{'+' if trend >= 0 else '−'}{fi_number(abs(trend) * 100)} %"
        example = escape(topic["examples"][0]) if topic["examples"] else ""
        rows.append(f"<tr><td>{escape(topic['label'])}</td><td class='n'>{fi_number(topic['size'])}</td>"
                    f"<td class='n'>{fi_number(topic['last_7_days'])}</td><td class='n'>{trend_text}</td>"
                    f"<td class='muted'>{example}</td></tr>")
    return ("<table><thead><tr><th>Aihe</th><th class='n'>Koko</th><th class='n'>7&nbsp;pv</th><th class='n'>Muutos</th>"
            "<th>Esimerkki</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _gaps_table(gaps: list[dict]) -> str:
    if not gaps:
        return "<p class='muted'>Ei puutteita tällä viikolla.</p>"
    rows = []
    for gap in gaps[:10]:
        where = escape(gap["doc_id"] or "(ei dokumenttia)")
        topic = escape(gap["topic"] or "")
        example = escape(gap["examples"][0]) if gap["examples"] else ""
        rows.append(f"<tr><td>{where}</td><td>{topic}</td><td class='n'>{fi_number(gap['count'])}</td>"
                    f"<td class='muted'>{example}</td></tr>")
    return ("<table><thead><tr><th>Dokumentti</th><th>Aihe</th><th class='n'>Kpl</th><th>Esimerkki</th></tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>")


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def weekly_report(engine: Engine, week_start: date) -> str:
    """The report of the Monday–Sunday week containing `week_start` (any day of it will do)."""
    monday = week_start - timedelta(days=week_start.weekday())
    sunday = monday + timedelta(days=6)
    this = overview(engine, Filters(start=monday, end=sunday))
    previous = overview(engine, Filters(start=monday - timedelta(days=7), end=monday - timedelta(days=1)))
    history = overview(engine, Filters(start=monday - timedelta(weeks=TREND_WEEKS - 1), end=sunday))
    gaps = knowledge_gaps(engine, Filters(start=monday, end=sunday))
    found = topics(engine, today=sunday)

    day_names = ["ma", "ti", "ke", "to", "pe", "la", "su"]
    day_labels = [f"{day_names[d['day'].weekday()]} {d['day'].day}.{d['day'].month}." for d in this["by_day"]]
    daily = line_chart(day_labels, {"Viestit": [d["turns"] for d in this["by_day"]],
                                    "Ratkaisematta": [d["unresolved"] for d in this["by_day"]]},
                       "Viestit ja ratkaisemattomat päivittäin")
    weeks = history["by_week"]
    weekly = line_chart([f"vk {w['week'].isocalendar().week}" for w in weeks],
                        {"Ratkaisematta %": [w["unresolved"] / w["turns"] * 100 if w["turns"] else 0 for w in weeks]},
                        f"Ratkaisemattomien osuus, {len(weeks)} viikkoa", decimals=1, unit=" %")
    reasons = bar_chart([(reason_label(r["reason"]) or "(ei syytä)", r["count"]) for r in this["by_reason"]],
                        "Ratkaisemattomat syyn mukaan", color="#d95f02")
    places = bar_chart([(m["municipality"] or "Ei kuntaa mainittu", m["turns"]) for m in this["by_municipality"]],
                       "Viestit kunnittain")
    hours = heatmap(this["heatmap"], "Viestit viikonpäivän ja kellonajan mukaan")
    now = datetime.now(HELSINKI)
    generated = f"{now.day}.{now.month}.{now.year} klo {now:%H.%M}"
    if sunday >= now.date():
        generated += f". Viikko on kesken: luvut {now.day}.{now.month}. asti, edellinen viikko kokonaan"
    title = f"Vikakysyntäraportti {_week_label(monday)}"
    return f"""<!doctype html>
<html lang="fi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head><body>
<header><h1>{escape(title)}</h1>
<p class="muted">Kainuun hyvinvointialueen palveluopas-chatbot. Laadittu {generated}.</p></header>
<main>
<h2>Tunnusluvut</h2>
{_key_figures(this["totals"], previous["totals"])}
{_figure(daily, "Asukkaan jokainen viesti on yksi vuoro, myös painikkeen painallus.")}
{_figure(weekly, "Viikoittainen kehitys.")}
<h2>Miksi botti ei auttanut</h2>
{_figure(reasons, "Henkilökunnan korjaama syy korvaa kirjatun.")}
<h2>Milloin ja mistä kysytään</h2>
{_figure(hours, "Suomen aikaa. Tummempi ruutu = enemmän viestejä.")}
{_figure(places, "Kunta, jonka asukas mainitsi viestissään.")}
<h2>Aiheet</h2>
{_topics_table(found)}
<h2>Tietopankin puutteet</h2>
{_gaps_table(gaps)}
</main>
<footer class="muted"><h2>Määritelmät</h2>
<p><strong>Ratkaisematta</strong>: botti ei vastannut (ei vastausta, rajattu pois tai ohjattu ihmiselle),
asukas antoi kielteisen palautteen tai viestissä oli henkilötietoja. Tarkentava kysymys ei ole ratkaisematon;
jos tarkennus ei auta, seuraava vuoro kirjataan ratkaisemattomaksi. Hätä- ja kriisitilanteet ohjataan 112:een
eivätkä ne ole ratkaisemattomia.</p>
<p><strong>Keskustelut</strong> lasketaan päivittäin: samana päivänä jatkunut keskustelu on yksi.
Tekstit on poistettu henkilötiedoista ennen tallennusta; keskustelutunnisteet ovat pseudonyymejä.</p>
</footer></body></html>
"""
