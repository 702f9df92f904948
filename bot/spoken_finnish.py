"""Spoken Finnish chat words Voikko does not know, mapped to the base form of the standard word.

Voikko analyses standard Finnish only. Left alone, "oon" or "pitäis" is a rare token: the NLU
learns it as a topic word, and BM25 gives it a high IDF, so a document with many colloquial
resident questions outranks the one whose content words match. Mapped to "olla" and "pitää" they
weigh as little as the standard words. Only frequent chat words; anything else stays as typed.

No imports: the Rasa virtualenv (nlu_components/finnish_base_forms.py) and the app's retrieval
lemmatizer (bot/retrieval/lemmatizer.py) both read it.
"""

SPOKEN_FORMS: dict[str, str] = {
    # pronouns
    "mä": "minä", "ma": "minä", "mää": "minä", "mie": "minä", "mun": "minä", "mulla": "minä", "mulle": "minä",
    "multa": "minä", "mua": "minä", "mul": "minä", "mult": "minä", "sä": "sinä", "sää": "sinä", "sun": "sinä",
    "sulla": "sinä", "sulle": "sinä", "sua": "sinä", "sul": "sinä", "meil": "me", "meit": "me", "teil": "te",
    "tää": "tämä", "tän": "tämä", "tästä": "tämä", "toi": "tuo", "ton": "tuo", "noi": "nuo", "nää": "nämä",
    "semmonen": "sellainen", "tommonen": "tuollainen", "tämmönen": "tällainen",
    # verbs
    "oon": "olla", "oot": "olla", "ootko": "olla", "oonko": "olla", "ois": "olla", "oisko": "olla", "oo": "olla",
    "onks": "olla", "onksa": "olla", "ollu": "olla", "oisin": "olla",
    "tarviin": "tarvita", "tarvii": "tarvita", "tarttis": "tarvita", "tartte": "tarvita", "tarvis": "tarvita",
    "haluun": "haluta", "haluisin": "haluta", "voisko": "voida", "voiks": "voida", "voinks": "voida", "vois": "voida",
    "kirjota": "kirjoittaa", "kirjotti": "kirjoittaa", "pitäis": "pitää", "pitäiskö": "pitää", "pitäs": "pitää",
    "saisko": "saada", "sais": "saada", "pääsis": "päästä", "meen": "mennä", "tuun": "tulla", "tuu": "tulla",
    # question words, numbers and small words
    "mis": "mikä", "mist": "mikä", "mihi": "mikä", "millon": "milloin", "miks": "miksi", "kelle": "kuka",
    "kenel": "kuka", "kelt": "kuka", "kaks": "kaksi", "yks": "yksi",
    "ku": "kun", "et": "että", "eiks": "ei", "joo": "joo", "juu": "joo", "kyl": "kyllä", "jep": "joo",
    "sit": "sitten", "nii": "niin", "kans": "kanssa", "vaa": "vain",
}
