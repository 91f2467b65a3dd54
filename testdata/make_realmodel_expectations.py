#!/usr/bin/python3
"""Writes testdata/expected/realmodels.json: what real PyTorch loads from every torch file in the
shared real-model folder (the sibling `shared/realmodels` of the project folder; never copied into
the repository).

Run:  /usr/bin/python3 testdata/make_realmodel_expectations.py [REALMODELS_DIR]

Classes whose modules do not import here (pytorch_lightning's callbacks, say) load as inert
placeholders. A file torch cannot load gets {"error": "..."} instead of expectations.
"""
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in testdata/
import torch_expectations as tx  # noqa: E402

import torch  # noqa: E402

DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "realmodels"))
TORCH_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin")


def torch_files(root):
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for f in files:
            if f.endswith(TORCH_SUFFIXES):
                found.append(os.path.relpath(os.path.join(folder, f), root).replace(os.sep, "/"))
    return sorted(found)


def expectations(path):
    entry = {"format": "zip" if zipfile.is_zipfile(path) else "legacy",
             "size": os.path.getsize(path)}
    try:
        loaded = tx.torch_load(path)
    except Exception as e:  # recorded, not hidden: the report lists every file torch refused
        entry["error"] = type(e).__name__ + ": " + str(e).splitlines()[0]
        return entry
    if isinstance(loaded, torch.Tensor):
        # A bare tensor as the root: sdmodel refuses it (not a dict or list of tensors).
        entry["root"] = "tensor"
        entry["root_tensor"] = tx.describe("", loaded)
        return entry
    entry["root"] = type(loaded).__name__
    entry.update(tx.state_dict_expectations(loaded))
    placeholders = sorted({m + "." + n for m, n in tx.LenientUnpickler.placeholders})
    if placeholders:
        entry["placeholder_classes"] = placeholders
    tx.LenientUnpickler.placeholders.clear()
    return entry


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    if not os.path.isdir(root):
        sys.exit(f"no real-model folder at {root}")
    files = {name: expectations(os.path.join(root, name)) for name in torch_files(root)}
    result = {"written_with": {"torch": torch.__version__},
              "realmodels": "../shared/realmodels (relative to the project root)",
              "files": files}
    out = os.path.join(HERE, "expected", "realmodels.json")
    with open(out, "w", encoding="utf-8") as f:
        f.write(tx.json_text(result))
    failed = [n for n, e in files.items() if "error" in e]
    print(f"{len(files)} files, {len(failed)} torch could not load: {failed}")


if __name__ == "__main__":
    main()
