"""A generator of realistic PubMed XML corpora for the scanning benchmarks (synthetic, reproducible).

Files look like PubMed baseline files: ``PubmedArticleSet`` with up to ``PER_FILE`` records each,
gzip-compressed. Each record has a PMID, a DOI, a title, a structured abstract of 120-260 words,
3-9 authors with affiliations, a journal, a date, MeSH headings and keywords. The words come from
a fixed vocabulary of ordinary biomedical and engineering words; about 1 % of the records mention
a policy-level concern term (export controls, the conventions), and about 2 % repeat an earlier
record's DOI (a duplicate to find). Nothing in it is real, and it carries no operational content.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

PER_FILE = 30_000
WORDS = [
    "analysis",
    "cohort",
    "patients",
    "clinical",
    "outcome",
    "model",
    "method",
    "protein",
    "cell",
    "expression",
    "gene",
    "pathway",
    "signal",
    "network",
    "sensor",
    "material",
    "surface",
    "temperature",
    "pressure",
    "flow",
    "membrane",
    "sample",
    "measurement",
    "imaging",
    "response",
    "treatment",
    "dose",
    "trial",
    "randomized",
    "association",
    "risk",
    "factor",
    "population",
    "survey",
    "data",
    "learning",
    "structure",
    "function",
    "binding",
    "receptor",
    "kinase",
    "inhibitor",
    "metabolism",
    "tissue",
    "tumor",
    "immune",
    "infection",
    "vaccine",
    "antibody",
    "culture",
    "growth",
    "stress",
    "climate",
    "soil",
    "water",
    "energy",
    "battery",
    "catalyst",
    "polymer",
    "fiber",
    "device",
    "circuit",
    "signal",
    "noise",
    "estimate",
    "error",
    "regression",
    "variance",
    "sampling",
    "detection",
    "classification",
    "algorithm",
    "simulation",
    "optimization",
    "design",
    "performance",
    "efficiency",
    "stability",
    "durability",
    "coating",
]
CONCERN_PHRASES = (
    "export control compliance",
    "the Chemical Weapons Convention",
    "biosecurity and dual-use research of concern",
    "nuclear safeguards and security",
    "the Missile Technology Control Regime",
)
JOURNALS = ("Journal of Synthetic Studies", "Synthetic Reports", "Annals of Generated Science", "Benchmark Letters")
MESH = ("Humans", "Animals", "Models, Theoretical", "Risk Factors", "Cohort Studies", "Algorithms", "Equipment Design")


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


def _article(rng: random.Random, pmid: int, doi: str) -> str:
    title = _sentence(rng, rng.randint(8, 16))
    sections = []
    for label in ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"):
        text = " ".join(_sentence(rng, rng.randint(10, 22)) for _ in range(rng.randint(2, 4)))
        if label == "CONCLUSIONS" and rng.random() < 0.01:
            text += f" Implications for {rng.choice(CONCERN_PHRASES)} are discussed."
        sections.append(f'<AbstractText Label="{label}">{escape(text)}</AbstractText>')
    authors = "".join(
        f"<Author><LastName>Author{rng.randint(1, 99999)}</LastName><ForeName>Synthetic</ForeName>"
        f"<AffiliationInfo><Affiliation>Synthetic Institute {rng.randint(1, 500)}, Example City.</Affiliation>"
        "</AffiliationInfo></Author>"
        for _ in range(rng.randint(3, 9))
    )
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="D{index:06d}">{escape(term)}</DescriptorName></MeshHeading>'
        for index, term in enumerate(rng.sample(MESH, 3))
    )
    keywords = "".join(f"<Keyword>{word}</Keyword>" for word in rng.sample(WORDS, 4))
    year, month = rng.randint(1990, 2026), rng.randint(1, 12)
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f"<Article><Journal><JournalIssue><PubDate><Year>{year}</Year><Month>{month:02d}</Month></PubDate>"
        f"</JournalIssue><Title>{rng.choice(JOURNALS)}</Title></Journal><ArticleTitle>{escape(title)}</ArticleTitle>"
        f"<Abstract>{''.join(sections)}</Abstract><AuthorList>{authors}</AuthorList><Language>eng</Language>"
        f'</Article><MeshHeadingList>{mesh}</MeshHeadingList><KeywordList Owner="NOTNLM">{keywords}</KeywordList>'
        f'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">{doi}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>\n'
    )


def articles(count: int, seed: int = 1540) -> Iterator[str]:
    """Yield ``count`` PubMed articles; about 2 % repeat an earlier DOI (under a new PMID)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not security
    for number in range(1, count + 1):
        repeat = number > 100 and rng.random() < 0.02
        doi = f"10.5555/synthetic.{rng.randint(1, number - 1) if repeat else number}"
        yield _article(rng, 30_000_000 + number, doi)


def write_corpus(directory: Path, count: int, seed: int = 1540) -> list[Path]:
    """Write ``count`` articles into gzip PubMed XML files of ``PER_FILE`` records; return the files."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    generated = articles(count, seed)
    for start in range(0, count, PER_FILE):
        files.append(directory / f"synthetic{len(files) + 1:04d}.xml.gz")
        with gzip.open(files[-1], "wb", compresslevel=1) as handle:
            handle.write(b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
            for _ in range(min(PER_FILE, count - start)):
                handle.write(next(generated).encode())
            handle.write(b"</PubmedArticleSet>\n")
    return files
