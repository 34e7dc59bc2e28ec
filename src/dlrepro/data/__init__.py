"""Data sets: where they come from, how they are fetched and verified, and the caches training loads.

- `sources`   the registry: official URLs, mirrors, checksums, offline layout
- `fetch`     streaming download with retries, and the offline path
- `verify`    checksums of a file, and of its decompressed contents
- `storage`   temporary names, atomic renames, locks, write errors
- `archives`  safe tar extraction
- `formats`   readers and writers of the raw formats (IDX, CIFAR pickles, text)
- `prepare`   raw files -> compact uint8 caches (`.npz`) and their loaders
- `synthetic` small files in the real formats, for tests and dry runs
"""
