"""``nonpro scan score`` and ``nonpro scan simulate`` on the real samples, and format detection. No Django."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import pytest

from nonpro.cli import main
from nonpro.scanning.options import FORMAT_NAMES
from nonpro.scanning.pipeline import local_engine, pool_engine, score_files
from nonpro.scanning.readers import FORMATS, detect

DATA = Path(__file__).parent / "data"
FORMATS_DIR = DATA / "formats"
#: Sample folder → the format every sample in it is detected as (files that are not samples are left out).
FOLDERS = {
    "pubmed-xml": "pubmed-xml",
    "medline-nbib": "medline",
    "arxiv-atom": "arxiv-atom",
    "arxiv-oai-pmh": "oai-pmh",
    "crossref-json": "crossref-json",
    "openalex-json": "openalex-json",
    "ris": "ris",
    "bibtex": "bibtex",
    "endnote-xml": "endnote-xml",
}
NOT_SAMPLES = {"pubmed_endnote.txt", "web_of_science.txt"}
KEYS = {"id", "title", "score", "domains", "explanation", "duplicate_of"}


def samples(folder: str) -> list[Path]:
    return sorted(
        path for path in (FORMATS_DIR / folder).iterdir() if "LICENSE" not in path.name and path.name not in NOT_SAMPLES
    )


def test_every_format_has_a_reader() -> None:
    assert set(FORMATS) == set(FORMAT_NAMES)


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_every_sample_is_detected_as_its_format(folder: str) -> None:
    for path in samples(folder):
        head = path.read_bytes()[:16384]
        assert detect(head, path.name) == FOLDERS[folder], path.name


def test_tabular_files_are_detected_by_name_or_header() -> None:
    assert detect(b"record_id,title,abstract\n1,a,b\n", "x.csv") == "csv"
    assert detect(b"title\tabstract\n", "export.txt") == "tsv"
    assert detect(b"PK\x03\x04....", "sheet.xlsx") == "xlsx"
    assert detect(b'{"title": "Synthetic example"}\n{"title": "b"}\n', "x.jsonl") == "jsonl"


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_score_reads_every_sample_and_writes_one_line_per_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = [str(path) for folder in sorted(FOLDERS) for path in samples(folder)]
    out = tmp_path / "out.jsonl"

    code, _out, err = run("scan", "score", *inputs, "-o", str(out), capsys=capsys)

    assert code == 0
    written = lines(out)
    summary = err.strip().splitlines()[-1]
    counts = dict(part.strip().rsplit(" ", 1) for part in summary.split(","))
    read, errors = int(counts["read"]), int(counts["error"])
    assert len(written) == read + errors  # nothing dropped: a record or its error, each on a line
    assert read > 300
    assert int(counts["scored"]) == read
    records = [line for line in written if "error" not in line]
    assert all(set(line) == KEYS for line in records)
    assert all(0.0 <= float(line["score"]) < 1.0 for line in records)  # type: ignore[arg-type]
    assert sum(1 for line in records if line["duplicate_of"]) == int(counts["duplicate"])
    assert all(str(line["error"]).count(":") >= 2 for line in written if "error" in line)  # file: position: reason


def test_duplicates_across_files_point_at_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "a.csv"
    first.write_text(
        "record_id,title,abstract,doi\n"
        "A1,Synthetic example: licensing of dual-use exports,Synthetic example.,10.5555/synthetic.1\n",
        encoding="utf-8",
    )
    second = tmp_path / "b.jsonl"
    second.write_text(
        json.dumps(
            {"id": "B1", "title": "Synthetic example: another title", "doi": "https://doi.org/10.5555/SYNTHETIC.1"}
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"

    code, _out, err = run("scan", "score", str(first), str(second), "-o", str(out), capsys=capsys)

    assert code == 0
    written = lines(out)
    assert [line["id"] for line in written] == ["A1", "B1"]
    assert [line["duplicate_of"] for line in written] == [None, "A1"]
    assert "duplicate 1" in err


def test_gzip_inputs_give_the_same_lines(tmp_path: Path) -> None:
    sample = samples("pubmed-xml")[0]
    packed = tmp_path / "sample.xml.gz"
    packed.write_bytes(gzip.compress(sample.read_bytes()))
    plain, zipped = io.StringIO(), io.StringIO()
    score_files([sample], plain, progress=False)
    score_files([packed], zipped, progress=False)
    assert plain.getvalue() == zipped.getvalue() != ""


def test_a_process_pool_gives_the_same_output(tmp_path: Path) -> None:
    inputs = [path for folder in ("ris", "bibtex") for path in samples(folder)[:4]]
    alone, pooled = io.StringIO(), io.StringIO()
    score_files(inputs, alone, engine=local_engine, progress=False)
    score_files(inputs, pooled, engine=pool_engine(2), progress=False)
    assert alone.getvalue() == pooled.getvalue()


def test_unreadable_inputs_are_reported_and_the_rest_scored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.ris"
    shutil.copy(samples("ris")[0], good)
    strange = tmp_path / "strange.dat"
    strange.write_bytes(b"\x00\x01 nothing the scanner reads")
    out = tmp_path / "out.jsonl"

    code, _out, err = run("scan", "score", str(good), str(strange), "-o", str(out), capsys=capsys)

    assert code == 0
    written = lines(out)
    assert written[-1]["error"] is not None
    assert str(strange) in str(written[-1]["error"])
    assert any("error" not in line for line in written)
    assert f"error: {strange}: file:" in err
    assert run("scan", "score", str(tmp_path / "missing.csv"), "-o", str(out), capsys=capsys)[0] == 2


def test_simulate_prints_asreview_metrics_as_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run("scan", "simulate", str(DATA / "Antihistamines.csv"), "--seed", "1", "--json", capsys=capsys)
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"records", "relevant", "wss95", "rrf10", "loss", "atd", "seconds"}
    assert result["records"] == 308
    assert result["relevant"] == 15
    assert 0 <= result["loss"] <= 1
    assert 0 < result["atd"] < 1


def test_simulate_takes_prior_indexes_and_refuses_bad_ones(capsys: pytest.CaptureFixture[str]) -> None:
    data = str(DATA / "Antihistamines.csv")
    code, out, _err = run("scan", "simulate", data, "--prior-idx", "0", "1", "2", "--json", capsys=capsys)
    assert code == 0
    assert json.loads(out)["records"] == 310 - 3
    code, _out, err = run("scan", "simulate", data, "--prior-idx", "99999", capsys=capsys)
    assert code == 1
    assert "is not a record" in err


def test_a_dask_cluster_gives_the_same_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = [str(path) for folder in ("pubmed-xml", "ris") for path in samples(folder)[:3]]
    alone, on_dask = tmp_path / "alone.jsonl", tmp_path / "dask.jsonl"

    assert run("scan", "score", *inputs, "-o", str(alone), capsys=capsys)[0] == 0
    assert run("scan", "score", *inputs, "-o", str(on_dask), "--dask", "local", capsys=capsys)[0] == 0

    assert on_dask.read_text(encoding="utf-8") == alone.read_text(encoding="utf-8")
    assert len(lines(alone)) > 5


def test_the_progress_line_shows_records_rate_share_and_eta() -> None:
    from nonpro.scanning.pipeline import Progress

    shown = io.StringIO()
    meter = Progress(total_bytes=1000, stream=shown, started=0.0)
    meter.update(250, 500, final=True)
    line = shown.getvalue()
    assert line.startswith("\r250 records · ")
    assert "/s · " in line
    assert "50.0%" in line
    assert "ETA " in line
    assert line.endswith("\n")
