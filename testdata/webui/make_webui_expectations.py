#!/usr/bin/python3
"""What the web UI's launcher and the web UI itself make of launch files, arguments and model files,
for the tests of org.sdmodel.webui (WebUiLayoutTest, ShellWordsTest, LaunchScriptTest, HashWebUiTest).

Written with /usr/bin/python3 and /bin/bash; run from anywhere:

    /usr/bin/python3 testdata/webui/make_webui_expectations.py

Every expectation comes from the real thing where there is one:
  * shlex: Python's own shlex.split, which the web UI applies to COMMANDLINE_ARGS
    (modules/paths_internal.py: sys.argv += shlex.split(commandline_args));
  * bash: each webui-user.sh case is sourced by /bin/bash, as webui.sh does, and a Python child
    prints the COMMANDLINE_ARGS it inherits (only exported variables reach it);
  * argparse: the web UI's folder options declared as modules/paths_internal.py, modules/cmd_args.py
    and extensions-builtin/Lora/preload.py declare them (with the option names sdmodel knows, for
    abbreviations), parsed by Python's argparse, then the folders computed as those files and
    modules/sd_models.py, sd_vae.py and modules/cache.py compute them;
  * hashes: modules/hashes.py's sha256()/addnet_hash_safetensors() and the title each caller uses
    (sd_models.CheckpointInfo, the Lora extension's NetworkOnDisk, textual_inversion's
    EmbeddingDatabase), re-implemented below from their source, run on a tree of fixture files, and
    cache.json written with json.dump(indent=4) as modules/hashes.py (before diskcache) does.

Nothing here is copied from the web UI; the re-implementations are written from reading it.
"""
import argparse
import collections
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
CHECKOUT = os.path.join(HERE, "checkout")

# --- shlex ---------------------------------------------------------------------------------------

SHLEX_CASES = [
    "",
    "   ",
    "--medvram --opt-split-attention",
    "--ckpt-dir '/mnt/My Models' --xformers",
    '--ckpt-dir "/mnt/My Models/sd" --api',
    '--ckpt-dir "D:\\AI Models\\sd" --api',
    "--ckpt-dir D:\\models\\sd",
    "--ckpt-dir D:\\\\models\\\\sd",
    '--a "" --b \'\'',
    '"--ckpt-dir=/x y"',
    '--ckpt-dir=/x\\ y',
    'a"b c"d',
    "a'b c'd",
    '"a\\"b" "c\\\\d" "e\\f"',
    "'a\\b'",
    "multi\nline\targs\r\n--x",
    "--tags #not-a-comment",
    "caf\u00e9 \u6a21\u578b \U0001f600",
    '"unterminated',
    "'unterminated",
    "trailing\\",
    '"x\\',
    "\\ leading-space",
    "--x=\"a b\"c'd e'",
]

# --- bash: what sourcing webui-user.sh leaves for the Python child --------------------------------

STOCK = open(os.path.join(CHECKOUT, "webui-user.sh")).read()
STOCK_LINES = STOCK.split("\n")


def with_line(line, at="#export COMMANDLINE_ARGS=\"\""):
    """The stock file with `line` added right after the commented-out example."""
    i = STOCK_LINES.index(at)
    return "\n".join(STOCK_LINES[:i + 1] + [line] + STOCK_LINES[i + 1:])


def stock_line_number(at="#export COMMANDLINE_ARGS=\"\""):
    return STOCK_LINES.index(at) + 2  # 1-based, the added line


BASH_CASES = [
    # name, file text, environment additions, sdmodel evaluates it (else: it reports the problem line)
    ("stock", STOCK, {}, True),
    ("stock, environment set", STOCK, {"COMMANDLINE_ARGS": "--ckpt-dir /env/models --xformers"}, True),
    ("export with a quoted path", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir '/mnt/My Models' --xformers\""), {}, True),
    ("the file replaces the environment", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir /from/file\""),
     {"COMMANDLINE_ARGS": "--ckpt-dir /from/env"}, True),
    ("last assignment wins", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir /first\"\n#export COMMANDLINE_ARGS=\"--ckpt-dir /commented\"\n"
                                       "export COMMANDLINE_ARGS=\"--ckpt-dir /second\""), {}, True),
    ("multi-line value", with_line("export COMMANDLINE_ARGS=\"\n--listen \\\n--ckpt-dir '../../1_StableDiffusion_models' \\\n"
                                   "--lora-dir '../../3_LoRA' \\\n--embeddings-dir '../../4_Embeddings' \\\n\""), {}, True),
    ("not exported", with_line("COMMANDLINE_ARGS=\"--ckpt-dir /x\""), {}, True),
    ("not exported, but inherited", with_line("COMMANDLINE_ARGS=\"--ckpt-dir /x\""), {"COMMANDLINE_ARGS": "--api"}, True),
    ("exported later", with_line("COMMANDLINE_ARGS=\"--ckpt-dir /x\"\nexport COMMANDLINE_ARGS"), {}, True),
    ("unquoted", with_line("export COMMANDLINE_ARGS=--medvram"), {}, True),
    ("single quotes keep double quotes", with_line("export COMMANDLINE_ARGS='--ckpt-dir \"/a b\" --api'"), {}, True),
    ("variables", with_line("SD_ROOT=/data/sd\nexport COMMANDLINE_ARGS=\"--ckpt-dir $SD_ROOT/ckpt --lora-dir ${SD_ROOT}/lora\""),
     {}, True),
    ("append", with_line("export COMMANDLINE_ARGS=\"--xformers\"\nCOMMANDLINE_ARGS+=\" --ckpt-dir /x\""), {}, True),
    ("escaped quotes", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir \\\"/a b\\\" --tag \\$HOME \\\\\""), {}, True),
    ("extends the environment", with_line("export COMMANDLINE_ARGS=\"$COMMANDLINE_ARGS --ckpt-dir /x\""),
     {"COMMANDLINE_ARGS": "--api"}, True),
    ("unset", with_line("unset COMMANDLINE_ARGS"), {"COMMANDLINE_ARGS": "--api"}, True),
    ("comment after the value", with_line("export COMMANDLINE_ARGS=\"--api\" # my flags; export COMMANDLINE_ARGS=no"), {}, True),
    ("two on a line", with_line("export COMMANDLINE_ARGS=\"--a\"; export COMMANDLINE_ARGS=\"--ckpt-dir /b\""), {}, True),
    ("in a pipeline", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir /x\" | cat"), {}, True),
    ("tilde", with_line("export COMMANDLINE_ARGS=~/sd-models"), {}, True),
    ("quoted tilde", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir ~/sd-models\""), {}, True),
    ("inside if", with_line("if [ -d /mnt/models ]; then\n    export COMMANDLINE_ARGS=\"--ckpt-dir /mnt/models\"\nfi"), {}, False),
    ("after &&", with_line("[ -d /mnt/models ] && export COMMANDLINE_ARGS=\"--ckpt-dir /mnt/models\""), {}, False),
    ("command substitution", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir $(pwd)/models\""), {}, False),
    ("default expansion", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir ${SD:-/x}\""), {}, False),
    ("unset variable", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir $NOT_SET_ANYWHERE/models\""), {}, False),
    ("unterminated quote", with_line("export COMMANDLINE_ARGS=\"--ckpt-dir /x"), {}, False),
    ("other lines do not matter", with_line("export GIT=\"git\"\npython_cmd=\"python3.10\"\nexport COMMANDLINE_ARGS=\"--api\""), {}, True),
    ("function bodies do not run", with_line("setup() {\n    export COMMANDLINE_ARGS=\"--ckpt-dir /f\"\n}\nexport COMMANDLINE_ARGS=\"--api\""),
     {}, True),
]


def bash_result(text, env):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "webui-user.sh"), "w") as f:
            f.write(text)
        e = {"PATH": "/usr/bin:/bin", "HOME": "/home/tester"}
        e.update(env)
        out = subprocess.run(["/bin/bash", "--noprofile", "--norc", "-c",
                              'cd "$1" && source ./webui-user.sh >/dev/null 2>&1; '
                              '/usr/bin/python3 -c "import os, json; print(json.dumps(os.environ.get(\'COMMANDLINE_ARGS\')))"',
                              "_", d], env=e, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)


# --- the web UI's folders --------------------------------------------------------------------------

# Options of cmd_args.py that take a value, or several (the rest are flags): enough to parse the cases.
VALUE_OPTIONS = {"--port", "--config", "--ckpt", "--ui-settings-file", "--styles-file", "--device-id"}
MANY_OPTIONS = {"--use-cpu"}


def sdmodel_option_list():
    """The option names sdmodel's LaunchFlags knows, from its Java source: the same set argparse is given."""
    src = open(os.path.join(TESTDATA, "..", "core", "src", "main", "java", "org", "sdmodel", "webui", "LaunchFlags.java")).read()
    block = src[src.index("OTHER_OPTIONS = Arrays.asList(("):src.index(".split(\" \"));")]
    return " ".join(re.findall(r'"([^"]*)"', block)).split()


def webui_folders(webui, commandline_args):
    """paths_internal.py, cmd_args.py, Lora's preload.py, sd_models/sd_vae/cache.py, run in the web UI folder."""
    old = os.getcwd()
    os.chdir(webui)
    try:
        argv = shlex.split(commandline_args)
        normalized_filepath = lambda filepath: str(Path(filepath).absolute())
        parser_pre = argparse.ArgumentParser(add_help=False)
        parser_pre.add_argument("--data-dir", type=str, default=webui)
        parser_pre.add_argument("--models-dir", type=str, default=None)
        pre = parser_pre.parse_known_args(argv)[0]
        data_path = pre.data_dir
        models_path = pre.models_dir if pre.models_dir else os.path.join(data_path, "models")

        class Stop(Exception):
            pass

        parser = argparse.ArgumentParser()
        parser.error = lambda message: (_ for _ in ()).throw(Stop(message))
        parser.add_argument("--data-dir", type=str, default=webui)
        parser.add_argument("--models-dir", type=str, default=None)
        parser.add_argument("--ckpt-dir", type=normalized_filepath, default=None)
        parser.add_argument("--vae-dir", type=normalized_filepath, default=None)
        parser.add_argument("--embeddings-dir", type=normalized_filepath, default=os.path.join(data_path, "embeddings"))
        parser.add_argument("--hypernetwork-dir", type=normalized_filepath, default=os.path.join(models_path, "hypernetworks"))
        for o in sdmodel_option_list():
            if o in VALUE_OPTIONS:
                parser.add_argument(o, type=str)
            elif o in MANY_OPTIONS:
                parser.add_argument(o, nargs="+")
            else:
                parser.add_argument(o, action="store_true")
        # extensions-builtin/Lora/preload.py
        parser.add_argument("--lora-dir", type=normalized_filepath, default=os.path.join(models_path, "Lora"))
        parser.add_argument("--lyco-dir-backcompat", type=normalized_filepath, default=os.path.join(models_path, "LyCORIS"))
        try:
            opts = parser.parse_known_args(argv)[0]
        except Stop as e:
            return {"error": str(e)}
        abs_ckpt_dir = os.path.abspath(opts.ckpt_dir) if opts.ckpt_dir is not None else None
        parent = os.path.dirname(webui)

        def rel(p):
            """Under the web UI's parent folder: "@/" and the path from there; elsewhere: absolute."""
            a = os.path.abspath(p)
            return "@/" + os.path.relpath(a, parent) if a.startswith(parent + os.sep) else a
        return {
            "data": rel(data_path),
            "models": rel(models_path),
            "checkpoints": rel(abs_ckpt_dir if abs_ckpt_dir else os.path.join(models_path, "Stable-diffusion")),
            "default_checkpoints": rel(os.path.join(models_path, "Stable-diffusion")),
            "vae": rel(opts.vae_dir if opts.vae_dir else os.path.join(models_path, "VAE")),
            "lora": rel(opts.lora_dir),
            "lycoris": rel(opts.lyco_dir_backcompat),
            "embeddings": rel(opts.embeddings_dir),
            "hypernetworks": rel(opts.hypernetwork_dir),
            "cache_file": rel(os.path.join(data_path, "cache.json")),
        }
    finally:
        os.chdir(old)


FOLDER_CASES = [
    "",
    "--xformers --medvram",
    "--ckpt-dir '/mnt/My Models' --xformers",
    "--data-dir sd-data --api",
    "--data-dir /srv/sd --models-dir /mnt/models",
    "--models-dir ../shared-models",
    "--data-dir d --ckpt-dir c --vae-dir v --lora-dir l --embeddings-dir e --hypernetwork-dir h",
    "--ckpt-dir /a --ckpt-dir /b",
    "--ckpt-dir=/x/y --lora-dir=rel/lora",
    "--lyco-dir /mnt/lycoris",
    "--hyper /h --emb /e --mo /m",
    "--use-cpu all --ckpt-dir /c --port 7860",
    "--ckpt-dir",
    "--ckpt-dir --xformers",
    "--ckp /x",
    "--ckpt-dir ''",
    "--ckpt-dir ./models/../models/Stable-diffusion/sub",
]

# --- hashes, as modules/hashes.py records them ----------------------------------------------------


def calculate_sha256(filename):
    h = hashlib.sha256()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def addnet_hash_safetensors(filename):
    """sha256 of everything after the 8-byte length and the header it gives."""
    h = hashlib.sha256()
    with open(filename, "rb") as b:
        n = int.from_bytes(b.read(8), "little")
        b.seek(n + 8)
        for chunk in iter(lambda: b.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def checkpoint_name(filename, abs_ckpt_dir, model_path):
    """sd_models.CheckpointInfo: the name inside the checkpoint folders, as text."""
    abspath = os.path.abspath(filename)
    if abs_ckpt_dir and abspath.startswith(abs_ckpt_dir):
        name = abspath.replace(abs_ckpt_dir, "")
    elif abspath.startswith(model_path):
        name = abspath.replace(model_path, "")
    else:
        name = os.path.basename(filename)
    if name.startswith("\\") or name.startswith("/"):
        name = name[1:]
    return name


def webui_cache(tree):
    """Hashes the tree's files as the web UI does when it lists and loads them, in this order, and
    returns the cache.json it then writes, with the files' (seconds, nanoseconds) mtimes."""
    webui = tree["webui"]
    model_path = os.path.abspath(os.path.join(webui, "models", "Stable-diffusion"))
    cache_data = collections.OrderedDict()
    titles = []
    for rel, source, kind, mtime in tree["files"]:
        path = os.path.join(webui, rel)
        os.utime(path, ns=(mtime[0] * 10**9 + mtime[1],) * 2)
        if kind == "checkpoint":
            title, addnet = "checkpoint/" + checkpoint_name(path, None, model_path), False
        elif kind == "lora":
            # NetworkOnDisk(name=splitext(basename)[0]); use_addnet_hash=is_safetensors
            title = "lora/" + os.path.splitext(os.path.basename(path))[0]
            addnet = os.path.splitext(path)[1].lower() == ".safetensors"
        else:
            # EmbeddingDatabase.load_from_file: name, ext = splitext(filename); "textual_inversion/" + name
            title, addnet = "textual_inversion/" + os.path.splitext(os.path.basename(path))[0], False
        section = "hashes-addnet" if addnet else "hashes"
        hashes = cache_data.setdefault(section, collections.OrderedDict())
        value = addnet_hash_safetensors(path) if addnet else calculate_sha256(path)
        hashes[title] = {"mtime": os.path.getmtime(path), "sha256": value}
        titles.append({"file": rel, "section": section, "title": title, "sha256": value})
    return json.dumps(cache_data, indent=4), titles


def hash_tree():
    with tempfile.TemporaryDirectory() as d:
        webui = os.path.join(d, "stable-diffusion-webui")
        shutil.copytree(CHECKOUT, webui)
        files = [
            ("models/Stable-diffusion/sd2/sd2.safetensors", "arch/sd2.safetensors", "checkpoint", (1700000000, 250000000)),
            ("models/Lora/lora-kohya.safetensors", "arch/lora-kohya.safetensors", "lora", (1700000100, 123456789)),
            ("models/Lora/old/lora-old.pt", "arch/embedding-webui.pt", "lora", (1700000200, 0)),
            ("embeddings/embedding-webui.pt", "arch/embedding-webui.pt", "embedding", (1712345678, 987654321)),
        ]
        for rel, source, _, _ in files:
            os.makedirs(os.path.dirname(os.path.join(webui, rel)), exist_ok=True)
            shutil.copy(os.path.join(TESTDATA, source), os.path.join(webui, rel))
        text, titles = webui_cache({"webui": webui, "files": files})
        return {"files": [{"path": rel, "source": source, "kind": kind, "seconds": m[0], "nanos": m[1]}
                          for rel, source, kind, m in files],
                "records": titles, "cache_json": text}


def quirk_tree():
    """--ckpt-dir whose text starts the default folder's path: the web UI names files there oddly."""
    webui = "/w/stable-diffusion-webui"
    model_path = webui + "/models/Stable-diffusion"
    abs_ckpt_dir = webui + "/models/Stable"
    return {"ckpt_dir": "models/Stable", "file": "models/Stable-diffusion/x.safetensors",
            "title": "checkpoint/" + checkpoint_name(model_path + "/x.safetensors", abs_ckpt_dir, model_path)}


def main():
    out = collections.OrderedDict()
    out["written_with"] = {"python": sys.version.split()[0],
                           "bash": subprocess.run(["/bin/bash", "--version"], capture_output=True, text=True).stdout.split("\n")[0]}
    shl = []
    for s in SHLEX_CASES:
        try:
            shl.append({"input": s, "words": shlex.split(s)})
        except ValueError as e:
            shl.append({"input": s, "error": str(e)})
    out["shlex"] = shl
    # Cases sdmodel does not evaluate keep no value: bash's may depend on the machine ($(pwd)).
    out["bash"] = [{"name": n, "text": t, "env": e, "evaluated": ok,
                    "commandline_args": bash_result(t, e) if ok else None,
                    "added_line": stock_line_number()} for n, t, e, ok in BASH_CASES]
    with tempfile.TemporaryDirectory() as d:
        webui = os.path.realpath(os.path.join(d, "stable-diffusion-webui"))
        os.makedirs(webui)
        out["folders"] = [{"commandline_args": a, "folders": webui_folders(webui, a)} for a in FOLDER_CASES]
    out["hash_tree"] = hash_tree()
    out["quirk"] = quirk_tree()
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
