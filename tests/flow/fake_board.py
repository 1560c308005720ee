"""Fake `ssh` and `scp` executables that play a board in a local folder.

FAKE_BOARD_ROOT: the folder standing in for the board's file system (remote absolute
paths are mapped below it). FAKE_BOARD_MODE: ``ok`` (run the command locally),
``unreachable`` (exit 255 like ssh), ``hang`` (the check never finishes).
Each call is appended to FAKE_BOARD_CALLS as one JSON line (the argv).
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

SSH = r'''#!PYTHON
import json, os, subprocess, sys, time
argv = sys.argv[1:]
with open(os.environ["FAKE_BOARD_CALLS"], "a") as f:
    f.write(json.dumps(["ssh", *argv]) + "\n")
mode = os.environ.get("FAKE_BOARD_MODE", "ok")
if mode == "unreachable":
    sys.stderr.write("ssh: connect to host board port 22: Connection refused\n"); sys.exit(255)
assert "BatchMode=yes" in argv, argv
i = 0
while argv[i].startswith("-"):
    i += 2
host, command = argv[i], " ".join(argv[i + 1:])
root = os.environ["FAKE_BOARD_ROOT"]
command = command.replace("/tmp/codesign_deploy", root + "/tmp/codesign_deploy")
if mode == "hang" and "codesign.runtime" in command:
    time.sleep(60)
sys.exit(subprocess.call(["bash", "-c", command.replace("python3 ", sys.executable + " ", 1)]))
'''

SCP = r'''#!PYTHON
import json, os, shutil, sys
argv = sys.argv[1:]
with open(os.environ["FAKE_BOARD_CALLS"], "a") as f:
    f.write(json.dumps(["scp", *argv]) + "\n")
if os.environ.get("FAKE_BOARD_MODE", "ok") == "unreachable":
    sys.stderr.write("ssh: connect to host board port 22: Connection refused\n"); sys.exit(255)
paths = [a for a in argv if not a.startswith("-") and a not in ("BatchMode=yes",)]
src, dst = paths[-2], paths[-1]
root = os.environ["FAKE_BOARD_ROOT"]
def local(p):
    return root + p.split(":", 1)[1] if ":" in p else p
os.makedirs(os.path.dirname(local(dst)) or ".", exist_ok=True)
shutil.copyfile(local(src), local(dst))
'''


def install(bin_dir: Path) -> Path:
    """Write the fake ssh and scp into ``bin_dir``; returns it (put it first on PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("ssh", SSH), ("scp", SCP)):
        path = bin_dir / name
        path.write_text(text.replace("#!PYTHON", "#!" + sys.executable, 1))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


__all__ = ["install"]
