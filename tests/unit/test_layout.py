"""The package's shape: shared modules know no study, every study package has the same core modules,
every workflow script sits in its study's folder, and no file or function grows past what a reader
takes in at once."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "dlrepro"
STUDIES = ("autoencoder", "gan", "sequence", "vision")
CORE_MODULES = ("models", "training", "study", "report", "plots")
# the shared modules: the package's top level and the data package
SHARED = sorted([*PACKAGE.glob("*.py"), *(PACKAGE / "data").glob("*.py")])
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


_HEX = re.compile(r"[0-9a-f]{32,}")  # checksums: their letters are no words


def _code_words(path: Path) -> set[str]:
    """Identifiers and string constants of a module (not its docstrings or comments), split into words."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    texts = []
    for n in ast.walk(tree):
        if (
            isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and id(n) not in docstrings
            and not _HEX.fullmatch(n.value)
        ):
            texts.append(n.value)
        elif isinstance(n, ast.Name):
            texts.append(n.id)
        elif isinstance(n, ast.Attribute):
            texts.append(n.attr)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            texts.append(n.name)
    return {w.lower() for t in texts for w in re.split(r"[^A-Za-z]+|_", t) if w}


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_shared_modules_import_no_study(path):
    studies = {n for n in _imports(path) for s in STUDIES if n == f"dlrepro.{s}" or n.startswith(f"dlrepro.{s}.")}
    assert not studies, f"{path.name} imports {sorted(studies)}: a shared module must serve every study and name none"


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_shared_modules_do_not_name_the_autoencoder_study(path):
    words = _code_words(path) & {"autoencoder", "autoencoders", "ae"}
    assert not words, f"{path.name} names {sorted(words)} in its code; that belongs in src/dlrepro/autoencoder/"


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_package_has_the_core_modules(study):
    missing = [m for m in CORE_MODULES if not (PACKAGE / study / f"{m}.py").is_file()]
    assert not missing, f"src/dlrepro/{study}/ lacks {', '.join(f'{m}.py' for m in missing)}"


def test_the_only_packages_are_the_studies_and_data():
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted([*STUDIES, "data"])


def test_workflow_scripts_live_in_their_study_folder():
    scripts = ROOT / "workflow" / "scripts"
    loose = sorted(p.name for p in scripts.glob("*.py"))
    assert not loose, f"scripts outside a study folder: {loose}"
    folders = sorted(p.name for p in scripts.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert set(folders) <= {*STUDIES, "data", "report"}, folders
    rules = "".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    used = set(re.findall(r'"\.\./scripts/([\w/]+\.py)"', rules))
    present = {str(p.relative_to(scripts)) for p in scripts.rglob("*.py")}
    assert used == present, (
        f"scripts no rule runs: {sorted(present - used)}; rules naming missing scripts: {sorted(used - present)}"
    )


def _sources():
    return sorted([*PACKAGE.rglob("*.py"), *(ROOT / "workflow").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")])


def test_no_source_file_is_longer_than_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in _sources() if (n := p.read_text().count("\n")) > MAX_FILE_LINES]
    assert not long, long


def test_no_function_is_longer_than_60_lines():
    long = [
        f"{p.relative_to(ROOT)}:{n.lineno} {n.name}: {n.end_lineno - n.lineno + 1}"
        for p in _sources()
        for n in ast.walk(ast.parse(p.read_text()))
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_imports() -> dict[str, set[str]]:
    """Every dlrepro module and the dlrepro modules it imports (at the top or inside functions)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path):
            while imported and imported not in modules:  # "dlrepro.x.name" -> module "dlrepro.x"
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != "dlrepro":
                targets.add(imported)
        graph[name] = targets
    return graph


def test_no_import_circle_in_the_package():
    graph = _package_imports()
    circles = []

    def visit(module, trail):
        for target in sorted(graph[module]):
            if target in trail:
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in done:
                visit(target, [*trail, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert not circles, sorted(set(circles))


@pytest.mark.parametrize("study", STUDIES)
def test_run_settings_do_not_load_torch(study):
    """The Snakefile imports every study's settings module while it parses: it must stay light (NumPy,
    which the workflow loads anyway, is allowed; torch's seconds of start-up are not)."""
    code = (
        f"import sys; import dlrepro.{study}.settings; "
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'torch'); "
        "assert not heavy, heavy"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
