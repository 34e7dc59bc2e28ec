"""Data sets: where they come from, how they are fetched and verified, and the caches training loads.

- `sources`   the registry: official URLs, mirrors, checksums, offline layout
- `fetch`     streaming download with retries and checksums, and the offline path
- `archives`  safe tar extraction
- `formats`   readers and writers of the raw formats (IDX, CIFAR pickles, text)
- `prepare`   raw files -> compact uint8 caches (`.npz`) and their loaders
- `synthetic` small files in the real formats, for tests and dry runs
"""
