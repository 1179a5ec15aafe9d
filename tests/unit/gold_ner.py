"""Hand-labelled gold sentences per supported language, and a per-type P/R/F scorer."""

from __future__ import annotations

from collections import Counter

from tests.unit.shipped_config import ENRICHER

Gold = list[tuple[str, list[tuple[str, str]]]]

ENGLISH: Gold = [
    ("Chancellor Olaf Scholz met President Emmanuel Macron in Berlin on Tuesday.",
     [("Olaf Scholz", "PER"), ("Emmanuel Macron", "PER"), ("Berlin", "LOC")]),
    ("Shares of Microsoft rose after the company reported strong cloud sales.",
     [("Microsoft", "ORG")]),
    ("The United Nations warned that the famine in Sudan could spread to Chad.",
     [("United Nations", "ORG"), ("Sudan", "LOC"), ("Chad", "LOC")]),
    ("Angela Merkel told reporters in Brussels that the European Union must act.",
     [("Angela Merkel", "PER"), ("Brussels", "LOC"), ("European Union", "ORG")]),
    ("Floods hit the city of Valencia, Spain, killing at least 200 people.",
     [("Valencia", "LOC"), ("Spain", "LOC")]),
    ("Toyota said it would build a new battery plant in North Carolina.",
     [("Toyota", "ORG"), ("North Carolina", "LOC")]),
    ("Prime Minister Narendra Modi arrived in Tokyo for talks with Japanese officials.",
     [("Narendra Modi", "PER"), ("Tokyo", "LOC")]),
    ("The World Health Organization declared the outbreak in Congo an emergency.",
     [("World Health Organization", "ORG"), ("Congo", "LOC")]),
    ("Elon Musk said Tesla would cut prices in China and Germany.",
     [("Elon Musk", "PER"), ("Tesla", "ORG"), ("China", "LOC"), ("Germany", "LOC")]),
    ("Police in London arrested two men after the attack, Scotland Yard said.",
     [("London", "LOC"), ("Scotland Yard", "ORG")]),
]

FRENCH: Gold = [
    ("Emmanuel Macron a reçu Olaf Scholz à l'Élysée mardi.",
     [("Emmanuel Macron", "PER"), ("Olaf Scholz", "PER"), ("Élysée", "LOC")]),
    ("Des inondations ont frappé la ville de Valence, en Espagne.",
     [("Valence", "LOC"), ("Espagne", "LOC")]),
    ("Le groupe Renault a annoncé la fermeture d'une usine près de Lyon.",
     [("Renault", "ORG"), ("Lyon", "LOC")]),
    ("La Commission européenne a infligé une amende à Google.",
     [("Commission européenne", "ORG"), ("Google", "ORG")]),
    ("Marine Le Pen a critiqué le gouvernement lors d'un meeting à Marseille.",
     [("Marine Le Pen", "PER"), ("Marseille", "LOC")]),
    ("Le président ukrainien Volodymyr Zelensky s'est rendu à Bruxelles.",
     [("Volodymyr Zelensky", "PER"), ("Bruxelles", "LOC")]),
    ("L'Organisation mondiale de la santé s'inquiète de la situation au Soudan.",
     [("Organisation mondiale de la santé", "ORG"), ("Soudan", "LOC")]),
    ("Kylian Mbappé a marqué deux buts pour le Real Madrid samedi.",
     [("Kylian Mbappé", "PER"), ("Real Madrid", "ORG")]),
    ("La SNCF prévoit de nouveaux trains entre Paris et Bordeaux.",
     [("SNCF", "ORG"), ("Paris", "LOC"), ("Bordeaux", "LOC")]),
    ("Le Premier ministre japonais est arrivé à Tokyo après une visite au Canada.",
     [("Tokyo", "LOC"), ("Canada", "LOC")]),
]


def score(gold: Gold, language: str) -> dict[str, dict[str, float]]:
    """Exact-span P/R/F per label and overall ('ALL') for the pipeline of ``language``."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for text, expected in gold:
        predicted = {(m.text, m.label) for m in ENRICHER.annotate(text, language).mentions}
        wanted = set(expected)
        for _, label in predicted & wanted:
            tp[label] += 1
        for _, label in predicted - wanted:
            fp[label] += 1
        for _, label in wanted - predicted:
            fn[label] += 1
    result = {}
    for label in sorted({*tp, *fp, *fn, "ALL"}):
        t = sum(tp.values()) if label == "ALL" else tp[label]
        p_den = t + (sum(fp.values()) if label == "ALL" else fp[label])
        r_den = t + (sum(fn.values()) if label == "ALL" else fn[label])
        p = t / p_den if p_den else 0.0
        r = t / r_den if r_den else 0.0
        result[label] = {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}
    return result
