"""The tagged-text readers: RIS, MEDLINE (.nbib) and BibTeX, over the real samples and synthetic edge cases."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from nonpro.scanning.readers import bibtex, detect, medline, read_file, ris
from nonpro.scanning.records import Problem, Record

DATA = Path(__file__).parent / "data" / "formats"
RIS_FILES = sorted(path for path in (DATA / "ris").iterdir() if path.name != "asreview_LICENSE.txt")
MEDLINE_FILES = sorted((DATA / "medline-nbib").iterdir())
BIBTEX_FILES = sorted((DATA / "bibtex").iterdir())

ReadFunction = Callable[[IO[bytes], str], Iterator[Record | Problem]]


def read_path(reader: ReadFunction, path: Path) -> list[Record | Problem]:
    with path.open("rb") as stream:
        return list(reader(stream, str(path)))


def read_bytes(reader: ReadFunction, data: bytes, name: str = "synthetic") -> list[Record | Problem]:
    return list(reader(io.BytesIO(data), name))


def records(items: list[Record | Problem]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def problems(items: list[Record | Problem]) -> list[Problem]:
    return [item for item in items if isinstance(item, Problem)]


def one(reader: ReadFunction, folder: str, name: str, index: int = 0) -> Record:
    return records(read_path(reader, DATA / folder / name))[index]


# ---------------------------------------------------------------- every sample is read


@pytest.mark.parametrize(
    ("reader", "path", "fmt"),
    [(ris.read, path, "ris") for path in RIS_FILES]
    + [(medline.read, path, "medline") for path in MEDLINE_FILES]
    + [(bibtex.read, path, "bibtex") for path in BIBTEX_FILES],
    ids=lambda value: value.name if isinstance(value, Path) else "",
)
def test_every_sample_reads_into_records_with_their_source(reader: ReadFunction, path: Path, fmt: str) -> None:
    items = read_path(reader, path)
    found = records(items)
    assert found, f"{path.name} gave no record"
    for record in found:
        assert record.title or record.ids.global_keys()
        assert record.source is not None
        assert record.source.path == str(path)
        assert record.source.format == fmt
        assert record.source.position.startswith("line ")
        assert record.kind
    for item in problems(items):
        assert item.path == str(path)
        assert item.position.startswith("line ")
        assert item.reason


@pytest.mark.parametrize(
    ("name", "count", "problem_count"),
    [
        ("RIS_case02.ris", 48, 0),
        ("RIS_case04.ris", 37, 2),  # a JFULL and a PCOMM template without any title
        ("RIS_case09.ris", 1, 1),
        ("baseline_tag-notes_labels.ris", 32, 0),
        ("baseline_zotero.ris", 100, 0),
        ("embase.ris", 6, 0),
        ("ovid_psycinfo.ris", 6, 0),
        ("ovid_zotero.ris", 6, 0),
        ("proquest.ris", 6, 0),
        ("pubmed_zotero.ris", 6, 0),
        ("scopus.ris", 6, 0),
        ("pubmed_endnote.txt", 6, 0),
        ("web_of_science.txt", 10, 0),
    ],
)
def test_ris_record_counts(name: str, count: int, problem_count: int) -> None:
    items = read_path(ris.read, DATA / "ris" / name)
    assert len(records(items)) == count
    assert len(problems(items)) == problem_count


# ---------------------------------------------------------------- RIS content


def test_ris_scopus_record() -> None:
    record = one(ris.read, "ris", "scopus.ris")
    assert record.title.startswith("Stress and the brain-gut axis in functional and chronic-inflammatory")
    assert record.ids.doi == "10.1016/j.psyneuen.2019.104501"
    assert [author.name for author in record.authors] == [
        "Labanski, A.",
        "Langhorst, J.",
        "Engler, H.",
        "Elsenbruch, S.",
    ]
    assert "University of Duisburg-Essen" in record.authors[0].affiliations[0]
    assert record.venue == "Psychoneuroendocrinology"
    assert record.date == "2020"
    assert record.language == "English"
    assert "Brain-gut axis" in record.keywords
    assert record.abstract.startswith("The broad role of stress in the brain-gut axis")
    assert record.kind == "article"
    assert record.source is not None
    assert record.source.position == "line 1"


def test_ris_embase_takes_the_medline_pmid_from_c5_only_for_records_also_in_medline() -> None:
    found = records(read_path(ris.read, DATA / "ris" / "embase.ris"))
    assert found[0].ids.pmid == ""  # only in Embase: no PMID
    assert found[1].ids.pmid == "15368318"
    assert found[1].ids.doi == "10.1002/cncr.20369"
    assert found[0].title == "Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound"
    assert found[0].venue == "Endoscopic Ultrasound"  # JF, the full name, before the abbreviation in JO
    assert found[0].date == "2014"
    assert [author.name for author in found[0].authors] == ["Liu R.", "Adler D.G."]


def test_ris_ovid_skips_numbering_and_trailers_and_cleans_the_doi_link() -> None:
    found = records(read_path(ris.read, DATA / "ris" / "ovid_psycinfo.ris"))
    first = found[0]
    assert first.ids.doi == "10.1002/cpp.2398"
    assert first.ids.source_id == "2019-65183-001"
    assert first.title.startswith("The influence of self-criticism on depression symptoms")
    assert first.date == "2019"
    assert len(first.authors) == 5
    assert first.source is not None
    assert first.source.position == "line 2"


def test_ris_zotero_dates_and_doi() -> None:
    record = one(ris.read, "ris", "baseline_zotero.ris")
    assert record.title == "An open source machine learning framework for efficient and transparent systematic reviews"
    assert record.date == "2021-02-01"  # DA  - 2021/02/01/
    assert record.ids.doi == "10.1038/s42256-020-00287-7"
    assert len(record.authors) == 17
    assert record.authors[0].name == "van de Schoot, Rens"
    assert one(ris.read, "ris", "ovid_zotero.ris").date == "2019"  # DA  - 2019///


def test_ris_pmcid_from_a_pubmed_central_link() -> None:
    found = records(read_path(ris.read, DATA / "ris" / "baseline_zotero.ris"))
    assert "PMC4667817" in {record.ids.pmcid for record in found}


def test_ris_proquest_doi_from_the_doi_field_and_accession_as_source_id() -> None:
    record = one(ris.read, "ris", "proquest.ris")
    assert record.ids.doi == "10.1002/jts.22387"
    assert record.ids.pmid == ""  # ProQuest's AN is no PMID
    assert record.ids.source_id == "2214991469; 51887"
    assert record.venue == "Journal of Traumatic Stress"
    assert len(record.authors) == 7


def test_pubmed_endnote_export_is_ris_with_the_pmid_in_an() -> None:
    path = DATA / "ris" / "pubmed_endnote.txt"
    assert detect(path.read_bytes()[:16384], str(path)) == "ris"
    found = records(list(read_file(path)))
    assert [record.ids.pmid for record in found] == [
        "21553931",
        "29459515",
        "27626602",
        "27452660",
        "24407360",
        "28482341",
    ]
    first = found[0]
    assert first.title.startswith("Boswellia serrata: an overall assessment of in vitro")
    assert first.ids.doi == "10.2165/11586800-000000000-00000"
    assert first.date == "2011-06"  # PY 2011 with DA Jun
    assert first.language == "eng"
    assert first.ids.source_id == "369"
    # continuation lines of KW are keywords of their own
    assert "Boswellia/*chemistry" in first.keywords
    second = found[1]
    assert len(second.authors[0].affiliations) == 5  # AD continuation lines: one address each


def test_web_of_science_export_is_ris_and_is_read() -> None:
    found = records(read_path(ris.read, DATA / "ris" / "web_of_science.txt"))
    assert len(found) == 10
    first = found[0]
    assert first.title == "Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations"
    assert first.ids.doi == "10.1016/j.jarmac.2018.03.001"
    assert first.ids.source_id == "WOS:000444108200009"
    assert first.date == "2018-09"  # PY 2018 with DA SEP
    assert [author.name for author in first.authors] == ["Alceste, F", "Luke, TJ", "Kassin, SM"]


def test_ris_reader_claims_no_record_from_a_text_that_is_not_ris() -> None:
    assert read_path(ris.read, DATA / "ris" / "asreview_LICENSE.txt") == []


def test_ris_case_files() -> None:
    contusion = one(ris.read, "ris", "RIS_case00.ris")
    assert contusion.title == "Blood-brain barrier breach following cortical contusion in the rat"  # continued
    assert contusion.abstract.startswith("Adult Fisher 344 rats were subjected to a unilateral impact")
    assert contusion.date == "1996"
    assert contusion.venue == "J.Neurosurg."
    patent = one(ris.read, "ris", "RIS_case01.ris")
    assert patent.kind == "patent"
    assert patent.date == "1990-02-27"
    assert [author.name for author in patent.authors] == ["Burger,D.R.", "Goldstein,A.S."]  # A2 is no author
    single_space = one(ris.read, "ris", "RIS_case03.ris")  # "TY - JOUR" with one space
    assert single_space.ids.doi == "10.1111/j.1755-0998.2009.02750.x"
    assert single_space.date == "2009"
    assert len(single_space.authors) == 7
    assert one(ris.read, "ris", "RIS_case05.ris").venue == "Augmentative and Alternative Communication"
    book = one(ris.read, "ris", "RIS_case06.ris")
    assert (book.kind, book.language, book.ids.doi) == ("book", "ger", "10.1007/978-3-642-00230-4")
    assert one(ris.read, "ris", "RIS_case07.ris").date == "1950-01-01"  # DA before the deprecated Y1
    mixed = one(ris.read, "ris", "RIS_case08.ris")
    assert [author.name for author in mixed.authors] == [
        "Georgiev, Danko",
        "Bello, Leon",
        "Carmi, Avishy",
        "Cohen, Eliahu",
    ]
    dataset = one(ris.read, "ris", "RIS_case10.ris")
    assert dataset.kind == "dataset"
    assert dataset.title == "Moving language: Mothers’ verbs correspond to infants’ real-time locomotion"
    assert one(ris.read, "ris", "RIS_case11.ris").kind == "other"


def test_ris_problem_for_a_record_without_title_or_identifier_keeps_its_line() -> None:
    items = read_path(ris.read, DATA / "ris" / "RIS_case09.ris")
    assert isinstance(items[0], Record)
    assert items[0].ids.doi == "10.1016/s0027-9684(15)31340-7"
    assert isinstance(items[1], Problem)
    assert items[1].position == "line 20"
    assert "no title and no identifier" in items[1].reason


def test_ris_asreview_labels() -> None:
    labelled = records(read_path(ris.read, DATA / "ris" / "generic_labels.ris"))
    assert [record.label for record in labelled] == [1, 0]
    assert labelled[0].ids.source_id == "12345"
    assert labelled[0].date == "2014"  # Y1 2014//
    assert labelled[0].venue == "Lorem"
    assert labelled[0].url == "http://example_url.com"
    assert [author.name for author in labelled[0].authors] == ["Marx, Karl", "Lindgren, Astrid"]
    notes = records(read_path(ris.read, DATA / "ris" / "baseline_tag-notes_labels.ris"))
    labels = [record.label for record in notes]
    assert labels.count(1) == 10
    assert labels.count(0) == 10
    assert labels.count(None) == 12
    assert notes[0].title == 'Record which is labeled "relevant" by the researcher using ASReview.'  # after a BOM
    assert notes[0].label == 1
    assert notes[2].label is None  # ASReview_not_seen
    assert one(ris.read, "ris", "baseline_zotero.ris").label == 1  # N1  - <p>ASReview_relevant</p>


def test_ris_malformed_record_among_good_ones() -> None:
    data = (
        b"TY  - JOUR\nTI  - Synthetic example: first\nER  - \n\n"
        b"TY  - JOUR\nPY  - 2020\nKW  - nothing else\nER  - \n\n"
        b"TY  - JOUR\nTI  - Synthetic example: second\nDO  - https://doi.org/10.1234/ABC\nER  - \n"
    )
    items = read_bytes(ris.read, data)
    assert [type(item) for item in items] == [Record, Problem, Record]
    assert isinstance(items[1], Problem)
    assert items[1].position == "line 5"
    assert isinstance(items[2], Record)
    assert items[2].ids.doi == "10.1234/abc"


def test_ris_tolerates_odd_spacing_latin1_and_a_missing_final_er() -> None:
    data = (
        b"\xef\xbb\xbfexport header line\n"
        b"TY - JOUR\nTI - Caf\xe9 synthetic example\nAU  - M\xfcller, A\nPY - 2019/03/05/\nER  -\n"
        b"TY  - CONF\nTI  - Synthetic example: a conference paper\nwith a continued title\n"
        b"N1  - PMID: 12345678\n"
    )
    items = read_bytes(ris.read, data)
    first, second = records(items)
    assert first.title == "Café synthetic example"
    assert first.authors[0].name == "Müller, A"
    assert first.date == "2019-03-05"
    assert first.source is not None
    assert first.source.position == "line 2"
    assert second.title == "Synthetic example: a conference paper with a continued title"
    assert second.kind == "conference-paper"
    assert second.ids.pmid == "12345678"


def test_ris_an_is_a_pmid_only_when_the_source_says_so() -> None:
    pubmed = b"TY  - JOUR\nTI  - Synthetic example\nAN  - 31234567\nDB  - Ovid MEDLINE(R)\nER  - \n"
    other = b"TY  - JOUR\nTI  - Synthetic example\nAN  - 31234567\nDB  - PsycINFO\nER  - \n"
    assert records(read_bytes(ris.read, pubmed))[0].ids.pmid == "31234567"
    unknown = records(read_bytes(ris.read, other))[0]
    assert unknown.ids.pmid == ""
    assert unknown.ids.source_id == "31234567"


# ---------------------------------------------------------------- MEDLINE content


def test_medline_pubmed_record_with_mesh_authors_and_affiliations() -> None:
    record = one(medline.read, "medline-nbib", "MEDLINEnbib_case01.nbib")
    assert record.ids.pmid == "8692918"
    assert record.ids.pmcid == "PMC38908"
    assert record.title == "The structure of bovine F1-ATPase complexed with the antibiotic inhibitor aurovertin B."
    assert record.abstract.startswith("In the structure of bovine mitochondrial F1-ATPase that was previously")
    assert record.venue == "Proceedings of the National Academy of Sciences of the United States of America"
    assert record.date == "1996-07-09"
    assert record.language == "eng"
    assert [author.name for author in record.authors] == [
        "van Raaij, M J",
        "Abrahams, J P",
        "Leslie, A G",
        "Walker, J E",
    ]
    assert record.authors[0].affiliations == (
        "Medical Research Council Laboratory of Molecular Biology, Cambridge, United Kingdom.",
    )
    assert record.authors[1].affiliations == ()
    assert "Aurovertins" in record.mesh_terms  # "Aurovertins/*chemistry/*metabolism"
    assert "Protein Structure, Secondary" in record.mesh_terms  # "*Protein Structure, Secondary"
    assert record.kind == "article"


def test_medline_book_chapter() -> None:
    chapter = one(medline.read, "medline-nbib", "MEDLINEnbib_case01.nbib", 1)
    assert chapter.ids.pmid == "21249755"
    assert chapter.title == "Peutz-Jeghers Syndrome"
    assert chapter.venue == "Cancer Syndromes"  # BTI, the book
    assert chapter.kind == "book"
    assert chapter.date == "2009"
    assert len(chapter.authors) == 7  # the FED/ED editors are not authors
    assert chapter.source is not None
    assert chapter.source.position == "line 81"


def test_medline_doi_keywords_and_several_affiliations() -> None:
    record = one(medline.read, "medline-nbib", "MEDLINEnbib_case03.nbib")
    assert record.ids.doi == "10.1016/j.puhe.2015.01.018"
    assert record.date == "2015-05"
    assert "Shaken baby syndrome" in record.keywords
    burns = one(medline.read, "medline-nbib", "MEDLINEnbib_case05.nbib")
    assert burns.ids.pmcid == "PMC8816568"
    assert burns.authors[1].name == "Ratliff, Jack"
    assert len(burns.authors[1].affiliations) == 2
    assert burns.abstract.startswith("During deployment to the Persian Gulf War")
    lightning = one(medline.read, "medline-nbib", "MEDLINEnbib_case08.nbib")  # CRLF lines
    assert lightning.ids.doi == "10.1016/j.wem.2022.07.008"
    assert lightning.date == "2022-10-07"
    assert lightning.venue == "Wilderness & environmental medicine"
    assert len(lightning.authors) == 4


def test_medline_et_al_is_no_author_and_zero_pmid_is_no_identifier() -> None:
    dynamin = one(medline.read, "medline-nbib", "MEDLINEnbib_case02.nbib")
    assert len(dynamin.authors) == 10
    assert "Brain" in dynamin.mesh_terms
    mouse = one(medline.read, "medline-nbib", "MEDLINEnbib_case00.nbib")
    assert mouse.ids.pmid == ""
    assert mouse.title == "Mickey Mouse had an O-some day!"


def test_medline_eric_records_separated_by_blank_lines() -> None:
    found = records(read_path(medline.read, DATA / "medline-nbib" / "MEDLINEnbib_case04.nbib"))
    assert [record.ids.source_id for record in found] == ["EJ1227990", "EJ1245375", "ED602023"]
    assert found[1].ids.doi == "10.1186/s40468-019-0086-7"  # from the dx.doi.org link in AID
    assert found[1].url == "http://eric.ed.gov/?id=EJ1245375"
    assert found[0].authors[1].name == "Eggen, Theo J. H. M."
    assert found[0].date == "2020"
    assert found[2].kind == "report"
    april = records(read_path(medline.read, DATA / "medline-nbib" / "MEDLINEnbib_case06.nbib"))
    assert len(april) == 4
    assert april[1].date == "2019-04"  # DP  - Apr 2019
    thesis = records(read_path(medline.read, DATA / "medline-nbib" / "MEDLINEnbib_case07.nbib"))
    assert [record.kind for record in thesis] == ["thesis", "book"]


def test_medline_dates_and_malformed_record() -> None:
    data = (
        b"PMID- 11111111\nTI  - Synthetic example: a bimonthly issue\nDP  - 2019 Jan-Feb\n\n"
        b"OWN - NLM\nDP  - 2020\n\n"
        b"PMID- 22222222\nTI  - Synthetic example\n      continued\nDP  - 2018 Dec 5\nLID - PMC42 [pmc]\n"
    )
    items = read_bytes(medline.read, data)
    assert [type(item) for item in items] == [Record, Problem, Record]
    first, third = records(items)
    assert first.date == "2019-01"
    assert isinstance(items[1], Problem)
    assert items[1].position == "line 5"
    assert third.title == "Synthetic example continued"
    assert third.date == "2018-12-05"
    assert third.ids.pmcid == "PMC42"


# ---------------------------------------------------------------- BibTeX content


def test_bibtex_zotero_export_with_pmid_in_note_and_braced_group_authors() -> None:
    record = one(bibtex.read, "bibtex", "BibTeX_case10.bib")
    assert record.title.startswith("Increasing cardiopulmonary resuscitation provision in communities")
    assert record.ids.doi == "10.1161/cir.0b013e318288b4dd"
    assert record.ids.pmid == "23439512"
    assert record.ids.source_id == "sasson_increasing_2013"
    assert record.date == "2013-03"
    assert record.language == "eng"
    assert record.venue == "Circulation"
    assert len(record.authors) == 20
    assert record.authors[15].name == "American Heart Association Council on Quality of Care and Outcomes Research"
    assert "Heart Arrest" in record.keywords


def test_bibtex_missing_comma_between_fields_is_forgiven() -> None:
    found = records(read_path(bibtex.read, DATA / "bibtex" / "BibTeX_case08.bib"))
    assert len(found) == 7
    assert found[5].title == "Mendeley: escaped characters"
    assert found[4].url.startswith("https://forums.zotero.org/discussion/28347/")


def test_bibtex_latex_accents_and_dashes() -> None:
    maths = one(bibtex.read, "bibtex", "BibTeX_case15.bib", 1)
    assert maths.title == "Higher-order Erdős-Szekeres theorems"
    assert [author.name for author in maths.authors] == ["Eliáš, Marek", "Matoušek, Jiří"]
    assert maths.venue == "Advances in Mathematics"  # fjournal, the full name
    assert one(bibtex.read, "bibtex", "BibTeX_case15.bib").venue == "Zeitschrift für Soziologie : ZfS"
    icelandic = one(bibtex.read, "bibtex", "BibTeX_case16.bib")
    assert icelandic.title == "Búsáhaldabyltingin : Pólitískt jafnræði og þátttaka almennings í mótmælum"
    assert icelandic.authors[0].name == "Eva H. Önnudóttir"
    polish = one(bibtex.read, "bibtex", "BibTeX_case23.bib")  # CRLF lines
    assert polish.title == "Poczucie jakości życia a swoboda działania i odpowiedzialność"
    assert polish.authors[1].name == "Bańka, Augustyn"
    tilde = one(bibtex.read, "bibtex", "BibTeX_case05.bib")
    assert tilde.title == "non-braking space: ; accented characters: ñ and ñ; tilde operator: ~"
    assert one(bibtex.read, "bibtex", "BibTeX_case06.bib").authors[2].name == "Päckert, M."


def test_bibtex_string_macros_concatenation_and_month_macros() -> None:
    book = one(bibtex.read, "bibtex", "BibTeX_case18.bib")
    assert book.title == "The impossible TEL—book"
    assert len(book.authors) == 2  # stefan # And # meta:maintainer, the middle macro being " and "
    assert book.date == "1942-03"
    assert book.kind == "book"
    zotero = one(bibtex.read, "bibtex", "BibTeX_case17.bib")
    assert zotero.authors[0].name == "Corporation for Digital Scholarship"
    assert zotero.url == "https://www.zotero.org/"
    crossref = one(bibtex.read, "bibtex", "crossref_content_negotiation_10.1126_science.169.3946.635.bib")
    assert crossref.ids.doi == "10.1126/science.169.3946.635"
    assert crossref.date == "1970-08"
    assert crossref.venue == "Science"


def test_bibtex_entry_types_and_fields() -> None:
    assert [record.kind for record in records(read_path(bibtex.read, DATA / "bibtex" / "BibTeX_case13.bib"))] == [
        "thesis",
        "thesis",
    ]
    proceedings = one(bibtex.read, "bibtex", "BibTeX_case14.bib")
    assert proceedings.kind == "conference-paper"
    assert proceedings.ids.doi == "10.1145/1281192.1281230"
    assert proceedings.keywords == ("spatio-temporal data mining", "trajectory patterns")
    assert proceedings.venue.startswith("Proceedings of the 13th ACM SIGKDD")
    report = one(bibtex.read, "bibtex", "BibTeX_case20.bib")
    assert report.kind == "report"
    assert report.date == "2021-06-18"
    assert report.title == "Benchmarking Methodology for EVPN and PBB-EVPN"
    assert report.abstract.startswith("This document defines methodologies for benchmarking EVPN")
    kotz = one(bibtex.read, "bibtex", "BibTeX_case19.bib")  # after a @preamble
    assert kotz.url == "https://www.cs.dartmouth.edu/~kotz/research/batsis-rural/index.html"  # "~" kept
    assert kotz.date == "2020-12"
    assert len(kotz.authors) == 13
    assert one(bibtex.read, "bibtex", "BibTeX_case21.bib").authors[2].name == "D'aspremont, Alexandre"
    physics = one(bibtex.read, "bibtex", "BibTeX_case22.bib")
    assert physics.title == "Production of Σ^0 Hyperon and Search of Σ^0 Hypernuclei at LHC with ALICE"
    identifiers = one(bibtex.read, "bibtex", "BibTeX_case11.bib")
    assert identifiers.ids.pmcid == "PMC123456"
    assert identifiers.ids.pmid == ""  # "P123456" is no PubMed id
    abramowitz, torre = records(read_path(bibtex.read, DATA / "bibtex" / "BibTeX_case01.bib"))
    assert abramowitz.title == "Handbook of Mathematical Functions with Formulas, Graphs, and Mathematical Tables"
    assert [author.name for author in abramowitz.authors] == ["Milton Abramowitz", "Irene A. Stegun"]
    assert torre.date == "2008"


def test_bibtex_arxiv_eprint_is_a_preprint() -> None:
    data = b"@misc{x, title={Synthetic example}, eprint={2401.01234v2}, archivePrefix={arXiv}, year={2024}}"
    record = records(read_bytes(bibtex.read, data))[0]
    assert record.ids.arxiv == "2401.01234"
    assert record.kind == "preprint"


def test_bibtex_malformed_entries_among_good_ones() -> None:
    data = (
        b"% a comment with me@example.org\n"
        b"@article{good1, title={Synthetic example: first}, year=2020}\n"
        b"\n"
        b"@article{broken, title={Synthetic example: {unbalanced}, year=2021,\n"
        b"\n"
        b'@article{good2, title = "Synthetic example: second", doi = {10.1234/ABC}}\n'
        b"@misc{nofields}\n"
        b"@article{nothing, year = 2000}\n"
        b"@article{bad, title = {x} = y}\n"
        b"@comment{ignored}\n"
        b"@article{unended, title={never {ends}\n"
    )
    items = read_bytes(bibtex.read, data)
    assert [record.ids.source_id for record in records(items)] == ["good1", "good2"]
    assert [(item.position, item.reason.split(" (")[0]) for item in problems(items)] == [
        ("line 4", "the entry does not end"),
        ("line 7", "the @misc entry 'nofields' has no fields"),
        ("line 8", "no title and no identifier"),
        ("line 9", "unexpected '=' where a field name should be"),
        ("line 11", "the entry does not end"),
    ]


def test_bibtex_reads_in_pieces_without_breaking_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    data = "@article{k,\n title = {Synthetic example: Müller, Łódź, 東京},\n year = 2001}\n".encode()
    whole = records(read_bytes(bibtex.read, data))
    monkeypatch.setattr(bibtex, "_PIECE", 5)
    pieces = records(read_bytes(bibtex.read, data))
    assert whole == pieces
    assert pieces[0].title == "Synthetic example: Müller, Łódź, 東京"
    assert pieces[0].source is not None
    assert pieces[0].source.position == "line 1"


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ("{\\\"u}ber \\\"{o} \\'e {\\'e} \\`a \\^o \\~n", "über ö é é à ô ñ"),
        ("\\c{c} \\v{s} {\\ss} {\\o} {\\aa} \\l", "ç š ß ø å ł"),
        ("pages 1--5, a---b, non~breaking, R\\&D, 100\\%", "pages 1–5, a—b, non breaking, R&D, 100%"),
        ("{{Outer}} \\textit{italic} $\\alpha$", "Outer italic α"),
        ("\\'{\\i}", "í"),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert bibtex.latex_to_text(latex) == text


# ---------------------------------------------------------------- empty input, gzip


@pytest.mark.parametrize("reader", [ris.read, medline.read, bibtex.read])
@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_input_gives_nothing(reader: ReadFunction, data: bytes) -> None:
    assert read_bytes(reader, data) == []


@pytest.mark.parametrize(
    ("folder", "name", "fmt"),
    [
        ("ris", "scopus.ris", "ris"),
        ("medline-nbib", "MEDLINEnbib_case03.nbib", "medline"),
        ("bibtex", "BibTeX_case10.bib", "bibtex"),
    ],
)
def test_gzip_files_are_read_through_read_file(tmp_path: Path, folder: str, name: str, fmt: str) -> None:
    original = DATA / folder / name
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress(original.read_bytes()))
    from_gzip = records(list(read_file(packed)))
    plain = records(list(read_file(original)))
    assert from_gzip
    assert [record.title for record in from_gzip] == [record.title for record in plain]
    assert [record.ids for record in from_gzip] == [record.ids for record in plain]
    assert all(record.source is not None and record.source.format == fmt for record in from_gzip)
    assert all(record.source is not None and record.source.path == str(packed) for record in from_gzip)
