"""The languages the code runner offers, and which of them this host can run."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str
    source_file: str
    compile: tuple[str, ...] | None  # None: interpreted
    run: tuple[str, ...]
    version_command: tuple[str, ...]
    candidates: tuple[str, ...]  # the toolchain binary, first found wins
    # Judge0 CE 1.13.1's ids for this language, the one it lists first, and its name there with
    # {version} for the version installed here ("C (GCC {version})").
    judge0_ids: tuple[int, ...] = ()
    judge0_name: str = ""

    @functools.cached_property
    def binary(self) -> str | None:
        return next((path for path in self.candidates if shutil.which(path)), None)


# Paths are absolute: the sandbox sees /usr as it is on the host, and nothing else.
LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language(
            "python",
            "main.py",
            None,
            ("{binary}", "-B", "main.py"),
            ("{binary}", "--version"),
            ("/usr/bin/python3", "/usr/local/bin/python3"),
            (71,),
            "Python ({version})",
        ),
        Language(
            "c",
            "main.c",
            ("{binary}", "-O2", "-std=c17", "-o", "main", "main.c", "-lm"),
            ("./main",),
            ("{binary}", "--version"),
            ("/usr/bin/gcc",),
            (50, 48, 49),  # GCC 9.2.0, 7.4.0 and 8.3.0 there: one GCC here
            "C (GCC {version})",
        ),
        Language(
            "cpp",
            "main.cpp",
            ("{binary}", "-O2", "-std=c++17", "-o", "main", "main.cpp"),
            ("./main",),
            ("{binary}", "--version"),
            ("/usr/bin/g++",),
            (52, 53, 54),
            "C++ (GCC {version})",
        ),
        Language(
            "bash",
            "main.sh",
            None,
            ("{binary}", "main.sh"),
            ("{binary}", "--version"),
            ("/usr/bin/bash", "/bin/bash"),
            (46,),
            "Bash ({version})",
        ),
    )
}


def command(template: tuple[str, ...], language: Language) -> list[str]:
    return [part.format(binary=language.binary) for part in template]


@functools.cache
def version(language: Language) -> str:
    """First line of the toolchain's --version (cached: it does not change while we run)."""
    result = subprocess.run(command(language.version_command, language), capture_output=True, text=True, timeout=10)
    return (result.stdout or result.stderr).strip().splitlines()[0]


VERSION_NUMBER = re.compile(r"\d+(?:\.\d+)+")


def version_number(language: Language) -> str:
    """The toolchain's version number ("12.2.0" of "gcc (Debian 12.2.0-14) 12.2.0")."""
    found = VERSION_NUMBER.search(version(language))
    return found.group() if found else version(language)


def available() -> list[Language]:
    return [language for language in LANGUAGES.values() if language.binary]
