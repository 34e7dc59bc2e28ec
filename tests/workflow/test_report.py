"""The report as a reader gets it: numbers in the PDF equal the results, fonts embedded, rebuilds
reproducible, the HTML report complete, and single figures rebuildable by name."""

import csv
import json
import shutil
import subprocess
import zipfile

import pytest

from dlrepro.claims import IMPLIED
from dlrepro.report import fmt_ci
from tests.workflow.conftest import snakemake

pytestmark = pytest.mark.e2e

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) not installed"
)


def _pdf_text(pdf) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # layout line breaks and runs of spaces do not matter


def _plain(latex: str) -> str:
    return latex.replace(" $\\pm$ ", " ± ")


@needs_poppler
def test_key_numbers_in_the_pdf_equal_the_results(tiny_run):
    work, _ = tiny_run
    text = _pdf_text(work / "results/report/report.pdf")
    summary = json.loads((work / "results/autoencoder/summary.json").read_text())
    for reduction, reading in summary["readings"].items():
        assert _plain(fmt_ci(reading["test_mse"])) in text, f"test MSE of the {reduction} reading missing from the PDF"
    models = json.loads((work / "results/autoencoder/models_summary.json").read_text())
    assert _plain(fmt_ci(models["rows"]["conv"]["test_mse"])) in text
    claims = [row for path in sorted((work / "results").glob("*/claims.json")) for row in json.loads(path.read_text())]
    assert claims, "no claims files"
    reproduced = sum(row["verdict"] == "reproduced" for row in claims)
    implied = sum(row["claim"].startswith(IMPLIED) for row in claims)
    assert implied == 1, "the vision study's trend row is the one claim the paper implies without stating it"
    are = "is" if reproduced == 1 else "are"
    assert (
        f"Of the {len(claims)} claims we test (one of them implied by the paper rather than stated), {reproduced} {are} reproduced"
        in text
    )
    trends = [row["trend"]["words"] for row in claims if "trend" in row]
    assert len(trends) >= 7, "every sequence and vision comparison row carries its trend along the ladder"
    flat = " ".join(text.split())
    assert all(" ".join(w.split("+-")[0].split()[:4]) in flat for w in trends), (
        "each trend is printed in the claims table"
    )
    with open(work / "results/report/claims.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["id"] for r in rows if r["trend_direction"]} == {row["id"] for row in claims if "trend" in row}
    env = json.loads((work / "results/report/environment.json").read_text())
    assert env["date"] in text and env["git_commit"] in text
    # tiny.yaml's report_notice, on the title page and above the claims table
    assert text.count("Note. A smoke test (config/tiny.yaml): the models train for seconds") == 2


@needs_poppler
def test_fonts_are_embedded_and_never_type3(tiny_run):
    work, _ = tiny_run
    for pdf in [work / "results/report/report.pdf", *sorted((work / "results/report/figures").glob("*.pdf"))]:
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[
            2:
        ]
        assert fonts or pdf.name != "report.pdf"
        for line in fonts:
            assert "Type 3" not in line, f"{pdf.name}: Type 3 font {line.split()[0]}"
            assert " yes " in line, f"{pdf.name}: font not embedded: {line}"


def test_rebuilding_the_report_gives_the_same_pdf(tiny_run, tmp_path):
    done_work, args = tiny_run
    work = tmp_path / "work"  # a copy, so the shared run stays as it was
    shutil.copytree(done_work, work, symlinks=True)
    pdf = work / "results/report/report.pdf"
    first = pdf.read_bytes()
    pdf.unlink()
    snakemake(work, str(pdf.relative_to(work)), "--cores", "1", *args)  # targets before --config
    assert pdf.read_bytes() == first, "the same results must give a byte-identical report"


def test_one_figure_rebuilds_alone_by_naming_it(tiny_run, tmp_path):
    done_work, args = tiny_run
    work = tmp_path / "work"
    shutil.copytree(done_work, work, symlinks=True)
    figure = work / "results/report/figures/ae_compression.pdf"
    figure.unlink()
    plan = snakemake(work, "results/report/figures/ae_compression.pdf", "-n", "--quiet", "rules", *args).stdout
    assert "plot_autoencoder_models" in plan and "train_torch_autoencoder" not in plan and "build_report" not in plan
    snakemake(work, "results/report/figures/ae_compression.pdf", "--cores", "1", *args)
    assert figure.stat().st_size > 1000


def test_html_report_has_every_figure_with_a_caption(tiny_run, tmp_path):
    work, args = tiny_run
    out = tmp_path / "report.zip"
    snakemake(work, "--report", str(out), *args)
    names = zipfile.ZipFile(out).namelist()
    figures = sorted(p.name for p in (work / "results/report/figures").glob("*.pdf"))
    for name in [*figures, "report.pdf", "claims.csv", "compute.csv"]:
        assert any(n.endswith("/" + name) for n in names), f"{name} missing from the HTML report"
