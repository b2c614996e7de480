"""Generated encyclopedia passages for growing a benchmark corpus past the bench sets, deterministically.

Passage ``n`` is about one new person, film, company or town and names earlier generated entities (its
birthplace, employer, director, founder), so that ingestion grows the graph, not only the text: the same ``n``
always gives the same passage, whatever the corpus size.
"""

from __future__ import annotations

import random

FIRST = [
    "Anna",
    "Bruno",
    "Clara",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ingrid",
    "Jonas",
    "Karin",
    "Luca",
    "Marta",
    "Nils",
    "Olga",
    "Pavel",
    "Quentin",
    "Rosa",
    "Stefan",
    "Tilda",
    "Ulrich",
    "Vera",
    "Walter",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Adele",
    "Boris",
    "Celeste",
    "Dario",
    "Edith",
    "Felix",
    "Gisela",
    "Henrik",
    "Irene",
    "Jakob",
    "Leonie",
    "Matteo",
    "Nora",
    "Oskar",
]
SURNAMES = [
    "Albrecht",
    "Baranov",
    "Castellanos",
    "Delacroix",
    "Engstrom",
    "Falkenberg",
    "Gallardo",
    "Halvorsen",
    "Ivanescu",
    "Jankowski",
    "Kessler",
    "Lindqvist",
    "Marchetti",
    "Novak",
    "Oyelaran",
    "Petrescu",
    "Quiroga",
    "Rasmussen",
    "Sandoval",
    "Tamura",
    "Uhlmann",
    "Valdivia",
    "Weissmann",
    "Yamazaki",
    "Zeller",
    "Abernathy",
    "Bergstrom",
    "Corrigan",
    "Drummond",
    "Eklund",
    "Fontaine",
    "Gravesen",
    "Holloway",
    "Iverson",
    "Jaramillo",
    "Kowalczyk",
    "Lancaster",
    "Montague",
    "Nakashima",
    "Ostrowski",
]
TOWN_PARTS = ("North", "West", "Lower", "Upper", "Old", "New", "East", "South")
TOWN_ROOTS = ["brook", "ford", "haven", "field", "stead", "wick", "mere", "dale", "thorpe", "bury"]
TOWN_STEMS = [
    "Ash",
    "Birch",
    "Cedar",
    "Elm",
    "Fern",
    "Hollow",
    "Iron",
    "Larch",
    "Maple",
    "Oak",
    "Pine",
    "Rowan",
    "Stone",
    "Willow",
    "Alder",
]
COUNTRIES = (
    ("Norway", "Norwegian"),
    ("Portugal", "Portuguese"),
    ("Chile", "Chilean"),
    ("Romania", "Romanian"),
    ("Canada", "Canadian"),
    ("Austria", "Austrian"),
    ("Japan", "Japanese"),
    ("Peru", "Peruvian"),
    ("Denmark", "Danish"),
    ("Hungary", "Hungarian"),
)
OCCUPATIONS = [
    "film director",
    "novelist",
    "physicist",
    "architect",
    "composer",
    "painter",
    "economist",
    "chemist",
    "journalist",
    "footballer",
]
INDUSTRIES = [
    "Shipping",
    "Textiles",
    "Pharmaceuticals",
    "Steel",
    "Publishing",
    "Railways",
    "Brewing",
    "Optics",
    "Aviation",
    "Software",
]
FILM_ADJ = ["Silent", "Crimson", "Last", "Hidden", "Distant", "Broken", "Golden", "Winter", "Quiet", "Burning"]
FILM_NOUNS = ["Harbour", "Letter", "Garden", "Frontier", "Mirror", "Orchard", "Voyage", "Tower", "Archive", "Lantern"]
GENRES = ["drama", "comedy", "thriller", "documentary", "western", "musical"]

KINDS = ("person", "person", "film", "company", "town")


def town_name(n: int) -> str:
    r = random.Random(f"town{n}")
    return f"{r.choice(TOWN_PARTS)} {r.choice(TOWN_STEMS)}{r.choice(TOWN_ROOTS)}"


def person_name(n: int) -> str:
    r = random.Random(f"person{n}")
    return f"{r.choice(FIRST)} {chr(65 + r.randrange(26))}. {r.choice(SURNAMES)}"


def company_name(n: int) -> str:
    r = random.Random(f"company{n}")
    return f"{r.choice(SURNAMES)} {r.choice(INDUSTRIES)}"


def film_name(n: int) -> str:
    r = random.Random(f"film{n}")
    return f"The {r.choice(FILM_ADJ)} {r.choice(FILM_NOUNS)}"


def earlier(r: random.Random, n: int, kind: str) -> int:
    """An earlier passage of ``kind`` (passage numbers cycle through ``KINDS``), or a first one."""
    offsets = [i for i, k in enumerate(KINDS) if k == kind]
    cycles = max(1, n // len(KINDS))
    return r.randrange(cycles) * len(KINDS) + r.choice(offsets)


def passage(n: int) -> dict[str, str]:
    """Generated passage ``n``: ``id`` (``gen/N``), ``title`` and ``text``, as a bench corpus holds them."""
    r = random.Random(n)
    kind = KINDS[n % len(KINDS)]
    town, (country, nationality) = town_name(earlier(r, n, "town")), r.choice(COUNTRIES)
    company, person = company_name(earlier(r, n, "company")), person_name(earlier(r, n, "person"))
    year = r.randrange(1890, 2015)
    if kind == "person":
        title, job = person_name(n), r.choice(OCCUPATIONS)
        surname = title.split()[-1]
        text = (
            f"{title} (born {year} in {town}) is a {nationality} {job}. {surname} studied at the University of "
            f"{town_name(earlier(r, n, 'town'))} and worked for {company} from {year + 24} to {year + 31}. "
            f"In {year + 35}, {surname} married {person}, with whom {surname} founded a small foundation in {town}."
        )
    elif kind == "film":
        title = f"{film_name(n)} ({year + 30} film)"
        text = (
            f"{film_name(n)} is a {year + 30} {r.choice(GENRES)} film directed by {person} and produced by "
            f"{company}. It was shot in {town}, {country}, and premiered at the {town_name(earlier(r, n, 'town'))} "
            f"Film Festival. The score was written by {person_name(earlier(r, n, 'person'))}."
        )
    elif kind == "company":
        title = company_name(n)
        text = (
            f"{title} is a {nationality} {r.choice(INDUSTRIES).lower()} company founded in {year} by {person}. Its "
            f"headquarters are in {town}. In {year + 40} it acquired {company}, and it is now led by "
            f"{person_name(earlier(r, n, 'person'))}, its chief executive."
        )
    else:
        title = town_name(n)
        text = (
            f"{title} is a town in {country} with a population of {r.randrange(2, 90) * 1000:,} in {year + 100}. "
            f"It lies on the railway from {town} and is the seat of {company}. Among its natives is {person}, "
            f"after whom the town's library is named."
        )
    return {"id": f"gen/{n}", "title": title, "text": text}
