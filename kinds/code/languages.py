"""The languages the code runner offers (every Judge0 CE 1.13.1 language Debian packages), and
which of them this host can run: a language whose toolchain is not installed is not offered.

Commands are argv lists, never a shell line built from user input. In them `{binary}` is the
toolchain found, `{memory_mb}` the run's memory limit and `{heap_mb}` the part of it a runtime
with its own heap (the JVM, V8, SBCL) may use for that heap; a compile command's `{options}`
(put before the source file) becomes the caller's compile options, each one argument.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

OPTIONS = "{options}"  # in a compile command: where the caller's compile options go (none by default)
JAVA_OPTIONS = ("-XX:+UseSerialGC", "-XX:ActiveProcessorCount=1", "-Xss8m")  # one GC thread, few JIT threads
GO_ENVIRONMENT = (("GOCACHE", "/tmp/go-cache"), ("GOPATH", "/tmp/go"), ("GO111MODULE", "off"))
KOTLIN_LIB = "/usr/share/kotlin/kotlinc/lib"
ERLANG_ENVIRONMENT = (("ERL_CRASH_DUMP_SECONDS", "0"),)  # no crash dump written into /work
# Processes and threads a run may have together (its cgroup's pids.max and RLIMIT_NPROC), unless
# the caller asks for fewer: a program of one process with room for a pipeline or a small pool,
# and a runtime that starts its own threads (JIT, GC, schedulers, I/O) with room for them too.
PROCESSES = 16
RUNTIME_PROCESSES = 64


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
    # False for runtimes that reserve far more address space than they touch (JVM, Go, BEAM,
    # Mono, V8, SBCL): memory is then bounded by the run's cgroup, not RLIMIT_AS.
    address_space: bool = True
    environment: tuple[tuple[str, str], ...] = ()  # variables the toolchain needs (a Go build cache)
    read_only: tuple[str, ...] = ()  # host paths outside /usr the toolchain reads (its /etc config)
    source_prefix: str = ""  # written before the source (escript skips a file's first line)
    open_files: int = 64
    executable_source: bool = False  # the source is the program itself (a binary): written 0755
    processes: int = PROCESSES  # the run's cap (compiles have the service's own: CODE_MAX_PROCESSES)

    @property
    def takes_options(self) -> bool:
        """Whether the compile command has a place for the caller's compile options."""
        return self.compile is not None and OPTIONS in self.compile

    @functools.cached_property
    def binary(self) -> str | None:
        found = next((path for path in self.candidates if Path(path).exists()), None)
        if found is None:
            return None
        # Every other file the commands name must be there too (javac beside java, ld beside nasm,
        # a runtime's jar); a class path (`a.jar:.`) and a shell line are checked by their runs.
        named = [
            part for part in (*(self.compile or ()), *self.run) if part.startswith("/") and not set(" :") & set(part)
        ]
        return found if all(Path(path).exists() for path in named) else None


def _language(
    name: str,
    source_file: str,
    compile: tuple[str, ...] | None,
    run: tuple[str, ...],
    version_command: tuple[str, ...],
    binary: str | tuple[str, ...],
    judge0_ids: tuple[int, ...],
    judge0_name: str,
    **options: object,
) -> Language:
    candidates = (binary,) if isinstance(binary, str) else binary
    if compile is not None and source_file in compile:  # the caller's compile options go before the source
        at = compile.index(source_file)
        compile = (*compile[:at], OPTIONS, *compile[at:])
    return Language(name, source_file, compile, run, version_command, candidates, judge0_ids, judge0_name, **options)


# Paths are absolute: the sandbox sees /usr as it is on the host, and nothing else.
LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        _language(
            "python",
            "main.py",
            None,
            ("{binary}", "-B", "main.py"),
            ("{binary}", "--version"),
            ("/usr/bin/python3", "/usr/local/bin/python3"),
            (71,),
            "Python ({version})",
        ),
        _language(
            "c",
            "main.c",
            ("{binary}", "-O2", "-std=c17", "-o", "main", "main.c", "-lm"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/gcc",
            (50, 48, 49),  # GCC 9.2.0, 7.4.0 and 8.3.0 there: one GCC here
            "C (GCC {version})",
        ),
        _language(
            "cpp",
            "main.cpp",
            ("{binary}", "-O2", "-std=c++17", "-o", "main", "main.cpp"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/g++",
            (52, 53, 54),
            "C++ (GCC {version})",
        ),
        _language(
            "bash",
            "main.sh",
            None,
            ("{binary}", "main.sh"),
            ("{binary}", "--version"),
            ("/usr/bin/bash", "/bin/bash"),
            (46,),
            "Bash ({version})",
        ),
        _language(
            "c-clang",
            "main.c",
            ("{binary}", "-O2", "-std=c17", "-o", "main", "main.c", "-lm"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/clang",
            (75,),
            "C (Clang {version})",
        ),
        _language(
            "cpp-clang",
            "main.cpp",
            ("{binary}", "-O2", "-std=c++17", "-o", "main", "main.cpp"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/clang++",
            (76,),
            "C++ (Clang {version})",
        ),
        _language(
            "java",
            "Main.java",
            ("{binary}", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8", "Main.java"),
            ("/usr/bin/java", "-Xmx{heap_mb}m", *JAVA_OPTIONS, "Main"),
            ("{binary}", "-version"),
            "/usr/bin/javac",
            (62,),
            "Java (OpenJDK {version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/java-17-openjdk",),
        ),
        _language(
            "javascript",
            "script.js",
            None,
            ("{binary}", "--max-old-space-size={heap_mb}", "script.js"),
            ("{binary}", "--version"),
            "/usr/bin/node",
            (63,),
            "JavaScript (Node.js {version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
        ),
        _language(
            "typescript",
            "script.ts",
            ("/usr/bin/node", "{binary}", "--target", "es2020", "--module", "commonjs", "script.ts"),
            ("/usr/bin/node", "--max-old-space-size={heap_mb}", "script.js"),
            ("/usr/bin/node", "{binary}", "--version"),
            "/usr/share/nodejs/typescript/bin/tsc",
            (74,),
            "TypeScript ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
        ),
        _language(
            "go",
            "main.go",
            ("{binary}", "build", "-o", "main", "main.go"),
            ("./main",),
            ("{binary}", "version"),
            ("/usr/bin/go", "/usr/lib/go/bin/go"),
            (60,),
            "Go ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            environment=GO_ENVIRONMENT,
        ),
        _language(
            "rust",
            "main.rs",
            ("{binary}", "-O", "-o", "main", "main.rs"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/rustc",
            (73,),
            "Rust ({version})",
            address_space=False,  # rustc's LLVM threads reserve generously
        ),
        _language(
            "ruby",
            "script.rb",
            None,
            ("{binary}", "script.rb"),
            ("{binary}", "--version"),
            "/usr/bin/ruby",
            (72,),
            "Ruby ({version})",
        ),
        _language(
            "php",
            "script.php",
            None,
            ("{binary}", "script.php"),
            ("{binary}", "--version"),
            "/usr/bin/php",
            (68,),
            "PHP ({version})",
        ),
        _language(
            "perl",
            "script.pl",
            None,
            ("{binary}", "script.pl"),
            ("{binary}", "--version"),
            "/usr/bin/perl",
            (85,),
            "Perl ({version})",
        ),
        _language(
            "lua",
            "script.lua",
            None,
            ("{binary}", "script.lua"),
            ("{binary}", "-v"),
            "/usr/bin/lua5.4",
            (64,),
            "Lua ({version})",
        ),
        _language(
            "sqlite",
            "script.sql",
            None,
            ("{binary}", "db.sqlite", ".read script.sql"),
            ("{binary}", "--version"),
            "/usr/bin/sqlite3",
            (82,),
            "SQL (SQLite {version})",
        ),
        _language(
            "fortran",
            "main.f90",
            ("{binary}", "-O2", "-o", "main", "main.f90"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/gfortran",
            (59,),
            "Fortran (GFortran {version})",
        ),
        _language(
            "pascal",
            "main.pas",
            ("{binary}", "-O2", "-v0", "-omain", "main.pas"),
            ("./main",),
            ("{binary}", "-iV"),
            "/usr/bin/fpc",
            (67,),
            "Pascal (FPC {version})",
            read_only=("/etc/fpc.cfg", "/etc/fpc-3.2.2.cfg"),
        ),
        _language(
            "assembly",
            "main.asm",
            ("/bin/sh", "-c", "/usr/bin/nasm -f elf64 -o main.o main.asm && /usr/bin/ld -o main main.o"),
            ("./main",),
            ("{binary}", "-v"),
            "/usr/bin/nasm",
            (45,),
            "Assembly (NASM {version})",
        ),
        _language(
            "d",
            "main.d",
            ("{binary}", "-O2", "-o", "main", "main.d"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/gdc",
            (56,),
            "D (GDC {version})",
        ),
        _language(
            "ocaml",
            "main.ml",
            ("{binary}", "-o", "main", "main.ml"),
            ("./main",),
            ("{binary}", "-version"),
            "/usr/bin/ocamlopt",
            (65,),
            "OCaml ({version})",
        ),
        _language(
            "commonlisp",
            "script.lisp",
            None,
            ("{binary}", "--dynamic-space-size", "{heap_mb}MB", "--script", "script.lisp"),
            ("{binary}", "--version"),
            "/usr/bin/sbcl",
            (55,),
            "Common Lisp (SBCL {version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
        ),
        _language(
            "prolog",
            "main.pro",
            ("{binary}", "--no-top-level", "-o", "main", "main.pro"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/gplc",
            (69,),
            "Prolog (GNU Prolog {version})",
        ),
        _language(
            "erlang",
            "main.erl",
            None,
            ("{binary}", "main.erl"),
            (
                "/usr/bin/erl",
                "-noshell",
                "-eval",
                'io:fwrite("~s~n", [erlang:system_info(otp_release)]), halt().',
            ),
            "/usr/bin/escript",
            (58,),
            "Erlang (OTP {version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            environment=ERLANG_ENVIRONMENT,
            source_prefix="\n",
        ),
        _language(
            "elixir",
            "script.exs",
            None,
            ("{binary}", "script.exs"),
            ("{binary}", "-e", "IO.puts System.version()"),
            "/usr/bin/elixir",
            (57,),
            "Elixir ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            environment=ERLANG_ENVIRONMENT,
        ),
        _language(
            "cobol",
            "main.cob",
            ("{binary}", "-free", "-x", "-o", "main", "main.cob"),
            ("./main",),
            ("{binary}", "--version"),
            "/usr/bin/cobc",
            (77,),
            "COBOL (GnuCOBOL {version})",
            read_only=("/etc/gnucobol",),
        ),
        _language(
            "csharp",
            "Main.cs",
            ("{binary}", "-out:Main.exe", "Main.cs"),
            ("/usr/bin/mono", "Main.exe"),
            ("{binary}", "--version"),
            "/usr/bin/mcs",
            (51,),
            "C# (Mono {version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/mono",),
        ),
        _language(
            "haskell",
            "main.hs",
            ("{binary}", "-O", "-o", "main", "main.hs"),
            ("./main",),
            ("{binary}", "--numeric-version"),
            "/usr/bin/ghc",
            (61,),
            "Haskell (GHC {version})",
            address_space=False,  # GHC's runtime reserves a terabyte of address space
            processes=RUNTIME_PROCESSES,
            read_only=("/var/lib/ghc",),
        ),
        _language(
            "kotlin",
            "Main.kt",
            ("{binary}", "Main.kt"),
            ("/usr/bin/java", "-Xmx{heap_mb}m", *JAVA_OPTIONS, "-cp", f"{KOTLIN_LIB}/kotlin-stdlib.jar:.", "MainKt"),
            ("/usr/bin/dpkg-query", "-W", "-f=${{Version}}", "kotlin"),
            "/usr/bin/kotlinc",
            (78,),
            "Kotlin ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/java-17-openjdk",),
        ),
        _language(
            "scala",
            "Main.scala",
            ("{binary}", "Main.scala"),
            ("/usr/bin/java", "-Xmx{heap_mb}m", *JAVA_OPTIONS, "-cp", "/usr/share/java/scala-library.jar:.", "Main"),
            ("/usr/bin/dpkg-query", "-W", "-f=${{Version}}", "scala"),
            "/usr/bin/scalac",
            (81,),
            "Scala ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/java-17-openjdk",),
        ),
        _language(
            "groovy",
            "script.groovy",
            None,
            ("{binary}", "script.groovy"),
            ("/usr/bin/dpkg-query", "-W", "-f=${{Version}}", "groovy"),
            "/usr/bin/groovy",
            (88,),
            "Groovy ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/java-17-openjdk", "/etc/groovy"),
            environment=(("JAVA_OPTS", "-XX:+UseSerialGC -XX:ActiveProcessorCount=1"),),
        ),
        _language(
            "clojure",
            "main.clj",
            None,
            ("/usr/bin/java", "-Xmx{heap_mb}m", *JAVA_OPTIONS, "-cp", "{binary}", "clojure.main", "main.clj"),
            ("/usr/bin/dpkg-query", "-W", "-f=${{Version}}", "clojure"),
            "/usr/share/java/clojure.jar",
            (86,),
            "Clojure ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
            read_only=("/etc/java-17-openjdk",),
        ),
        _language(
            "r",
            "script.r",
            None,
            ("{binary}", "script.r"),
            ("{binary}", "--version"),
            "/usr/bin/Rscript",
            (80,),
            "R ({version})",
            read_only=("/etc/R",),
            environment=(("R_MAX_NUM_DLLS", "100"),),  # R wants 1.67 open files per DLL it may load
            open_files=256,
        ),
        _language(
            "octave",
            "script.m",
            None,
            ("{binary}", "--no-gui", "--no-history", "--no-init-file", "--quiet", "script.m"),
            ("{binary}", "--version"),
            "/usr/bin/octave-cli",
            (66,),
            "Octave ({version})",
            address_space=False,
            processes=RUNTIME_PROCESSES,
        ),
        _language(
            "objectivec",
            "main.m",
            (
                "/bin/sh",
                "-c",
                "/usr/bin/gcc $(/usr/bin/gnustep-config --objc-flags) -w -o main main.m"
                " $(/usr/bin/gnustep-config --base-libs)",
            ),
            ("./main",),
            ("/usr/bin/gcc", "--version"),
            "/usr/bin/gnustep-config",
            (79,),
            "Objective-C (GCC {version})",
            read_only=("/etc/GNUstep",),
        ),
        _language(
            "multifile",
            "run",
            ("/bin/sh", "-c", "if [ -f compile ]; then exec /usr/bin/bash compile; fi"),
            ("{binary}", "run"),
            ("{binary}", "--version"),
            ("/usr/bin/bash", "/bin/bash"),
            (89,),
            "Multi-file program",
        ),
        _language(
            "executable",
            "a.out",
            None,
            ("./a.out",),
            ("/usr/bin/uname", "-m"),
            "/usr/bin/uname",
            (44,),
            "Executable",
            executable_source=True,
        ),
        _language(
            "plaintext",
            "text.txt",
            None,
            ("{binary}", "text.txt"),
            ("{binary}", "--version"),
            "/usr/bin/cat",
            (43,),
            "Plain Text",
        ),
    )
}


def command(
    template: tuple[str, ...], language: Language, memory_mb: int = 256, options: Sequence[str] = ()
) -> list[str]:
    heap_mb = max(memory_mb - 64, memory_mb // 2)  # the rest: the runtime's own code, stacks, buffers
    argv: list[str] = []
    for part in template:
        if part == OPTIONS:
            argv += options
        else:
            argv.append(part.format(binary=language.binary, memory_mb=memory_mb, heap_mb=heap_mb))
    return argv


@functools.cache
def version(language: Language) -> str:
    """First line of the toolchain's version output (cached: it does not change while we run)."""
    result = subprocess.run(command(language.version_command, language), capture_output=True, text=True, timeout=30)
    return ((result.stdout or result.stderr).strip().splitlines() or ["unknown"])[0]


VERSION_NUMBER = re.compile(r"\d+(?:\.\d+)+")


def version_number(language: Language) -> str:
    """The toolchain's version number ("12.2.0" of "gcc (Debian 12.2.0-14) 12.2.0")."""
    found = VERSION_NUMBER.search(version(language))
    return found.group() if found else version(language)


def available() -> list[Language]:
    return [language for language in LANGUAGES.values() if language.binary]


def read_versions() -> None:
    """Ask every installed toolchain its version at once (start-up): a JVM or BEAM takes a second
    to answer, and GET /languages should not wait for them one after another."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(version, available()))
