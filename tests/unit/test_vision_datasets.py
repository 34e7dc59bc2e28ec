"""The vision study's other data sets: CIFAR-100 (downloaded from the loopback server, the real python
layout) and an ImageFolder tree, with the bad inputs a user brings."""

from pathlib import Path

import numpy as np
import pytest

from dlrepro.data.fetch import fetch_dataset
from dlrepro.data.folders import manifest_sha256, read_image_folder
from dlrepro.data.formats import FormatError, read_cifar_batch, write_cifar_batch
from dlrepro.data.prepare import load_cache, prepare
from dlrepro.data.sources import CIFAR100, DataFile, Dataset
from dlrepro.data.synthetic import write_cifar100, write_image_folder
from tests.conftest import md5, tarball


def _cifar100_tarball(tmp_path: Path) -> tuple[bytes, dict[str, bytes]]:
    folder = write_cifar100(tmp_path / "src", n_train=300, n_test=100, seed=3)
    members = {f"cifar-100-python/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}
    return tarball(members), members


def test_cifar100_downloads_verifies_and_prepares_with_its_fine_labels(file_server, tmp_path):
    archive, members = _cifar100_tarball(tmp_path)
    url = file_server.route("/cifar-100-python.tar.gz", ("ok", archive))
    pinned = Dataset(
        name="cifar100",
        description="test copy",
        extract_dir="cifar-100-python",
        files=(
            DataFile(
                name="cifar-100-python.tar.gz",
                urls=(url,),
                offline_path="cifar100/cifar-100-python.tar.gz",
                md5=md5(archive),
            ),
        ),
        members=tuple(
            DataFile(name=Path(n).name, urls=(url,), offline_path=f"cifar100/{n}", md5=md5(d))
            for n, d in members.items()
        ),
    )
    prov = fetch_dataset(pinned, tmp_path / "resources", retries=1)
    assert prov["status"] == "verified"
    shapes = prepare("cifar100", tmp_path / "resources", tmp_path / "cifar100.npz")
    cache = load_cache(tmp_path / "cifar100.npz")
    assert shapes["x_train"] == (300, 3, 32, 32) and shapes["x_test"] == (100, 3, 32, 32)
    assert cache["y_train"].max() <= 99 and len(cache["class_names"]) == 100 and cache["class_names"][7] == "class_07"


def test_the_registry_pins_cifar100_as_published():
    assert CIFAR100.files[0].md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert {m.name for m in CIFAR100.members} == {
        "train",
        "test",
        "meta",
    } and CIFAR100.extract_dir == "cifar-100-python"


def test_cifar100_labels_out_of_range_are_refused(tmp_path):
    write_cifar_batch(tmp_path / "train", np.zeros((3, 3, 32, 32), np.uint8), [0, 5, 100], label_key="fine_labels")
    with pytest.raises(FormatError, match=r"train: CIFAR-100 'fine_labels' must be N=3 values in 0\.\.99"):
        read_cifar_batch(tmp_path / "train", label_key="fine_labels", n_classes=100)
    with pytest.raises(FormatError, match="lacks 'data' or 'labels'"):
        read_cifar_batch(tmp_path / "train")  # a CIFAR-100 batch read as CIFAR-10


def test_image_folder_becomes_a_cifar_shaped_cache(tmp_path):
    root = write_image_folder(tmp_path / "pets", classes=("owl", "cat", "dog"), n_train=5, n_test=2)
    arrays = read_image_folder(root / "train", root / "test")
    assert arrays["x_train"].shape == (15, 3, 32, 32) and arrays["x_train"].dtype == np.uint8
    assert arrays["class_names"].tolist() == ["cat", "dog", "owl"], "classes in sorted order, label = rank"
    assert arrays["y_train"].tolist() == [0] * 5 + [1] * 5 + [2] * 5 and arrays["y_test"].tolist() == [0, 0, 1, 1, 2, 2]
    before = manifest_sha256(root / "train", root / "test")
    (root / "test" / "cat" / "000.png").write_bytes((root / "test" / "dog" / "000.png").read_bytes())
    assert manifest_sha256(root / "train", root / "test") != before, "a changed image changes the fingerprint"


@pytest.mark.parametrize(
    "fault, message",
    [
        ("missing", r"vision\.data\.folder\.train: .*/train is not a folder"),
        ("one class", r"vision\.data\.folder\.train: .*has 1 class folder\(s\) \(cat\); a classifier needs at least 2"),
        ("not an image", r"vision\.data\.folder\.train: .*/dog/001\.png is not an image Pillow can read"),
        ("empty class", r"vision\.data\.folder\.train: .*/dog holds no image files"),
        ("unknown test class", r"vision\.data\.folder\.test: .*has classes the training folder lacks: emu"),
    ],
)
def test_a_bad_image_folder_is_refused_naming_the_key_and_the_file(tmp_path, fault, message):
    root = write_image_folder(tmp_path / "pets", classes=("cat", "dog"), n_train=3, n_test=1)
    if fault == "missing":
        root = tmp_path / "nowhere"
    elif fault == "one class":
        for p in (root / "train" / "dog").iterdir():
            p.unlink()
        (root / "train" / "dog").rmdir()
    elif fault == "not an image":
        (root / "train" / "dog" / "001.png").write_bytes(b"not a png at all")
    elif fault == "empty class":
        for p in (root / "train" / "dog").iterdir():
            p.unlink()
    else:
        (root / "test" / "emu").mkdir()
        (root / "test" / "emu" / "000.png").write_bytes((root / "test" / "cat" / "000.png").read_bytes())
    with pytest.raises(FormatError, match=message):
        read_image_folder(root / "train", root / "test")
