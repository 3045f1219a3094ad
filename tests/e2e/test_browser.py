"""The web page at `/` in a real browser: Debian's Chromium, driven headless by Playwright.

Nothing is downloaded: the browser is /usr/bin/chromium (`.ci/run` installs it), and every
request to anything but the live server is blocked and counted. Screenshots of each state go
to test-artifacts/browser/ (not committed).
"""

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import ROOT, LiveServer, embedded_database, manage, start_gunicorn, wait_ready
from tests.images import encoded, noise, photo

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SLOW = 60_000  # ms: a task on a busy 2-core CI machine
TIMES = "\N{MULTIPLICATION SIGN}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_gunicorn(tmp_path_factory.mktemp("browser") / "gunicorn.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shipped_quotas(tmp_path_factory) -> Iterator[LiveServer]:
    """A server with the quotas a fresh install has, and a 4 KiB image limit."""
    from tests.conftest import ROOMY_QUOTAS

    shipped = {name: "" for name in ROOMY_QUOTAS}  # empty: the setting's default
    server = start_gunicorn(tmp_path_factory.mktemp("strict") / "gunicorn.log", {**shipped, "IMAGE_MAX_BYTES": "4096"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the tests never download a browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site) -> Iterator[Page]:
    yield from open_page(browser, site)


@pytest.fixture
def strict_page(browser, shipped_quotas) -> Iterator[Page]:
    yield from open_page(browser, shipped_quotas)


def open_page(browser: Browser, site: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site.url)
    outside: list[str] = []

    def local_only(route):
        if route.request.url.startswith((site.url, "blob:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert outside == [], f"the page reached outside the service: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_photo_editor_applies_grayscale_and_resize(page, tmp_path):
    source = tmp_path / "photo.png"
    source.write_bytes(encoded(photo(120, 80)))  # colourful gradients
    page.goto("/")
    page.set_input_files("#photo-file", source)
    expect(page.locator("#original")).to_be_visible()
    shot(page, "photo-1-chosen")
    for op in ("grayscale", "resize"):
        page.select_option("#new-op", op)
        page.click("#add-step")
    page.fill("#step-1-width", "60")
    page.fill("#step-1-height", "40")
    shot(page, "photo-2-pipeline")
    page.click("#photo-submit")
    expect(page.locator("#edited")).to_be_visible(timeout=SLOW)
    assert page.eval_on_selector("#photo-progress", "bar => bar.value") == 1
    expect(page.locator("#photo-state")).to_have_text("ready")
    shot(page, "photo-3-result")
    # The displayed result, pixel by pixel: the asked size, and every pixel grey.
    width, height, colourful = page.eval_on_selector(
        "#edited",
        """img => {
            const canvas = document.createElement("canvas");
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext("2d");
            context.drawImage(img, 0, 0);
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let colourful = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i] !== data[i + 1] || data[i + 1] !== data[i + 2]) colourful++;
            }
            return [canvas.width, canvas.height, colourful];
        }""",
    )
    assert (width, height, colourful) == (60, 40, 0)
    download = page.locator("#download")
    expect(download).to_be_visible()
    assert download.get_attribute("download").endswith(".png")


def test_a_photo_converts_to_another_format_with_no_step(page, tmp_path):
    source = tmp_path / "photo.png"
    source.write_bytes(encoded(photo(40, 30)))
    page.goto("/")
    page.set_input_files("#photo-file", source)
    page.click("#photo-submit")
    expect(page.locator("#photo-error")).to_contain_text("Add a filter step, or choose an output format")
    page.select_option("#out-format", "webp")
    page.click("#photo-submit")
    expect(page.locator("#edited")).to_be_visible(timeout=SLOW)
    expect(page.locator("#download")).to_have_attribute("download", "edited.webp")


def test_steps_can_be_reordered_and_removed_with_the_keyboard(page):
    page.goto("/")
    for op in ("sepia", "blur", "invert"):
        page.select_option("#new-op", op)
        page.click("#add-step")
    page.get_by_label("Move step 3 (invert) up").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Remove step 1 (sepia)").focus()
    page.keyboard.press("Enter")
    assert page.locator(".step strong").all_inner_texts() == ["invert", "blur"]
    assert page.input_value("#step-1-radius") == "2.5"  # each op starts from its example


def test_a_file_that_is_not_a_photo_gets_a_readable_message(page):
    page.goto("/")
    page.set_input_files("#photo-file", {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"})
    page.select_option("#new-op", "grayscale")
    page.click("#add-step")
    page.click("#photo-submit")
    error = page.locator("#photo-error")
    expect(error).to_be_visible(timeout=SLOW)
    expect(error).to_contain_text("The service did not accept this")
    expect(error).to_contain_text("image: not an image")
    assert "{" not in error.inner_text()  # a message, not raw JSON
    shot(page, "photo-error")


def test_quota_and_size_errors_are_readable(strict_page, tmp_path):
    page = strict_page
    page.goto("/")
    page.click("#tab-code")
    page.select_option("#language", "python")
    set_source(page, "import time\ntime.sleep(4)\n")
    page.click("#code-submit")  # the one task an anonymous caller may have in progress
    expect(page.locator("#code-state")).to_contain_text("running", timeout=SLOW)
    page.click("#tab-photo")
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    small.write_bytes(encoded(photo(16, 16)))
    big.write_bytes(encoded(noise(100, 100)))  # ~30 KB of noise: over the 4 KiB limit
    page.set_input_files("#photo-file", small)
    page.select_option("#new-op", "grayscale")
    page.click("#add-step")
    page.click("#photo-submit")
    error = page.locator("#photo-error")
    expect(error).to_contain_text("Quota reached", timeout=SLOW)
    expect(error).to_contain_text("You have 1 task in progress")
    expect(error).to_contain_text("Try again in 5 s.")
    shot(page, "error-quota")
    page.click("#tab-code")
    expect(page.locator("#verdict")).to_have_text("ok", timeout=SLOW)
    page.click("#tab-photo")
    page.set_input_files("#photo-file", big)
    page.click("#photo-submit")
    expect(error).to_contain_text("Too big", timeout=SLOW)
    expect(error).to_contain_text("larger than 4,096 bytes")
    shot(page, "error-too-big")


def set_source(page: Page, source: str) -> None:
    """The whole source at once, through the editor's own API (typing it would auto-indent and
    close brackets: the test of typing is below)."""
    page.evaluate("source => codeEditor.setValue(source, 1)", source)


def run_code(page: Page, language: str, source: str, verdict: str) -> None:
    page.select_option("#language", language)
    set_source(page, source)
    page.click("#code-submit")
    expect(page.locator("#verdict")).to_have_text(verdict, timeout=SLOW)


def test_code_runner_runs_python_and_shows_compile_errors(page):
    page.goto("/")
    page.click("#tab-code")
    page.select_option("#language", "python")
    editor = page.locator("#source-editor")
    expect(editor).to_be_visible()
    expect(page.locator("#source")).to_be_hidden()  # the editor replaced the plain textarea
    editor.locator(".ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("for word in ['browser', 'says', 'hi']:")
    page.keyboard.press("Enter")  # the editor indents the loop's body by itself
    page.keyboard.type("print(word, end=' ')")
    assert page.input_value("#source") == "for word in ['browser', 'says', 'hi']:\n    print(word, end=' ')"
    expect(editor.locator(".ace_keyword").first).to_be_visible()  # highlighted as Python: for, in
    expect(editor.locator(".ace_gutter-cell")).to_have_count(2)  # line numbers
    page.fill("#expected", "browser says hi")
    shot(page, "code-1-python")
    editor.locator(".ace_content").click()
    page.keyboard.press("Control+Enter")  # runs it, as the button does
    expect(page.locator("#verdict")).to_have_text("accepted", timeout=SLOW)
    expect(page.locator("#stdout")).to_have_text("browser says hi ")
    expect(page.locator("#run-stats")).to_contain_text("memory")
    shot(page, "code-2-accepted")
    run_code(page, "c", "int main(void) { return missing; }\n", "compile error")
    expect(page.locator("#compile-output")).to_contain_text("error:")
    expect(page.locator("#compile-output")).to_contain_text("undeclared")
    shot(page, "code-3-compile-error")


def test_my_tasks_lists_this_browsers_tasks_and_deletes_them(page):
    page.goto("/")
    page.click("#tab-code")
    run_code(page, "bash", "echo listed", "ok")  # no expected output: no judgement
    page.click("#tab-tasks")
    rows = page.locator("#task-rows tr[data-task-id]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("code")
    expect(rows.first).to_contain_text("ready")
    shot(page, "tasks-1-list")
    page.get_by_role("button", name="Delete task").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#task-rows")).to_contain_text("No tasks yet.")


def new_key(site: LiveServer, username: str) -> str:
    return manage("create_api_key", username, "--create-user", env=embedded_database(site)).strip()


def test_a_pasted_api_key_is_used(page, site):
    key = new_key(site, "carol")
    page.goto("/")
    expect(page.locator("#who")).to_contain_text("anonymous")
    page.click("#key-panel summary")
    page.fill("#api-key", key)
    page.click("text=Save key")
    expect(page.locator("#who")).to_have_text("carol")
    expect(page.locator("#quota")).to_contain_text("Tasks in progress: 0 of")
    page.click("#tab-tasks")
    expect(page.locator("#tasks-note")).to_have_text("Your tasks, newest first.")
    page.fill("#api-key", "tsk_000000000000_wrong")
    page.click("text=Save key")
    expect(page.locator("#who")).to_have_text("key not accepted")
    shot(page, "key-rejected")


def test_swagger_ui_loads_offline_and_try_it_out_submits_a_task(page):
    page.goto("/api/docs/")
    operation = page.locator("#operations-tasks-submit_task")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status")
    expect(status).to_have_text("201", timeout=SLOW)
    shot(page, "swagger-try-it-out")
    expect(page.locator(".auth-wrapper .authorize")).to_be_visible()  # the bearer scheme's "Authorize"


def test_swagger_ui_uploads_a_photo_as_multipart(page, site, tmp_path):
    """Issue 14 item 7: multipart `filters` and `output` are typed JSON parts; the form Swagger UI
    builds from them (a step per part, an output object) must submit as it stands."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), "orange").save(photo)
    page.goto("/api/docs/")
    operation = page.locator("#operations-tasks-submit_task")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".body-param-content-type select").select_option("multipart/form-data")
    operation.locator('input[type="file"]').set_input_files(str(photo))
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status")
    expect(status).to_have_text("201", timeout=SLOW)
    task_id = json.loads(operation.locator(".live-responses-table .microlight").first.inner_text())["task_id"]
    shot(page, "swagger-multipart-upload")
    final = wait_ready(requests.Session(), site.url, task_id)
    assert final["status"] == "ready" and final["result"]["meta"]["width"] == 800  # the example's resize


def test_swagger_ui_authorize_sends_the_key(page, site):
    key = new_key(site, "dora")
    page.goto("/api/docs/")
    page.locator(".auth-wrapper .authorize").click()
    page.locator(".modal-ux input").fill(key)
    page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
    page.locator(".modal-ux .btn-done").click()
    operation = page.locator("#operations-access-me")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text("200", timeout=SLOW)
    expect(operation.locator(".live-responses-table tbody .response-col_description")).to_contain_text('"dora"')
    shot(page, "swagger-authorized-me")


def test_the_key_panel_registers_logs_in_and_out(page):
    """Issue 13: register / log in from the page instead of pasting a key."""
    username = f"user_{uuid.uuid4().hex[:12]}"
    page.goto("/")
    page.locator("#key-panel summary").click()
    page.fill("#username", username)
    page.fill("#password", "password228")
    page.click("#register")
    expect(page.locator("#who")).to_have_text(username, timeout=SLOW)
    shot(page, "key-panel-registered")
    page.click("#forget-key")
    expect(page.locator("#who")).to_contain_text("anonymous")
    page.fill("#username", username)
    page.fill("#password", "not-the-password")
    page.locator("#account-form button[type=submit]").click()
    expect(page.locator("#account-error")).to_contain_text("Wrong username or password")
    page.fill("#password", "password228")
    page.locator("#account-form button[type=submit]").click()
    expect(page.locator("#who")).to_have_text(username, timeout=SLOW)
    shot(page, "key-panel-logged-in")


def test_swagger_ui_register_login_authorize_and_a_seed_code_body(page, site):
    """Issue 13: the course flow, entirely in Swagger UI."""
    credentials = json.dumps({"username": f"user_{uuid.uuid4()}", "password": "password228"})
    page.goto("/api/docs/")

    def execute(operation_id: str, body: str | None = None, **parameters: str):
        operation = page.locator(f"#operations-{operation_id}")
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        if body is not None:
            operation.locator("textarea.body-param__text").fill(body)
        for name, value in parameters.items():
            operation.locator(f'input[placeholder="{name}"]').fill(value)
        operation.locator(".execute").click()
        return operation

    def answer(operation, status: str) -> dict:
        expect(operation.locator(".live-responses-table tbody .response-col_status")).to_have_text(status, timeout=SLOW)
        return json.loads(operation.locator(".live-responses-table .response-col_description pre").first.inner_text())

    answer(execute("access-register", credentials), "201")
    token = answer(execute("access-login", credentials), "200")["token"]
    page.locator(".auth-wrapper .authorize").click()
    page.locator(".modal-ux input").fill(token)
    page.locator(".modal-ux .auth-btn-wrapper .authorize").click()
    page.locator(".modal-ux .btn-done").click()
    seed_body = json.dumps({"tranlator": "python3", "code": "print('Hello, stdout world!')"})
    task_id = answer(execute("tasks-submit_task", seed_body), "201")["task_id"]
    keyed = requests.Session()
    keyed.headers["Authorization"] = f"Bearer {token}"
    assert wait_ready(keyed, site.url, task_id, timeout=60)["status"] == "ready"
    result = answer(execute("tasks-get_task_result", task_id=task_id), "200")
    assert result["result"]["run"]["stdout"] == "Hello, stdout world!\n"
    shot(page, "swagger-seed-flow")


def test_code_runner_shows_a_table_of_test_cases(page):
    page.goto("/")
    page.click("#tab-code")
    page.select_option("#language", "python")
    set_source(page, "print(sum(map(int, input().split())))\n")
    page.fill(
        "#tests",
        '[{"name": "small", "stdin": "2 40", "expected_output": "42"}, {"stdin": "1 1", "expected_output": "3"}]',
    )
    page.click("#code-submit")
    expect(page.locator("#verdict")).to_have_text("wrong answer", timeout=SLOW)
    rows = page.locator("#test-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("small")
    expect(rows.nth(0)).to_contain_text("accepted")
    expect(rows.nth(1)).to_contain_text("wrong answer")
    shot(page, "code-4-test-cases")


def test_the_editor_highlights_every_language_the_service_offers(page, site):
    from web.editor import MODES

    offered = [language["name"] for language in requests.get(f"{site.url}/languages", timeout=10).json()]
    page.goto("/")
    page.click("#tab-code")
    for language in offered:
        page.select_option("#language", language)
        mode = f"ace/mode/{MODES[language]}"
        page.wait_for_function("mode => codeEditor.session.getMode().$id === mode", arg=mode)
    page.select_option("#language", "c")
    set_source(page, "int main(void) { return 0; }\n")
    expect(page.locator("#source-editor .ace_storage, #source-editor .ace_keyword").first).to_be_visible()


def test_the_matrix_tool_shows_dimensions_values_and_a_heatmap(page):
    page.goto("/")
    page.click("#tab-matrix")
    page.click("#matrix-submit")  # the example: [[1, 2], [3, 4]] @ [[5, 6], [7, 8]]
    expect(page.locator("#matrix-shape")).to_have_text(f"2 {TIMES} 2 float64", timeout=SLOW)
    expect(page.locator("#matrix-corner")).to_have_text("19\t22\n43\t50")
    expect(page.locator("#matrix-heatmap")).to_have_attribute("data-cells", "2x2")
    page.fill("#matrix-a", "300x300 seed 3")
    page.fill("#matrix-b", "300x200")  # 60,000 values: JSON
    page.click("#matrix-submit")
    expect(page.locator("#matrix-shape")).to_have_text(f"300 {TIMES} 200 float64", timeout=SLOW)
    expect(page.locator("#matrix-heatmap")).to_have_attribute("data-cells", "64x64")
    page.fill("#matrix-b", "300x300")  # 90,000 values: the service sends a .npy file
    page.click("#matrix-submit")
    expect(page.locator("#matrix-shape")).to_have_text(f"300 {TIMES} 300 float64", timeout=SLOW)
    expect(page.locator("#matrix-stats")).to_contain_text("crc32:")
    shot(page, "matrix-heatmap")


def test_my_tasks_shows_a_running_task_s_progress_bar_moving(page, site):
    key = new_key(site, "dave")
    page.goto("/")
    page.click("#key-panel summary")
    page.fill("#api-key", key)
    page.click("text=Save key")
    expect(page.locator("#who")).to_have_text("dave")
    body = {"kind": "sleep", "params": {"seconds": 6}}
    headers = {"Authorization": f"Bearer {key}"}
    task_id = requests.post(f"{site.url}/task", json=body, headers=headers, timeout=10).json()["task_id"]
    page.click("#tab-tasks")
    bar = page.locator(f'#task-rows tr[data-task-id="{task_id}"] progress')
    value = "id => (document.querySelector(`#task-rows tr[data-task-id='${id}'] progress`) || {value: 1}).value"
    page.wait_for_function(f"id => ({value})(id) > 0 && ({value})(id) < 1", arg=task_id, timeout=SLOW)
    first = page.evaluate(f"({value})", task_id)
    page.wait_for_function(f"([id, seen]) => ({value})(id) > seen", arg=[task_id, first], timeout=SLOW)
    shot(page, "tasks-progress")
    row = page.locator(f'#task-rows tr[data-task-id="{task_id}"]')
    expect(row).to_contain_text("ready", timeout=SLOW)
    expect(bar).to_have_count(0)  # a finished task has no bar
