"""The page's code editor: Ace (ace-builds), vendored at a pinned version by scripts/vendor-editor
into web/static/web/vendor/ace/, and the Ace mode that highlights each of the code runner's
languages (a language missing here is shown as plain text; a test holds every language to it)."""

ACE_VERSION = "1.45.2"
# The npm registry's integrity of ace-builds-1.45.2.tgz: scripts/vendor-editor refuses anything else.
ACE_INTEGRITY = "sha512-a0IADaETGBnBW5CIkniUJn7F+NyTuHWKqlv1A8FXaMmFflJsMGnU3TzkiyslInqIZ3odfcVKOdXBGIKBefzFDA=="

MODES = {
    "python": "python",
    "c": "c_cpp",
    "cpp": "c_cpp",
    "c-clang": "c_cpp",
    "cpp-clang": "c_cpp",
    "objectivec": "objectivec",
    "bash": "sh",
    "multifile": "sh",  # its source is the `run` script
    "java": "java",
    "javascript": "javascript",
    "typescript": "typescript",
    "go": "golang",
    "rust": "rust",
    "ruby": "ruby",
    "php": "php",
    "perl": "perl",
    "lua": "lua",
    "sqlite": "sql",
    "fortran": "fortran",
    "pascal": "pascal",
    "assembly": "assembly_x86",
    "d": "d",
    "ocaml": "ocaml",
    "commonlisp": "lisp",
    "prolog": "prolog",
    "erlang": "erlang",
    "elixir": "elixir",
    "cobol": "cobol",
    "csharp": "csharp",
    "haskell": "haskell",
    "kotlin": "kotlin",
    "scala": "scala",
    "groovy": "groovy",
    "clojure": "clojure",
    "r": "r",
    "octave": "matlab",
    "executable": "sh",  # a script with its #! line (a binary is sent as base64, not typed)
    "plaintext": "text",
}
