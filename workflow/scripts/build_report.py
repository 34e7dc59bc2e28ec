"""Compile the LaTeX report with latexmk inside results/report/ (template, generated/ and figures/ side by side)."""

import shutil
import subprocess
import sys
from pathlib import Path

from dlrepro.io import setup_logging

setup_logging(snakemake.log[0])
if shutil.which("latexmk") is None:
    sys.exit(
        "latexmk is not installed, so the report cannot be built. On Debian/Ubuntu: apt-get install "
        "latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-science "
        "lmodern poppler-utils"
    )
pdf = Path(snakemake.output.pdf)
workdir = pdf.parent
shutil.copyfile(snakemake.input.template, workdir / "report.tex")
(workdir / "sections").mkdir(exist_ok=True)
for section in snakemake.input.sections:
    shutil.copyfile(section, workdir / "sections" / Path(section).name)
build = workdir / "build"
cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={build.name}", "report.tex"]
done = subprocess.run(cmd, cwd=workdir, stdout=sys.stderr, stderr=subprocess.STDOUT)
if done.returncode != 0:
    sys.exit(f"latexmk failed (exit {done.returncode}); see {snakemake.log[0]} and {build / 'report.log'}")
shutil.move(build / "report.pdf", pdf)
