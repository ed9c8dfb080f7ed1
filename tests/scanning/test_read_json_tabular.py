"""The JSON readers (Crossref, OpenAlex, JSON Lines) and the tabular ones (CSV, TSV, XLSX)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from nonpro.scanning.readers import FORMATS, crossref, read_file
from nonpro.scanning.readers.base import ReadItem
from nonpro.scanning.readers.crossref import abstract_text, strip_markup
from nonpro.scanning.readers.openalex import abstract_from_index
from nonpro.scanning.readers.tabular import iso_date, parse_label, read_xlsx
from nonpro.scanning.records import Problem, Record

DATA = Path(__file__).parent / "data"
FORMATS_DIR = DATA / "formats"
CROSSREF = FORMATS_DIR / "crossref-json"
OPENALEX = FORMATS_DIR / "openalex-json"
ANTIHISTAMINES = DATA / "Antihistamines.csv"


def read(path: Path, fmt: str | None = None) -> list[ReadItem]:
    return list(read_file(path, fmt))


def records(items: list[ReadItem]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def problems(items: list[ReadItem]) -> list[Problem]:
    return [item for item in items if isinstance(item, Problem)]


def only_record(path: Path) -> Record:
    items = read(path)
    assert problems(items) == []
    assert len(items) == 1
    return records(items)[0]


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def gzipped(path: Path, target: Path) -> Path:
    with path.open("rb") as raw, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    return target


# --- every real sample ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [(path, "crossref-json") for path in sorted(CROSSREF.glob("*.json"))]
    + [(path, "openalex-json") for path in sorted(OPENALEX.glob("*.json"))],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_every_sample_is_read_whole(path: Path, fmt: str) -> None:
    items = read(path)
    assert problems(items) == []
    found = records(items)
    assert found
    for number, record in enumerate(found, start=1):
        assert record.source is not None
        assert (record.source.format, record.source.position, record.source.path) == (
            fmt,
            f"record {number}",
            str(path),
        )
        assert record.title
        assert record.ids.doi or record.ids.openalex
        assert "<" not in record.title
        assert "<jats" not in record.abstract


def test_the_samples_are_all_there() -> None:
    assert len(list(CROSSREF.glob("*.json"))) == 8
    assert len(list(OPENALEX.glob("*.json"))) == 8


# --- Crossref --------------------------------------------------------------------------------------


def test_crossref_work_response() -> None:
    record = only_record(CROSSREF / "habanero_test_works_with_many_ids_1.json")
    assert record.ids.doi == "10.1002/jor.1100150407"
    assert record.title == (
        "Growth hormone secretagogue increases muscle strength during remobilization"
        " after canine hindlimb immobilization"
    )
    assert record.abstract.startswith("Twenty\u2010two beagles were divided into two equal groups")
    assert len(record.authors) == 12
    assert record.authors[0].name == "Richard L. Lieber"
    assert (record.date, record.kind, record.venue, record.language) == (
        "1997-07",
        "article",
        "Journal of Orthopaedic Research",
        "en",
    )
    assert record.url == "https://doi.org/10.1002/jor.1100150407"
    assert record.label is None


def test_crossref_work_list_response() -> None:
    found = records(read(CROSSREF / "habanero_test_works_field_queries_0.json"))
    assert len(found) == 20
    first = found[0]
    assert (first.title, first.ids.doi, first.date) == ("The forecast trap", "10.1111/ele.14024", "2022-05-30")
    # The "Abstract" heading and the JATS tags are gone.
    assert first.abstract.startswith("Encouraged by decision makers\u2019 appetite for future information")
    assert first.authors[0].affiliations == (
        "Department of Environmental Science, Policy, and Management University of California Berkeley California USA",
    )
    preprint = found[3]
    assert (preprint.kind, preprint.venue, preprint.ids.doi) == ("preprint", "bioRxiv", "10.1101/055319")
    assert found[5].title.startswith("Treebase: an")  # <scp>T</scp>reebase: small capitals removed
    assert found[11].venue == "Big Data & Society"  # "&amp;" unescaped
    assert found[7].authors[1].affiliations[0].startswith("Department of Environmental Science, Policy, & Management")
    assert found[16].kind == "dataset"


def test_crossref_proceedings_article_and_date_fallback() -> None:
    record = only_record(CROSSREF / "habanero_test_works_with_many_ids_3.json")
    assert record.kind == "conference-paper"
    assert record.venue.startswith("23rd International Conference on Distributed Computing Systems Workshops")
    assert record.date == "2004-06-22"  # "issued" is [[null]]: the next date given is used
    assert [author.name for author in record.authors] == ["V. Arya", "T. Turletti"]


def test_crossref_abstract_markup_is_stripped_not_parsed() -> None:
    markup = (
        "<jats:title>Abstract</jats:title><jats:p>Synthetic example: H<jats:sub>2</jats:sub>O &amp; "
        "p &lt; 0.05.</jats:p><jats:sec><jats:title>Methods</jats:title><jats:p>Next.</jats:p></jats:sec>"
    )
    assert abstract_text(markup) == "Synthetic example: H2O & p < 0.05. Methods Next."
    assert strip_markup("The role of\n   <scp>AI</scp>\n in ecology") == "The role of AI in ecology"


def test_crossref_abstract_entities_are_never_resolved() -> None:
    hostname = Path("/etc/hostname")
    secret = (hostname.read_text().strip() if hostname.exists() else "") or "no-hostname-file"
    markup = '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><jats:p>Synthetic example &e; end</jats:p>'
    text = abstract_text(markup)
    assert "&e; end" in text
    assert secret not in text.replace("file:///etc/hostname", "")


def test_crossref_bare_works_bad_ones_among_good(tmp_path: Path) -> None:
    works = [
        {"DOI": "10.1234/SYNTH.1", "title": ["Synthetic example: first"], "type": "book-chapter"},
        "not a work",
        {"title": 5, "DOI": "10.1234/synth.3"},
        {"type": "journal-article", "subject": ["Synthetic"]},
        {"DOI": "10.1234/synth.5", "title": ["Synthetic example: last"], "subtitle": ["a subtitle"]},
    ]
    items = read(write(tmp_path / "works.json", json.dumps({"message-type": "work-list", "message": {"items": works}})))
    assert [item.source.position for item in records(items) if item.source] == ["record 1", "record 5"]
    first, last = records(items)
    assert (first.ids.doi, first.kind) == ("10.1234/synth.1", "book")
    assert last.title == "Synthetic example: last: a subtitle"
    assert [(problem.position, problem.reason) for problem in problems(items)] == [
        ("record 2", "not a JSON object (got str)"),
        ("record 3", "field 'title': expected an array, got int"),
        ("record 4", "no title and no identifier"),
    ]


def test_crossref_single_bare_work_and_array(tmp_path: Path) -> None:
    work = {"DOI": "10.1234/synth.9", "title": ["Synthetic example"], "issued": {"date-parts": [[2024, 3]]}}
    single = records(
        read(write(tmp_path / "one.json", json.dumps({"status": "ok", "message-type": "work", "message": work})))
    )
    array = records(read(write(tmp_path / "array.json", json.dumps([work, work])), "crossref-json"))
    assert [record.date for record in single] == ["2024-03"]
    assert [record.source.position for record in array if record.source] == ["record 1", "record 2"]


def test_crossref_other_response_is_one_problem(tmp_path: Path) -> None:
    body = {"status": "failed", "message-type": "validation-failure", "message": [{"type": "parameter-not-allowed"}]}
    items = read(write(tmp_path / "error.json", json.dumps(body)))
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    assert items[0].position == "file"
    assert "validation-failure" in items[0].reason


def test_crossref_malformed_json_is_one_problem_with_its_line(tmp_path: Path) -> None:
    text = '{"message-type": "work-list",\n "message": {"items": [\n {"DOI": "10.1/x", }\n]}}'
    items = read(write(tmp_path / "broken.json", text))
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    assert items[0].position == "line 3"
    assert items[0].reason.startswith("not valid JSON")


def test_a_json_document_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crossref, "MAX_JSON_BYTES", 100)
    items = read(CROSSREF / "habanero_test_works_with_many_ids_4.json")
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    assert items[0].position == "file"
    assert "use JSON Lines" in items[0].reason


@pytest.mark.parametrize("fmt", ["crossref-json", "openalex-json", "jsonl", "csv", "tsv", "xlsx"])
def test_empty_input_gives_nothing(tmp_path: Path, fmt: str) -> None:
    assert read(write(tmp_path / "empty", b""), fmt) == []


@pytest.mark.parametrize("fmt", ["crossref-json", "openalex-json"])
def test_whitespace_only_json_gives_nothing(tmp_path: Path, fmt: str) -> None:
    assert read(write(tmp_path / "blank.json", b"\xef\xbb\xbf  \n"), fmt) == []


def test_crossref_gzip(tmp_path: Path) -> None:
    original = CROSSREF / "habanero_test_works_field_queries_0.json"
    packed = gzipped(original, tmp_path / "works.json.gz")
    assert [record.ids.doi for record in records(read(packed))] == [
        record.ids.doi for record in records(read(original))
    ]
    assert len(records(read(packed))) == 20


# --- OpenAlex --------------------------------------------------------------------------------------


def test_openalex_single_work() -> None:
    record = only_record(OPENALEX / "OpenAlex_JSON_case00.json")
    assert (record.ids.openalex, record.ids.doi) == ("W2099326003", "10.2307/1885099")
    assert record.title == "Labor Contracts as Partial Gift Exchange"
    assert record.abstract.startswith("This paper explains involuntary unemployment in terms of the response of firms")
    assert [(author.name, author.affiliations, author.countries) for author in record.authors] == [
        ("George A. Akerlof", ("University of California, Berkeley",), ("US",))
    ]
    assert (record.venue, record.date, record.language, record.kind) == (
        "The Quarterly Journal of Economics",
        "1982-11-01",
        "en",
        "article",
    )
    # Keywords first, then concepts and topics; "Labour economics" is a concept.
    assert record.keywords[:3] == ("labor", "exchange", "gift")
    assert "Labour economics" in record.keywords
    assert record.url == "https://doi.org/10.2307/1885099"


def test_openalex_list_response() -> None:
    found = records(read(OPENALEX / "OpenAlex_JSON_case05.json"))
    assert [record.ids.openalex for record in found] == [
        "W2046245907",
        "W4237963058",
        "W4239223537",
        "W78857221",
        "W2358372115",
    ]
    assert found[1].title == "Notices"
    assert found[1].authors == ()
    assert found[0].authors[0].affiliations == ("Ridgmar Blvd. Fort Worth, Tex",)  # raw string: no institution
    assert found[2].kind == "book"
    assert found[2].authors[0].countries == ("ZA",)
    assert (found[3].ids.doi, found[3].language, len(found[3].authors)) == ("", "de", 3)
    assert found[3].url == "http://www.osti.gov/scitech/biblio/4528110"


def test_openalex_conference_paper_and_preprint() -> None:
    paper = only_record(OPENALEX / "OpenAlex_JSON_case06.json")
    assert (paper.kind, paper.ids.doi, paper.venue) == ("conference-paper", "", "Neural Information Processing Systems")
    assert paper.keywords[0] == "Domain Adaptation"
    preprint = only_record(OPENALEX / "OpenAlex_JSON_case07.json")
    assert (preprint.kind, preprint.ids.arxiv, preprint.ids.doi) == (
        "preprint",
        "1201.0490",
        "10.48550/arxiv.1201.0490",
    )
    assert len(preprint.authors) == 16
    assert preprint.authors[0].name == "Fabián Pedregosa"
    assert preprint.authors[0].countries == ("FR",)
    assert preprint.abstract.startswith("Scikit-learn is a Python module integrating a wide range")


def test_openalex_abstract_from_inverted_index() -> None:
    assert abstract_from_index({"example:": [1], "Synthetic": [0], "words": [2, 4], "and": [3]}) == (
        "Synthetic example: words and words"
    )
    assert abstract_from_index(None) == ""


def test_openalex_identifiers_mesh_and_broken_work(tmp_path: Path) -> None:
    good = {
        "id": "https://openalex.org/W1",
        "display_name": "Synthetic example: a <i>mouse</i> study",
        "ids": {
            "pmid": "https://pubmed.ncbi.nlm.nih.gov/12345678",
            "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/7654321",
        },
        "mesh": [{"descriptor_name": "Mice", "qualifier_name": None}],
        "publication_year": 2021,
        "authorships": [{"author": {"display_name": "A. Author"}, "countries": ["gb", "nowhere"]}],
    }
    broken = {"id": "https://openalex.org/W2", "title": "Synthetic", "abstract_inverted_index": "oops"}
    items = read(write(tmp_path / "works.json", json.dumps({"meta": {}, "results": [good, broken]})))
    (record,) = records(items)
    assert (record.ids.pmid, record.ids.pmcid, record.ids.openalex) == ("12345678", "PMC7654321", "W1")
    assert (record.title, record.date, record.mesh_terms) == ("Synthetic example: a mouse study", "2021", ("Mice",))
    assert record.authors[0].countries == ("GB",)
    assert [(problem.position, problem.reason) for problem in problems(items)] == [
        ("record 2", "field 'abstract_inverted_index': expected an object, got str")
    ]


def test_openalex_gzip_and_array(tmp_path: Path) -> None:
    works = [json.loads((OPENALEX / f"OpenAlex_JSON_case0{number}.json").read_text()) for number in (0, 1)]
    plain = write(tmp_path / "works.json", json.dumps(works))
    packed = gzipped(plain, tmp_path / "works.json.gz")
    assert [record.ids.openalex for record in records(read(packed))] == ["W2099326003", "W3123223998"]


# --- JSON Lines ------------------------------------------------------------------------------------


def jsonl_lines() -> list[bytes]:
    openalex_work = json.loads((OPENALEX / "OpenAlex_JSON_case00.json").read_text())
    crossref_work = json.loads((CROSSREF / "habanero_test_works_with_many_ids_1.json").read_text())["message"]
    flat = {
        "title": "Synthetic example: a flat record",
        "abstract": "Synthetic abstract.",
        "authors": [
            "Ada Example",
            {"name": "Bo Example", "affiliations": ["Synthetic Institute"], "countries": ["ch"]},
        ],
        "doi": "https://doi.org/10.1234/FLAT.1",
        "pmid": 31000001,
        "arxiv": "arXiv:2401.01234v2",
        "record_id": "r-1",
        "venue": "Synthetic Journal",
        "year": 2023,
        "keywords": "alpha; beta",
        "mesh_terms": ["Humans"],
        "kind": "Article",
        "label_included": "yes",
    }
    return [
        b"\xef\xbb\xbf" + json.dumps(openalex_work).encode(),  # line 1, with a BOM
        json.dumps(crossref_work).encode(),  # line 2
        b"",  # line 3: blank
        json.dumps(flat).encode(),  # line 4
        b'{"title": "Synthetic example", broken',  # line 5
        b"[1, 2]",  # line 6
        json.dumps({"abstract": "Synthetic: no title, no identifier"}).encode(),  # line 7
        json.dumps({"id": "x-8", "title": "Synthetic", "label": "maybe"}).encode(),  # line 8
        '{"title": "Synthetic example: caf\u00e9", "id": "x-9", "label": 0}'.encode("latin-1"),  # line 9
    ]


def test_jsonl_mixed_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.jsonl", b"\n".join(jsonl_lines()) + b"\n")
    items = read(path)
    openalex_record, crossref_record, flat, latin = records(items)
    assert [record.source.position for record in records(items) if record.source] == [
        "line 1",
        "line 2",
        "line 4",
        "line 9",
    ]
    assert {record.source.format for record in records(items) if record.source} == {"jsonl"}
    assert openalex_record.ids.openalex == "W2099326003"
    assert openalex_record.abstract.startswith("This paper explains involuntary unemployment")
    assert (crossref_record.ids.doi, len(crossref_record.authors)) == ("10.1002/jor.1100150407", 12)
    assert flat.ids.doi == "10.1234/flat.1"
    assert (flat.ids.pmid, flat.ids.arxiv, flat.ids.source_id) == ("31000001", "2401.01234", "r-1")
    assert [(author.name, author.affiliations, author.countries) for author in flat.authors] == [
        ("Ada Example", (), ()),
        ("Bo Example", ("Synthetic Institute",), ("CH",)),
    ]
    assert (flat.date, flat.venue, flat.keywords, flat.mesh_terms, flat.kind, flat.label) == (
        "2023",
        "Synthetic Journal",
        ("alpha", "beta"),
        ("Humans",),
        "article",
        1,
    )
    assert latin.title == "Synthetic example: caf\ufffd"  # not UTF-8: read with a replacement character
    assert latin.label == 0
    reasons = {problem.position: problem.reason for problem in problems(items)}
    assert set(reasons) == {"line 5", "line 6", "line 7", "line 8"}
    assert reasons["line 5"].startswith("not a JSON object (Expecting")
    assert reasons["line 6"] == "not a JSON object (a JSON list)"
    assert reasons["line 7"] == "no title and no identifier"
    assert reasons["line 8"] == "label 'maybe' is not 1/0, yes/no or true/false"


def test_jsonl_gzip_is_detected(tmp_path: Path) -> None:
    plain = write(tmp_path / "records.jsonl", b"\n".join(jsonl_lines()[:2]))
    packed = gzipped(plain, tmp_path / "records.jsonl.gz")
    assert [record.ids.primary() for record in records(read(packed))] == ["10.2307/1885099", "10.1002/jor.1100150407"]


# --- CSV, TSV, XLSX --------------------------------------------------------------------------------


def labelled_in_file() -> int:
    with ANTIHISTAMINES.open(newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.DictReader(handle) if row["label_included"].strip() == "1")


def test_antihistamines_csv() -> None:
    items = read(ANTIHISTAMINES)
    assert problems(items) == []
    found = records(items)
    assert len(found) == 310
    assert sum(1 for record in found if record.label == 1) == labelled_in_file() == 16
    assert {record.label for record in found} == {0, 1}
    first = found[0]
    assert first.title.startswith("Docetaxel (Taxotere) plus cisplatin: an active and well-tolerated combination")
    assert (first.ids.pmid, first.ids.source_id, first.date, first.label) == ("10070306", "1", "1999", 0)
    assert first.authors[0].name == "T Le Chevalier"
    assert len(first.authors) == 9
    assert first.abstract.startswith("The activity of the combination of intravenous docetaxel")
    assert [record.source.position for record in found[:3] if record.source] == ["row 1", "row 2", "row 3"]
    assert {record.source.format for record in found if record.source} == {"csv"}


def test_csv_gzip(tmp_path: Path) -> None:
    found = records(read(gzipped(ANTIHISTAMINES, tmp_path / "Antihistamines.csv.gz")))
    assert len(found) == 310
    assert sum(1 for record in found if record.label == 1) == labelled_in_file()


SYNTHETIC_ROWS = [
    [
        "Synthetic example: one",
        "Abstract one.",
        "alpha; beta",
        "Ada Example; Bo Example",
        "10.1234/ONE",
        "2020.0",
        "yes",
    ],
    ["", "Synthetic: no title, no id.", "", "", "", "2021", "0"],
    ["Synthetic example: three", "", "gamma, delta", "", "", "2022-05-03", ""],
    ["", "", "", "", "", "", ""],
    ["Synthetic example: five", "", "", "", "", "", "perhaps"],
]


def test_csv_semicolon_synonyms_and_bad_rows(tmp_path: Path) -> None:
    lines = [";".join(["Primary Title", "AB", "KW", "AU", "DOI", "Year", "Included"])]
    lines += [";".join(f'"{cell}"' if ";" in cell else cell for cell in row) for row in SYNTHETIC_ROWS]
    items = read(write(tmp_path / "semicolons.csv", "\r\n".join(lines) + "\r\n"))
    one, three = records(items)
    assert (one.title, one.abstract, one.keywords, one.ids.doi, one.date, one.label) == (
        "Synthetic example: one",
        "Abstract one.",
        ("alpha", "beta"),
        "10.1234/one",
        "2020",
        1,
    )
    assert [author.name for author in one.authors] == ["Ada Example", "Bo Example"]
    assert (three.keywords, three.date, three.label) == (("gamma", "delta"), "2022-05-03", None)
    assert [record.source.position for record in (one, three) if record.source] == ["row 1", "row 3"]
    assert [(problem.position, problem.reason) for problem in problems(items)] == [
        ("row 2", "no title and no identifier"),
        ("row 5", "label 'perhaps' is not 1/0, yes/no or true/false"),
    ]


def test_tsv(tmp_path: Path) -> None:
    header = "TI\tPMID\tjournal\tlabel_included\tlabel\turl"
    rows = ["Synthetic example: tab\t00123\tSynthetic Journal\t1\t0\thttps://example.org/1", "\t\t\t\t\t"]
    items = read(write(tmp_path / "records.tsv", "\n".join([header, *rows])))
    (record,) = records(items)
    assert problems(items) == []
    assert (record.title, record.ids.pmid, record.venue, record.label, record.url) == (
        "Synthetic example: tab",
        "123",
        "Synthetic Journal",
        1,  # label_included wins over label
        "https://example.org/1",
    )
    assert record.source is not None
    assert record.source.format == "tsv"


def test_header_without_known_column_is_one_problem(tmp_path: Path) -> None:
    items = read(write(tmp_path / "unknown.csv", "colour,size\nred,1\nblue,2\n"))
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    assert items[0].position == "row 0"
    assert items[0].reason.startswith("no known column in the header")


def test_header_only_csv_gives_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path / "header.csv", "title,abstract\n")) == []


def make_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Abstract", "pubmedID", "year", "Authors", "label_included"])
    sheet.append(["Synthetic example: sheet one", "Synthetic abstract.", 31000002, 2019, "Ada Example", 1])
    sheet.append([None, "Synthetic: no title, no id.", None, 2020, None, 0])
    sheet.append(["Synthetic example: sheet three", None, None, 2021.0, None, None])
    workbook.save(path)
    return path


def check_workbook(items: list[ReadItem]) -> None:
    one, three = records(items)
    assert (one.title, one.ids.pmid, one.date, one.label, one.authors[0].name) == (
        "Synthetic example: sheet one",
        "31000002",
        "2019",
        1,
        "Ada Example",
    )
    assert (three.title, three.date, three.label) == ("Synthetic example: sheet three", "2021", None)
    assert [record.source.position for record in (one, three) if record.source] == ["row 1", "row 3"]
    assert [(problem.position, problem.reason) for problem in problems(items)] == [
        ("row 2", "no title and no identifier")
    ]


def test_xlsx(tmp_path: Path) -> None:
    items = read(make_workbook(tmp_path / "records.xlsx"))
    check_workbook(items)
    assert {record.source.format for record in records(items) if record.source} == {"xlsx"}


def test_xlsx_gzip(tmp_path: Path) -> None:
    packed = gzipped(make_workbook(tmp_path / "records.xlsx"), tmp_path / "records.xlsx.gz")
    check_workbook(read(packed))


class Unseekable(io.RawIOBase):
    """A stream that can only be read forward (as from a pipe)."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_xlsx_from_an_unseekable_stream(tmp_path: Path) -> None:
    data = make_workbook(tmp_path / "records.xlsx").read_bytes()
    check_workbook(list(read_xlsx(io.BufferedReader(Unseekable(data)), "piped.xlsx")))


def test_broken_xlsx_is_one_problem(tmp_path: Path) -> None:
    items = read(write(tmp_path / "broken.xlsx", b"PK\x03\x04 Synthetic example: not a workbook"))
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    assert items[0].position == "file"
    assert items[0].reason.startswith("not a readable XLSX workbook")


# --- helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1, 1),
        (0, 0),
        ("1", 1),
        ("0", 0),
        ("1.0", 1),
        (1.0, 1),
        ("Yes", 1),
        ("no", 0),
        ("TRUE", 1),
        (False, 0),
        ("", None),
        (None, None),
        ("-1", None),
        (float("nan"), None),
    ],
)
def test_parse_label(value: object, label: int | None) -> None:
    assert parse_label(value) == label


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2004", "2004"),
        ("2004.0", "2004"),
        ("2004-9", "2004-09"),
        ("2004-09-01T00:00:00", "2004-09-01"),
        ("Sep 2004", "2004"),
        ("", ""),
        ("n.d.", ""),
    ],
)
def test_iso_date(text: str, iso: str) -> None:
    assert iso_date(text) == iso


def test_the_registry_names_these_readers() -> None:
    assert {"crossref-json", "openalex-json", "jsonl", "csv", "tsv", "xlsx"} <= set(FORMATS)
