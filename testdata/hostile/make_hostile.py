#!/usr/bin/python3
"""Writes small hostile model files with CPython's pickle and real PyTorch, and lists the imports
each pickle in testdata/ makes, as Python's own Unpickler asks for them.

Run: /usr/bin/python3 testdata/hostile/make_hostile.py [REALMODELS]   (writes beside this script)

Nothing here is ever loaded: the files are written with pickle.dumps / torch.save of objects
whose __reduce__ names a dangerous callable, and read back only by a recording Unpickler whose
find_class returns an inert placeholder instead of importing anything.

imports.json: {"<path relative to testdata/>": {"<record>": [[module, name], ...]}} with each
pickle's find_class calls in order of first appearance. Records: the zip entry name for zip
checkpoints, "pickle N" (1-based) for the pickles of a legacy checkpoint or a plain pickle file.
realmodels-imports.json: the same for ../shared/realmodels (the folder beside the repository, or
the REALMODELS argument); those files are never copied here.
"""
import io
import json
import os
import pickle
import sys
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
sys.path.insert(0, TESTDATA)
sys.dont_write_bytecode = True  # no __pycache__ in testdata/
from make_fixtures import save_legacy  # noqa: E402  (deterministic legacy storage keys)


class Reduce:
    """An object that pickles as a call of `fn(*args)`; never called here."""

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args

    def __reduce__(self):
        return (self.fn, self.args)


def evil(fn, *args):
    return Reduce(fn, args)


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def write_pickles():
    # The classic: os.system (pickled as posix.system on Linux) at every protocol.
    for proto in range(6):
        write(f"os-system_p{proto}.pkl", pickle.dumps(evil(os.system, "echo pwned"), protocol=proto))
    write("builtins-eval_p2.pkl", pickle.dumps(evil(eval, "1+1"), protocol=2))
    write("builtins-exec_p4.pkl", pickle.dumps(evil(exec, "pass"), protocol=4))
    # getattr(__import__('os'), 'system'): two dangerous builtins, nested calls.
    write("getattr-import_p4.pkl",
          pickle.dumps(evil(getattr, evil(__import__, "os"), "system"), protocol=4))
    # A dangerous call hidden in an ordinary-looking state dict.
    sd = {"model.diffusion_model.w": [0.5, 1.5], "__hook__": evil(os.system, "echo pwned")}
    write("hidden-in-dict_p2.pkl", pickle.dumps(sd, protocol=2))


def torch_files():
    payload = {"state_dict": {"w": torch.arange(4, dtype=torch.float32)},
               "callbacks": evil(os.system, "echo pwned")}
    torch.save(payload, os.path.join(HERE, "torch-zip-os-system.pt"))
    save_legacy(payload, os.path.join(HERE, "torch-legacy-os-system.pt"))


class Inert:
    """What the recording unpickler returns for every global: accepts any use, does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return Inert()

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def __new__(cls, *args, **kwargs):
        return object.__new__(Inert)


class Recorder(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f, encoding="utf-8")
        self.imports = []

    def find_class(self, module, name):
        if [module, name] not in self.imports:
            self.imports.append([module, name])
        return Inert

    def persistent_load(self, pid):
        return Inert()


def record_pickles(data, limit):
    """Runs up to `limit` pickles back to back from `data`; returns their import lists."""
    f = io.BytesIO(data)
    out = {}
    for i in range(1, limit + 1):
        if f.tell() == len(data):
            break
        r = Recorder(f)
        r.load()
        out[f"pickle {i}"] = r.imports
    return out


def imports_of(path):
    if zipfile.is_zipfile(path):
        out = {}
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".pkl"):
                    r = Recorder(io.BytesIO(z.read(name)))
                    r.load()
                    out[name] = r.imports
        return out
    with open(path, "rb") as f:
        data = f.read()
    # A legacy checkpoint holds five pickles (magic, protocol, system info, data, storage keys),
    # then the storages; a plain pickle file holds one and ends.
    return record_pickles(data, 5)


def listing(root, folders):
    out = {}
    for folder in folders:
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith((".pkl", ".pt", ".ckpt", ".pth")):
                out[os.path.join(folder, name) if folder else name] = imports_of(os.path.join(root, folder, name))
    return out


def write_json(name, value):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    write_pickles()
    torch_files()
    write_json("imports.json", listing(TESTDATA, ("", "hostile")))
    realmodels = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TESTDATA, "..", "..", "shared", "realmodels")
    if os.path.isdir(realmodels):
        write_json("realmodels-imports.json", listing(realmodels, ("", "gopickle-testdata")))
    else:
        print("no", realmodels, "- realmodels-imports.json not rewritten")


if __name__ == "__main__":
    sys.exit(main())
