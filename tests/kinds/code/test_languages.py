"""kinds/code/languages.py: the table, its placeholders, and that docs/languages.md tells the truth."""

import re
from pathlib import Path

from kinds.code.languages import LANGUAGES, command, version_number

DOC = (Path(__file__).resolve().parents[3] / "docs" / "languages.md").read_text()


def test_judge0_ids_are_unique_and_every_language_has_a_judge0_name():
    ids = [judge0_id for language in LANGUAGES.values() for judge0_id in language.judge0_ids]
    assert len(ids) == len(set(ids))
    assert all(language.judge0_name for language in LANGUAGES.values())


def test_the_doc_lists_every_language_offered_and_none_of_those_it_says_are_not():
    offered = set(re.findall(r"^\| [\d, ]+ \| `([a-z-]+)` \|", DOC, re.MULTILINE))
    assert offered == set(LANGUAGES)
    absent = {
        int(found) for found in re.findall(r"^\| (\d+) \| [^`|]+ \| ", DOC.split("## Not offered")[1], re.MULTILINE)
    }
    assert absent and not absent & {judge0_id for language in LANGUAGES.values() for judge0_id in language.judge0_ids}


def test_a_runtime_with_its_own_heap_is_told_the_run_s_memory():
    java = command(LANGUAGES["java"].run, LANGUAGES["java"], memory_mb=512)
    assert "-Xmx448m" in java and java[-1] == "Main"
    assert "--max-old-space-size=64" in command(LANGUAGES["javascript"].run, LANGUAGES["javascript"], memory_mb=128)


def test_runtimes_that_reserve_address_space_are_bounded_by_the_cgroup_alone():
    unbounded = {name for name, language in LANGUAGES.items() if not language.address_space}
    assert {"java", "javascript", "go", "erlang", "elixir", "csharp"} <= unbounded
    assert not {"python", "c", "cpp", "bash"} & unbounded


def test_version_numbers_are_read_from_what_the_toolchain_says(monkeypatch):
    monkeypatch.setattr("kinds.code.languages.version", lambda language: "gcc (Debian 12.2.0-14) 12.2.0")
    assert version_number(LANGUAGES["c"]) == "12.2.0"
    monkeypatch.setattr("kinds.code.languages.version", lambda language: "25")
    assert version_number(LANGUAGES["erlang"]) == "25"
