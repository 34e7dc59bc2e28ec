"""Compile the LaTeX report with latexmk inside results/report/ (template, generated/ and figures/ side by side).

The PDF is reproducible: its dates come from the recorded environment (SOURCE_DATE_EPOCH), not the
build time, so building twice from the same results gives the same file.
"""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dlrepro.io import read_json, setup_logging

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
shutil.rmtree(build, ignore_errors=True)  # a clean build each time: no stale aux files between runs
recorded = dt.datetime.strptime(read_json(snakemake.input.environment)["date"], "%Y-%m-%d %H:%M UTC")
env = {
    **os.environ,
    "SOURCE_DATE_EPOCH": str(int(recorded.replace(tzinfo=dt.timezone.utc).timestamp())),
    "FORCE_SOURCE_DATE": "1",
}
cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", f"-outdir={build.name}", "report.tex"]
done = subprocess.run(cmd, cwd=workdir, stdout=sys.stderr, stderr=subprocess.STDOUT, env=env)
if done.returncode != 0:
    sys.exit(f"latexmk failed (exit {done.returncode}); see {snakemake.log[0]} and {build / 'report.log'}")
shutil.move(build / "report.pdf", pdf)
