"""The page at `/` is served with its static files, and its script calls only the public API."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders

SCRIPT = finders.find("web/app.js")


def test_the_page_and_its_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "/static/web/app.js" in html and "/static/web/app.css" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from elsewhere
    for path in ("/static/web/app.js", "/static/web/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)


def test_every_label_names_a_control_on_the_page(client):
    html = client.get("/").content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    for target in re.findall(r'<label for="([^"]+)"', html):
        assert target in ids, target


def test_the_script_calls_only_documented_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in schema["paths"]]
    with open(SCRIPT) as script:
        source = script.read()
    called = re.findall(r"""api\(\s*[`"]([^`"]+)[`"]""", source)
    assert len(called) >= 8
    for call in called:
        path = re.sub(r"\$\{[^}]+\}", "x", call).split("?")[0]
        assert any(pattern.match(path) for pattern in documented), call
    assert "fetch(" in source and source.count("fetch(") == 1  # every request goes through api()


def test_every_language_has_an_editor_mode_and_its_vendored_file():
    """The editor highlights each language the code runner has (web/editor.py), from a file
    scripts/vendor-editor put under /static with Ace's licence: nothing comes from a CDN."""
    from kinds.code.languages import LANGUAGES
    from web.editor import ACE_VERSION, MODES

    vendored = Path(__file__).resolve().parents[2] / "web" / "static" / "web" / "vendor" / "ace"
    assert set(MODES) == set(LANGUAGES)
    for mode in set(MODES.values()):
        assert (vendored / f"mode-{mode}.js").is_file(), mode
    assert (vendored / "ace.js").is_file() and "Redistribution and use" in (vendored / "LICENSE").read_text()
    assert ACE_VERSION in (vendored / "VERSION").read_text()


def test_the_page_hands_the_editor_its_modes_and_a_local_base_path(client):
    page = client.get("/").content.decode()
    assert '<script id="editor-modes" type="application/json">' in page and '"python": "python"' in page
    assert 'data-ace-base="/static/web/vendor/ace/"' in page and "/static/web/vendor/ace/ace.js" in page
