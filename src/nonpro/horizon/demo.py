"""The horizon-scanning demo: one screening project with imported literature, ready to screen.

``nonpro demo`` calls ``horizon_demo_ensure``: it writes the demo's literature files to the server's
import folder (``<data dir>/horizon/server/``) — a synthetic RIS corpus made here, and two real
exports shipped in ``demo_data/`` (an ASReview PubMed XML fixture and a 100-record Zotero RIS export,
both Apache-2.0, ``demo_data/LICENSE-asreview.txt``) — creates the project through the services, runs
its imports, and records a few decisions so that the model has learnt and the stopping guidance
shows. The project is found again by its name: running it twice changes nothing.

The synthetic records are policy level only (what a development is and which controls apply) and
every title starts with "Synthetic example": they carry no operational content.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nonpro.accounts.models import User
from nonpro.horizon import services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import Candidate, Decision, ScreeningProject
from nonpro.horizon.ranking import project_rerank

PROJECT_NAME = "Synthetic demo: dual-use developments in the recent literature"
ANALYST = "analyst@demo.nonpro.test"
REVIEWERS = ("reviewer@demo.nonpro.test", "reviewer2@demo.nonpro.test")
#: The reviewer whose few decisions the demo records (``reviewer@`` starts with a model that has learnt).
FIRST_SCREENER = "reviewer2@demo.nonpro.test"
CORPUS_NAME = "synthetic-demo-corpus.ris"
SAMPLES = ("pubmed-sample.xml", "ris-sample.ris")

# Policy-level subjects that the concern taxonomy recognises (each names a field or a control, never a method).
CONCERN_SUBJECTS = (
    "national export controls on additive manufacturing equipment",
    "screening of gene synthesis orders by commercial providers",
    "oversight of dual-use research of concern in universities",
    "nuclear security culture at research reactor facilities",
    "implementation of the Chemical Weapons Convention in national legislation",
    "governance of cloud laboratory access for remote users",
    "the Missile Technology Control Regime and commercial space launch vehicle exports",
    "security of high-activity radioactive sources in hospitals",
    "large language models and biosecurity policy",
    "controls on unmanned aerial vehicle transfers",
    "physical protection of nuclear material in transport",
    "biosecurity norms for synthetic biology start-ups",
    "laboratory automation and the Biological Weapons Convention",
    "customs enforcement against nuclear smuggling",
    "transfer controls on scheduled chemicals",
)
ORDINARY_SUBJECTS = (
    "crop harvests under irregular rainfall",
    "battery durability in cold climates",
    "dental care access in rural districts",
    "urban bicycle commuting patterns",
    "soil carbon in managed grasslands",
    "reading outcomes of primary school pupils",
    "hospital discharge planning for older adults",
    "coastal erosion monitoring with satellite images",
    "energy use of office buildings",
    "consumer trust in online marketplaces",
    "noise exposure of railway workers",
    "water quality of mountain streams",
    "nutrition labelling and food choices",
    "tourism recovery after seasonal floods",
    "public library use by teenagers",
)
STUDY_KINDS = (
    "a policy review",
    "a comparative study of {n} States",
    "survey evidence from {n} institutions",
    "lessons from national reports",
    "a scoping review",
    "an assessment of regulatory gaps",
    "trends over {n} years",
    "case studies from three regions",
)
CONCERN_ABSTRACT = (
    "Synthetic demo record (illustrative, policy level). This study reviews {subject} and the obligations "
    "of Security Council resolution 1540 that apply to it. It compares national legal frameworks, "
    "enforcement and outreach to industry and academia, and identifies where controls and guidance lag behind "
    "the development. It contains no technical detail."
)
ORDINARY_ABSTRACT = (
    "Synthetic demo record (illustrative). This study examines {subject} using {kind}. It reports "
    "descriptive statistics, discusses limitations of the data and suggests directions for further work."
)
JOURNALS = ("Journal of Synthetic Policy Studies", "Synthetic Review of Governance", "Demo Letters in Public Science")


@dataclass(frozen=True)
class DemoRecord:
    title: str
    abstract: str
    year: int
    doi: str
    journal: str
    authors: tuple[str, ...]
    concern: bool


def demo_records(count: int = 150, *, seed: int = 1540) -> list[DemoRecord]:
    """Return ``count`` synthetic records, about a fifth of concern, a few repeated (duplicates to find)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    records: list[DemoRecord] = []
    pairs = [(subject, kind) for subject in (*CONCERN_SUBJECTS, *ORDINARY_SUBJECTS) for kind in STUDY_KINDS]
    rng.shuffle(pairs)
    concern_pairs = [pair for pair in pairs if pair[0] in CONCERN_SUBJECTS]
    ordinary_pairs = [pair for pair in pairs if pair[0] in ORDINARY_SUBJECTS]
    concern_count = count // 5
    chosen = [(pair, True) for pair in concern_pairs[:concern_count]]
    chosen += [(pair, False) for pair in ordinary_pairs[: count - concern_count]]
    rng.shuffle(chosen)
    for number, ((subject, kind), concern) in enumerate(chosen, start=1):
        kind_text = kind.format(n=rng.randint(4, 40))
        template = CONCERN_ABSTRACT if concern else ORDINARY_ABSTRACT
        records.append(
            DemoRecord(
                title=f"Synthetic example: {subject[0].upper()}{subject[1:]} — {kind_text}",
                abstract=template.format(subject=subject, kind=kind_text),
                year=rng.randint(2019, 2026),
                doi=f"10.5555/nonpro-demo.{number:04d}",
                journal=rng.choice(JOURNALS),
                authors=tuple(f"Demo-Author{rng.randint(1, 400)}, A." for _ in range(rng.randint(1, 4))),
                concern=concern,
            )
        )
    # A later export often repeats earlier records: the import links them as duplicates.
    return [*records, *records[:: max(1, len(records) // 6)][:6]]


def write_corpus(path: Path, records: list[DemoRecord]) -> Path:
    """Write ``records`` as a RIS export at ``path``."""
    lines: list[str] = []
    for record in records:
        lines += ["TY  - JOUR", f"TI  - {record.title}", *(f"AU  - {name}" for name in record.authors)]
        lines += [f"PY  - {record.year}", f"JO  - {record.journal}", f"DO  - {record.doi}"]
        lines += [f"AB  - {record.abstract}", "ER  - ", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def demo_folder(data_dir: Path) -> Path:
    return data_dir / "horizon" / "server"


def demo_files(data_dir: Path) -> list[Path]:
    """Write the demo's literature files into the server's import folder; return their paths."""
    folder = demo_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    files = [write_corpus(folder / CORPUS_NAME, demo_records())]
    shipped = resources.files("nonpro.horizon") / "demo_data"
    for name in SAMPLES:
        with resources.as_file(shipped / name) as source:
            target = folder / name
            if not target.exists():
                shutil.copyfile(source, target)
            files.append(target)
    return files


def _decide_some(project: ScreeningProject, reviewer: User) -> None:
    """Record three relevant and three irrelevant decisions, as a first reviewer would have."""
    primaries = Candidate.objects.filter(project=project, duplicate_of__isnull=True, title__startswith="Synthetic")
    relevant = list(primaries.filter(abstract__contains="resolution 1540").order_by("pk")[:3])
    irrelevant = list(primaries.exclude(abstract__contains="resolution 1540").order_by("pk")[:3])
    for candidate in relevant:
        services.candidate_decide(candidate=candidate, by=reviewer, decision=Decision.RELEVANT)
    for candidate in irrelevant:
        services.candidate_decide(candidate=candidate, by=reviewer, decision=Decision.IRRELEVANT)


def horizon_demo_ensure(data_dir: Path) -> str:
    """Create the demo's screening project with its imports if it is missing; return a line saying what is there."""
    files = demo_files(data_dir)
    project = ScreeningProject.objects.filter(name=PROJECT_NAME).first()
    if project is None:
        analyst = User.objects.get(email=ANALYST)
        reviewers = list(User.objects.filter(email__in=REVIEWERS).order_by("email"))
        project = services.project_create(
            by=analyst,
            name=PROJECT_NAME,
            description=(
                "Demo project: a synthetic corpus of policy-level records and two real bibliographic exports. "
                "Screen the records, then promote a relevant one to a register draft."
            ),
            members=reviewers,
        )
        for path in files:
            job = services.import_server_file(project=project, by=analyst, path=path, enqueue=False, anywhere=True)
            import_process(job.pk)
        _decide_some(project, User.objects.get(email=FIRST_SCREENER))
        project_rerank(project.pk)
    count = Candidate.objects.filter(project=project, duplicate_of__isnull=True).count()
    return f"{count} records in {project.name!r}; files to upload or import are in {demo_folder(data_dir)}."
