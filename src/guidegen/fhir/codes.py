"""Codes that mean a vocabulary code without being it: a declared table, bundled with guidegen.

Record systems code more finely than the vocabulary: a SNOMED CT concept for "Normal pregnancy"
where the vocabulary lists "Pregnancy", an RxNorm product ("buprenorphine 2 MG / naloxone 0.5 MG
Sublingual Film") where it lists the ingredient (buprenorphine). Each entry here says which
vocabulary-level code a finer code falls under; the import maps the finer code through it, so a
term's `codes:` stay short. A code is listed only when its meaning is certain: a SNOMED CT
descendant of the parent (is-a), or an RxNorm clinical or branded drug of the ingredient that
is given to treat the use disorder (a product such as an abuse-deterrent opioid that merely holds
naltrexone is not listed). Sources: SNOMED CT International and US editions; the value sets
"Opiate Antagonists" (VSAC 2.16.840.1.113883.3.464.1003.198.12.1132, used in CMS137), and CDC's
"Buprenorphine medications" and "Methadone medications" (HL7 cdc-opioid-cpg), 2024 releases.
"""

from __future__ import annotations

from collections.abc import Mapping

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"

_SNOMED_PARENT: dict[str, str] = {
    # Pregnancy (finding) 77386006
    "72892002": "77386006",  # Normal pregnancy
    "47200007": "77386006",  # High risk pregnancy
    # Depressive disorder 35489007, Major depressive disorder 370143000
    "268621008": "370143000",  # Recurrent major depressive episodes
    "15193003": "370143000",  # Severe recurrent major depression with psychotic features, mood-incongruent
    "1153575004": "35489007",  # Persistent depressive disorder
    # Bipolar disorder 13746004
    "371596008": "13746004",  # Bipolar I disorder
    "83225003": "13746004",  # Bipolar II disorder
    # Smoker 77176002 (US Core smoking status values)
    "449868002": "77176002",  # Current every day smoker
    "428041000124106": "77176002",  # Current some day smoker
    "428071000124103": "77176002",  # Current heavy tobacco smoker
    "428061000124105": "77176002",  # Current light tobacco smoker
}
"""SNOMED CT concept -> the ancestor (is-a) that a vocabulary term lists."""

_BUPRENORPHINE = "1819"
_RXNORM_INGREDIENT: dict[str, str] = {
    # buprenorphine (with or without naloxone) given for opioid use disorder
    **dict.fromkeys(
        (
            "351264",  # buprenorphine 2 MG Sublingual Tablet
            "351265",  # buprenorphine 8 MG Sublingual Tablet
            "351266",  # buprenorphine 2 MG / naloxone 0.5 MG Sublingual Tablet
            "351267",  # buprenorphine 8 MG / naloxone 2 MG Sublingual Tablet
            "1010600",  # buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film
            "1010603",  # ... [Suboxone]
            "1010604",  # buprenorphine 8 MG / naloxone 2 MG Sublingual Film
            "1010606",  # ... [Suboxone]
            "1307056",  # buprenorphine 4 MG / naloxone 1 MG Sublingual Film
            "1307058",  # ... [Suboxone]
            "1307061",  # buprenorphine 12 MG / naloxone 3 MG Sublingual Film
            "1307063",  # ... [Suboxone]
            "1431076",  # buprenorphine 1.4 MG / naloxone 0.36 MG Sublingual Tablet
            "1431083",  # ... [Zubsolv]
            "1431102",  # buprenorphine 5.7 MG / naloxone 1.4 MG Sublingual Tablet
            "1431104",  # ... [Zubsolv]
            "1542390",  # buprenorphine 2.1 MG / naloxone 0.3 MG Buccal Film
            "1542396",  # ... [Bunavail]
            "1544851",  # buprenorphine 4.2 MG / naloxone 0.7 MG Buccal Film
            "1544853",  # ... [Bunavail]
            "1544854",  # buprenorphine 6.3 MG / naloxone 1 MG Buccal Film
            "1544856",  # ... [Bunavail]
            "1597568",  # buprenorphine 11.4 MG / naloxone 2.9 MG Sublingual Tablet
            "1597570",  # ... [Zubsolv]
            "1597573",  # buprenorphine 8.6 MG / naloxone 2.1 MG Sublingual Tablet
            "1597575",  # ... [Zubsolv]
            "1666338",  # buprenorphine 2.9 MG / naloxone 0.71 MG Sublingual Tablet
            "1666385",  # ... [Zubsolv]
            "1864412",  # buprenorphine 0.7 MG / naloxone 0.18 MG Sublingual Tablet
            "1864414",  # ... [Zubsolv]
            "238129",  # 1 ML buprenorphine 0.3 MG/ML Injection (in the CMS137 value set)
            "1655032",  # 1 ML buprenorphine 0.3 MG/ML Cartridge (in the CMS137 value set)
            "1797650",  # buprenorphine 74.2 MG Drug Implant
            "1797655",  # ... [Probuphine]
            "1996184",  # 0.5 ML buprenorphine 200 MG/ML Prefilled Syringe
            "1996189",  # ... [Sublocade]
            "1996192",  # 1.5 ML buprenorphine 200 MG/ML Prefilled Syringe
            "1996193",  # ... [Sublocade]
            "2639021",  # 0.16 ML buprenorphine 50 MG/ML Prefilled Syringe
            "2639027",  # ... [Brixadi]
            "2639029",  # 0.32 ML buprenorphine 50 MG/ML Prefilled Syringe
            "2639030",  # ... [Brixadi]
            "2639031",  # 0.48 ML buprenorphine 50 MG/ML Prefilled Syringe
            "2639032",  # ... [Brixadi]
            "2639033",  # 0.64 ML buprenorphine 50 MG/ML Prefilled Syringe
            "2639034",  # ... [Brixadi]
            "2639036",  # 0.18 ML buprenorphine 356 MG/ML Prefilled Syringe
            "2639039",  # ... [Brixadi]
            "2639041",  # 0.27 ML buprenorphine 356 MG/ML Prefilled Syringe
            "2639042",  # ... [Brixadi]
            "2639043",  # 0.36 ML buprenorphine 356 MG/ML Prefilled Syringe
            "2639044",  # ... [Brixadi]
        ),
        _BUPRENORPHINE,
    ),
    # methadone 6813, taken by mouth (injectable methadone is not listed)
    **dict.fromkeys(
        (
            "864706",  # methadone hydrochloride 10 MG Oral Tablet
            "864708",  # ... [Dolophine]
            "864712",  # ... [Methadose]
            "864718",  # methadone hydrochloride 5 MG Oral Tablet
            "864720",  # ... [Dolophine]
            "864737",  # ... [Methadose]
            "864761",  # methadone hydrochloride 1 MG/ML Oral Solution
            "864769",  # methadone hydrochloride 2 MG/ML Oral Solution
            "864826",  # methadone hydrochloride 5 MG/ML Oral Solution
            "864978",  # methadone hydrochloride 40 MG Tablet for Oral Suspension
            "864980",  # ... [Methadose]
            "1990745",  # ... [Diskets]
            "864984",  # methadone hydrochloride 20 MG/ML Oral Solution
            "991147",  # methadone hydrochloride 10 MG/ML Oral Solution
            "991149",  # ... [Methadose]
        ),
        "6813",
    ),
    # naltrexone 7243 (not: morphine/naltrexone, bupropion/naltrexone)
    "1483744": "7243",  # naltrexone hydrochloride 50 MG Oral Tablet
    "637213": "7243",  # naltrexone 380 MG Injection
    # disulfiram 3554
    "197623": "3554",  # disulfiram 250 MG Oral Tablet
    "197624": "3554",  # disulfiram 500 MG Oral Tablet
}
"""RxNorm product (clinical or branded drug) -> the ingredient that a vocabulary term lists."""

COVERED_BY: Mapping[tuple[str, str], str] = {
    **{(SNOMED, child): parent for child, parent in _SNOMED_PARENT.items()},
    **{(RXNORM, product): ingredient for product, ingredient in _RXNORM_INGREDIENT.items()},
}
"""(system URI, code) -> the code of the same system that it falls under."""

STATUS_OBSERVATIONS: Mapping[tuple[str, str], tuple[str, ...]] = {
    (LOINC, "82810-3"): ("conditions",),  # Pregnancy status: its value (Pregnant 77386006) maps
    (LOINC, "72166-2"): ("substances",),  # Tobacco smoking status: every day smoker ... (Smoker 77176002)
}
"""Observations whose coded value (valueCodeableConcept) is a status that a term means; the
latest one counts, so "Not pregnant" after "Pregnant" gives nothing. -> the fields it fills."""

OVERDOSE: frozenset[tuple[str, str]] = frozenset({(SNOMED, "55680006")})  # Drug overdose
"""A Condition with one of these codes is an overdose: not a term, but the date in the profile's
`risk.recent_overdose` when it happened in the last RECENT_OVERDOSE_DAYS (facts.py)."""
