"""The pipeline against a results folder it cannot write, and config strings made to break a shell."""

from __future__ import annotations

import ast
import errno
import json
import re
import tempfile

import numpy as np
import pytest

from dlrepro.data.synthetic import write_mnist
from dlrepro.guards import UnwritableOutputError, check_output_dirs
from tests.conftest import REPO
from tests.workflow.conftest import snakemake

TINY = str(REPO / "config" / "tiny.yaml")
RULE_FILES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


# an unwritable results folder


@pytest.mark.e2e
def test_results_folder_that_is_a_file_fails_the_job_clearly_and_keeps_finished_work(tmp_path):
    """As root, chmod does not stop writes; a regular file named `results` stops every mkdir below it."""
    data = tmp_path / "data"
    write_mnist(data, n_train=64, n_test=32)
    work = tmp_path / "work"
    work.mkdir()
    (work / "results").write_text("not a folder\n")
    target = "results/autoencoder/numpy_ae/sum/seed0/metrics.json"
    done = snakemake(
        work,
        "--cores",
        "1",
        target,
        "--configfile",
        TINY,
        "--config",
        f"data_dir={data}",
        "data_checksums=warn",
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    # Today Snakemake fails while preparing the training job's output folder, with a last line that names
    # the path and the reason ("NotADirectoryError: [Errno 20] Not a directory: 'results/...'"); with
    # dlrepro.guards.check_output_dirs called in an onstart: handler it fails before any job, saying
    # "the output folder results is a file, not a folder". Both name the path and the cause.
    reason = r"(Not a directory|is a file, not a folder)"
    assert re.search(rf"results[^\n]*{reason}|{reason}[^\n]*'results/", out), out[-3000:]
    assert (work / "results").read_text() == "not a folder\n", "the file in the way is left alone"
    assert not list(work.rglob("metrics.json"))
    # whatever finished before the failure is complete and stays (the data jobs, if they ran)
    provenance = work / "resources" / "mnist" / "provenance.json"
    if provenance.exists():
        assert json.loads(provenance.read_text())["status"] == "unverified copy"
        with np.load(work / "resources" / "mnist" / "mnist.npz") as cache:
            assert cache["x_train"].shape == (64, 28, 28)


def test_check_output_dirs_names_a_file_in_the_way(tmp_path):
    (tmp_path / "results").write_text("x")
    check_output_dirs("resources", "logs", root=tmp_path)  # creatable: fine, and nothing is created
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    with pytest.raises(
        UnwritableOutputError,
        match=r"cannot create the output folder .*results/autoencoder: .*results is a file, not a folder",
    ):
        check_output_dirs("results/autoencoder", root=tmp_path)
    with pytest.raises(
        UnwritableOutputError, match=r"^the output folder .*results is a file, not a folder; move it away"
    ):
        check_output_dirs("results", root=tmp_path)


def test_check_output_dirs_names_a_folder_it_cannot_write(tmp_path, monkeypatch):
    (tmp_path / "results").mkdir()

    def read_only(dir=None, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    with pytest.raises(
        UnwritableOutputError, match=r"cannot write to the output folder .*results \(.*Read-only file system\)"
    ) as err:
        check_output_dirs("results", root=tmp_path)
    assert err.value.errno == errno.EROFS


# shell safety


def _directives(path):
    """(line number, directive) of every `shell:` / `run:` directive in a Snakemake file."""
    return [
        (i, m.group(1))
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if (m := re.match(r"\s+(shell|run)\s*:", line))
    ]


def test_no_rule_runs_a_shell_command_or_inline_code():
    """Every rule runs a `script:` (config values arrive as Python objects, never on a command line)."""
    found = {str(p.relative_to(REPO)): d for p in RULE_FILES if (d := _directives(p))}
    assert found == {}, f"rules with shell:/run: directives: {found}"


def _shell_calls(path):
    """Calls that hand a string to a shell: os.system/os.popen, subprocess with shell=True or a string command."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"):
            bad.append(f"{path.name}:{node.lineno} {name}")
        elif name.startswith("subprocess.") or name in ("Popen", "run", "check_call", "check_output"):
            shell = any(
                k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                for k in node.keywords
            )
            first = node.args[0] if node.args else None
            string_cmd = isinstance(first, ast.JoinedStr) or (
                isinstance(first, ast.Constant) and isinstance(first.value, str)
            )
            if shell or string_cmd:
                bad.append(f"{path.name}:{node.lineno} {ast.unparse(node)[:80]}")
    return bad


def test_scripts_and_package_start_processes_only_with_argument_lists():
    files = [*sorted((REPO / "workflow" / "scripts").glob("*.py")), *sorted((REPO / "src" / "dlrepro").rglob("*.py"))]
    assert len(files) > 10
    bad = [call for f in files for call in _shell_calls(f)]
    assert bad == [], f"commands that go through a shell: {bad}"


HOSTILE = "odd dir 'single' \"double\" ; touch INJECTED; $(touch INJECTED2) `touch INJECTED3` & | > x"


@pytest.mark.e2e
def test_data_dir_with_spaces_quotes_and_semicolons_is_used_verbatim(tmp_path):
    data = tmp_path / HOSTILE
    write_mnist(data, n_train=64, n_test=32)
    work = tmp_path / "work"
    snakemake(
        work,
        "--cores",
        "1",
        "resources/mnist/mnist.npz",
        "--configfile",
        TINY,
        "--config",
        f"data_dir={data}",
        "data_checksums=warn",
    )
    provenance = json.loads((work / "resources" / "mnist" / "provenance.json").read_text())
    assert provenance["data_dir"] == str(data.resolve()) and provenance["mode"] == "offline"
    assert provenance["files"][0]["source"] == str((data / "mnist" / "train-images-idx3-ubyte.gz").resolve())
    with np.load(work / "resources" / "mnist" / "mnist.npz") as cache:
        assert cache["x_train"].shape == (64, 28, 28)
    injected = [p for p in tmp_path.rglob("INJECTED*")] + [p for p in REPO.glob("INJECTED*")]
    assert injected == [], f"a config string reached a shell: {injected}"


# two jobs wanting the same data


def test_every_data_set_is_fetched_and_prepared_once_however_many_jobs_need_it(tmp_path):
    """Within a run the DAG gives each data set one download job and one cache job, which every
    training job then waits for (fetches of the same files from separate processes take turns
    under a lock: tests/hardening/test_data_faults.py)."""
    out = snakemake(tmp_path, "-n", "--quiet", "rules").stdout
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.MULTILINE)}
    downloads = {rule: n for rule, n in counts.items() if rule.startswith("download_")}
    trainers = sum(n for rule, n in counts.items() if rule.startswith("train_"))
    assert downloads and all(n == 1 for rule, n in downloads.items() if rule != "download_idx_images"), downloads
    assert counts["prepare_dataset"] == sum(downloads.values()), "one cache per fetched data set"
    assert trainers > 2 * len(downloads), "many training jobs share each data set"
