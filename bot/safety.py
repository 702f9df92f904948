"""The deterministic safety layer: runs before NLU and retrieval on every resident message.

It recognises descriptions of emergencies happening now (→ 112 at once), suicidal crisis
(→ fixed empathetic answer with 112 and crisis lines, no retrieval) and urgent social
emergencies (→ sosiaalipäivystys and 112). Patterns work on lowercased text with ä/ö folded,
so "ei heraa" and "ei herää" are the same. Questions *about* a service ("mikä on
myrkytystietokeskuksen numero", "rintasyöpäseulonta") must not trigger it: a symptom pattern
fires only when no informational context (screening, rehabilitation, past events…) is present,
while the strongest signals (not breathing, unconscious, wants to die) always fire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import clean, fold


@dataclass(frozen=True)
class SafetyCategory:
    name: str
    decision: str          # "emergency" or "crisis"
    text_id: str           # approved text in knowledge/approved/
    always: tuple[str, ...]   # fire regardless of context
    symptom: tuple[str, ...]  # fire unless the message is informational


def _rx(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Informational context: the resident asks about a service, a past event or prevention.
INFORMATIONAL = _rx((
    r"seulon", r"kuntoutu", r"jalkeen", r"viime (vuon|kuu|viiko|kesa|talv)", r"vuosi sitten", r"vuotta sitten",
    r"aikoinaan", r"ennen\b", r"aiemmin", r"ehkaisy", r"ennaltaehk", r"koulutu", r"kurss", r"ensiap", r"ensiavu", r"hanke",
    r"vertais", r"tukiryhm", r"ryhma", r"numero\b", r"numeron", r"puhelinnumero", r"tietoa\b", r"esite",
    r"riskitekij", r"tarkastu", r"seuranta", r"jono", r"lahete", r"ajanvara", r"varata", r"varaan",
    r"palveluketju", r"hoitopolku", r"rokote", r"rokotu", r"tutkimuks", r"mista saa", r"miten haen",
    r"rehabilit", r"screening", r"last year", r"years ago", r"prevention", r"support group", r"course",
    r"rehab", r"forebygg", r"stodgrupp", r"forra aret", r"screening", r"mammograf", r"verenluovut",
    r"laite\b", r"laitteen", r"lomake", r"kela\b", r"puhelin\b", r"tieto ?keskus", r"palautu", r"terapi",
    r"tilasto", r"puheeksiot", r"\bvalilla\b", r"\bjoskus\b", r"\baina kun\b",  # habitual, not happening now
    r"training", r"statisti", r"teinina", r"nuorena", r"lapsena", r"ikene", r"\bien\b",
))

NOT = r"(?:ei|eika|eik|en|eikä)"
# Adverbs that may stand between the negation and the verb: "ei nyt herää", "ei enää oikein hengitä".
FILLER = r"(?:(?:nyt|enaa|oikein|ollenkaan|yhtaan|millaan|kunnolla|vielakaan|vieläkään|kunnol) )"
CATEGORIES: tuple[SafetyCategory, ...] = (
    SafetyCategory(
        "suicide", "crisis", "safety-crisis",
        always=(
            r"\b(tapan|tappaa|tapa|tappais|tappaisin|ampuu|ampua|hirttaa|hirttaisin) (it|itt)\w*",
            r"\bitsemurh\w* (aikeet|ajatuks|aion|meinaan|mietin)", r"\b(aion|meinaan|haluan|mietin|ajattelen) (tehda )?itsemurh",
            r"\bteen itsemurh", r"\b(haluan|haluun|halusin|tahdon) (vaan |vain |nyt )?kuolla", r"\bhelpompi (vaan |vain |jos )?(kuolla|kuolisin|olla kuollut)", r"\b(ois|olis|olisi) parempi (vaan |vain )?kuolla", r"\ben (halua|haluu|jaksa) (enaa )?(elaa|herata)",
            r"\ben (halua|haluu|haluis) herata", r"\bei (halua|haluu|haluis) (enaa |koskaan )herata", r"\bnukahtaa enka herata", r"\bei (oo|ole) (enaa )?(mitaan )?(syyta|merkitysta) elaa",
            r"\belam\w* ei (oo|ole) (enaa )?(mitaan )?(merkitysta|elamisen arvo)", r"\bpaattaa (tama|elamani|mun elama)",
            r"\blopettaa (elamani|kaiken|tama elama)", r"\b(satuttaa|vahingoittaa) (it|itt)\w*", 
            r"\b(koysi|pillerit|laakkeet) (on )?valmiina", r"\b(saastanyt|keranny?t|kerannut) (uni)?laakkeit",
            r"\b(rekan|junan|auton) alle", r"\bhyp(ata|paamista|paan) (sillalta|parvekkeelta|katolta|junan)",
            r"\bparempi ilman (mua|minua)", r"\b(viimeinen|viimenen) viesti", r"\bjaahyvaiskirj", r"\bpaattany lahtee",
            r"\bkill (my|him|her)sel", r"\bwant to die\b", r"\bend (my|his|her|their) life", r"\bend it all\b",
            r"\bhurt(ing)? myself\b", r"\b(haluan|aion) tehda sen (nyt )?uudestaan", r"\bettei (enaa )?halua herata",
            r"\b(haulikon|aseen|kivaarin) kanssa\b.*\b(ei|ettei) (tule|tuu) takaisin", r"\b(taken|take) all (my|the) pills", r"\bdon'?t want to (live|wake up)",
            r"\bta livet av (mig|sig)", r"\bvill (inte leva|do)\b", r"\bsjalvmord",
        ),
        symptom=(r"\bitsemurh", r"\bitsetuho", r"\bsuicid", r"\bviiltel", r"\bkuolla pois\b", r"\bei jaksa enaa mitaan\b", r"\bsillalla\b.*\bhyp",
                 r"\bei (tule|tuu) takaisin\b", r"\bottaa ne kaikki\b"),
    ),
    SafetyCategory(
        "poisoning", "emergency", "safety-poisoning",
        always=(r"\b(hakamyrky|myrkytyksen oire)", r"\bswallowed\b", r"\bdrank (bleach|detergent|poison)",
                r"\bhar (druckit|svalt)", r"\b(joi|join|juonut|juonu) \w*pesunest", r"\b(nielaisi|nieli) (nappi)?pariston"),
        symptom=(
            r"\b(joi|juonut|juonu|juo|nieli|nielaisi|niellyt|soi|syonyt|soin|join|nuoli|veti|otti|otin|sai suuhunsa|on juonu)\b"
            r".*(pesuai|pesunest|pesunes|myrky|laakkei|laakett|pillere|tabletti|paristo|lamppuoljy|hajuvet|kloori|sieni|"
            r"puhdistusai|tuplasti|liikaa laakk)",
            r"\bmyrkytys\b", r"\bmyrkyttyi", r"\byliannost", r"\byliannos\b", r"\boverdos", r"\bforgift",
            r"\bpoison(ed|ing)\b",
        ),
    ),
    SafetyCategory(
        "violence_now", "emergency", "safety-violence",
        always=(r"\b(uhkaa|uhkas|uhkasi|uhkaili) (tappaa|tapaa)", r"\b(kuristi|kuristaa|hakkaa|hakataan|potkii|potkivat) ",
                r"\b(murtautu|tunkeutu)\w* (sisaan|asuntoon|kotiin)", r"\blukittautu", r"\briehuu\b.*\b(kirve|puuko|veits|ase)",
                r"\b(is|he's|she's|someone is) (hitting|beating|choking|trying to break)", r"\bthreatening (to kill|me)",
                r"\bslor mig\b", r"\bjoku (hakataan|pahoinpidell)", r"\bhotar att doda"),
        symptom=(r"\b(lyo|loi|lyonyt|potki|uhkaa|uhkailee|uhkaili|uhkas) (mua|minua|meita|minut|mut|lasta|lapsia|aitia)",
                 r"\bvakivaltaa (nyt|juuri nyt|tapahtuu)", r"\bseuraa (mua|minua)\b", r"\bkimppuun\b", r"\briehuu\b"),
    ),
    SafetyCategory(
        "unconscious", "emergency", "safety-emergency",
        always=(rf"\b{NOT} {FILLER}{{0,3}}(hera|heraa|saa (hanta |sita |sita )?hereille)", r"\btajut(o|to)", r"\bmenetti tajun",
                rf"\b{NOT} (reagoi|vastaa mitaan|vastaa puhutteluun)", rf"\b{NOT} enaa hera", r"\bei (saa )?(mitaan )?kontaktia", r"\blyyhisty", r"\bmakaa\b.*\bliikkumatta",
                r"\bunconscious\b", r"\bwon'?t wake up\b", r"\bnot waking\b", r"\bmedvetslos", r"\bvaknar inte\b",
                r"\bkouristel", r"\bkouristaa\b", r"\bveltto\b"),
        symptom=(r"\bpyortyi", r"\bpassed out\b", r"\bsvimmade\b", r"\bsammu\w*\b.*\b(ei|eika)\b"),
    ),
    SafetyCategory(
        "breathing", "emergency", "safety-emergency",
        always=(rf"\b{NOT} (saa|sais|saa yhtaan) (henke|ilmaa)", rf"\b{NOT} {FILLER}{{0,3}}hengita", r"\bhuul\w* (on |ovat |o )?(ihan |aivan )?sini", rf"\bilma {NOT}? ?kulje", r"\bhenki ei kulje",
                r"\bhaukkoo henke", r"\bhuulet sinert", r"\bsinertaa\b", r"\bkorisee\b",
                r"\b(vaaraan|vaara) kurkkuun", r"\b(kieli|kurkku|huulet) turpo", r"\bcan'?t breathe\b", r"\bcannot breathe\b",
                r"\bnot breathing\b", r"\bstruggling to breathe\b", r"\bkan inte andas\b", r"\bandas inte\b"),
        symptom=(r"\bhengenahdistu", r"\bhengitysvaike", r"\bvaike\w* hengit", r"\bhengit\w* (tosi |todella |hyvin )?(vaike|harvaan)",
                 r"\bhengitys vinkuu", r"\bastma ?kohtaus", r"\bpiippu (ei )?auta", r"\bshort of breath\b", r"\bandnod\b",
                 r"\bsvort att andas\b", r"\banafyl", r"\bchoking\b", r"\btukehtu"),
    ),
    SafetyCategory(
        "bleeding", "emergency", "safety-emergency",
        always=(r"\b(verta|veri) (tulee|lentaa|pulppuaa|suihkuaa)\b", r"\b(pulppuaa|suihkuaa|lentaa) verta",
                r"\bvuotaa (hirveesti |hirveasti |tosi |todella |paljon |kovasti |runsaasti )+verta",
                rf"(verenvuoto|\bverta|\bveri)\w*\b.*\b{NOT} (oo |ole )?(lopu|loppu|lakkaa|tyrehdy|auta)",
                r"\ben saa (sita |verta )?loppumaan", r"\btaynna verta", r"\boksentaa verta", r"\bvertaoksen",
                r"\brunsas verenvuoto", r"\bbleeding (heavily|a lot|badly|won'?t stop)", r"\bblod(er|ning) (mycket|kraftigt)",
                r"\bslutar inte bloda"),
        symptom=(r"\bkova verenvuoto", r"\bvuotaa verta\b", r"\bbleeding\b", r"\bverta (tosi |todella )?paljon"),
    ),
    SafetyCategory(
        "stroke", "emergency", "safety-emergency",
        always=(r"\b(suu|suupieli|kasvot|naama|poski) (on |ovat )?(ihan )?(vinossa|roikkuu|valahti|valahtanut|laskee)",
                r"\b(kasvo|suupiel|naama)\w* (roikkuu|valahti)", r"\bpuhe (sammaltaa|puuroutu|on sekava)", r"\bsammalta",
                r"\b(kasi|jalka|kasivarsi|toinen puoli|vasen kasi|oikea kasi) (on )?(ihan )?(voimaton|halvaan|pettaa|ei toimi|ei liiku)",
                r"\bei pysty nosta\w* kat", r"\bface (is )?droop", r"\bslurred speech\b", r"\bsluddrar\b",
                r"\b(ansiktet|mungipan) hanger", r"\bkan (\w+ )?inte (prata|tala)\b", r"\b(armen|benet|ena sidan) (ar )?(slapp|svag|domnad|forlamad)", r"\bhaving a stroke\b", r"\bfar en stroke\b"),
        symptom=(r"\baivoinfarkt", r"\baivohalvau", r"\baivoverenkiertohairio", r"\bstroke\b", r"\bslaganfall\b",
                 r"\bpuhuu (ihan )?sekavia", r"\b(ei|en) (pysty|saa|osaa) (puhu|sanot|sanoj)", r"\ben saa sanoja",
                 rf"\b{NOT} puhu kunnolla", r"\bnako (meni|lahti)", r"\bkasi puutuu\b"),
    ),
    SafetyCategory(
        "chest_pain", "emergency", "safety-emergency",
        always=(r"\b(kova|tosi kova|hirvea|hirvee|kauhea|puristava|murskaava) (kipu|kipua) (rinnassa|rintakeh)",
                r"\bkipu sateilee\b.*\b(kateen|leukaan|selkaan)", r"\bsydankohtaus (nyt|tuli|iski)",
                r"\b(luulen|taitaa olla|pelkaan) (etta |et )?(tama |taa )?on sydankohtaus",
                r"\bcrushing chest pain\b", r"\bhaving a heart attack\b", r"\bkraftig brostsmarta\b"),
        symptom=(r"\brinta ?ki\w*", r"\bkipu(a)? rinnassa", r"\bkipu rintakeh", r"\brinta\w* (sattuu|puristaa|painaa)",
                 r"\b(rinnassa|sydamessa) (puristaa|painaa|on ihan kuin|on kuin)", r"\bpitelee rinta", r"\bpuristaa niinku vanne",
                 r"\bchest pain\b", r"\bbrostsmart", r"\bont i brostet\b", r"\bsydankohtau", r"\bsydaninfarkti\b",
                 r"\bheart attack\b"),
    ),
    SafetyCategory(
        "social_emergency", "emergency", "safety-social-emergency",
        always=(r"\blap\w* (on |ovat |jai |jaivat )?yksin\b.*\b(yo|yolla|yoksi|ilta|humala|kanni|pain|ei tule|ei vastaa|ei oo tullu)",
                r"\b(heitetty|heitti) (ulos|pihalle)\b.*\blap", r"\bkukaan (ei )?(hae|tullut hakemaan|tullu hakemaan|ole hakenut|tullu hakee)", r"\b(ei|eika) (oo |ole )?(tullu|tullut) kotiin\b.*\b(paiva|yo|yksin)",
                r"\b(vanhemmat|aiti|isa|aitipuoli|isapuoli|aiti ja isa) (on |ovat )?(ihan )?(kannissa|humalassa|pilvessa|sammunut|sammuneet)",
                r"\bchildren (are )?alone\b.*\b(night|drunk)", r"\bbarnen (ar )?ensamma\b",
                r"\byksin\b.*\b(eika vastaa|ei vastaa|baari|monta paivaa|kahteen paivaan|pakkase|yota|yoks|ei parjaa)", r"\b(ei parjaa|ei parjaa yota) yksin",
                r"\b(humalassa|kannissa)\b.*\b(vauva|lapsi|lapsia|lapsista|lasta)", r"\bnowhere to sleep\b",
                r"\b(ei|eika) (mulla |meilla )?(oo|ole) (mitaan )?(paikkaa|yopaikkaa) (minne|mihin|jossa)"),
        symptom=(r"\blastensuojeluilmoitus (nyt|heti|yolla)", r"\bkiireellinen sijoitus", r"\bkarannut kotoa\b",
                 r"\b(ei|ei oo|ei ole) (paikkaa|yopaikkaa|mihin menna)\b.*\b(tana yona|yoksi|lasten|lapsen)",
                 r"\bei (tullut|tullu|oo tullu) hakemaan\b"),
    ),
)

_COMPILED = [(c, _rx(c.always), _rx(c.symptom)) for c in CATEGORIES]


@dataclass(frozen=True)
class SafetyResult:
    category: str
    decision: str
    text_id: str


def check_safety(text: str) -> SafetyResult | None:
    """The safety category of a message, or None for an ordinary message."""
    folded = fold(clean(text))
    informational = INFORMATIONAL.search(folded) is not None
    for category, always, symptom in _COMPILED:
        if always.search(folded) or (not informational and symptom.search(folded)):
            return SafetyResult(category.name, category.decision, category.text_id)
    return None
