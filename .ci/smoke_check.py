"""Container smoke check: submit a task to $SMOKE_URL, poll its status until ready, read the result;
check the image offers the core languages (their toolchains answered at start-up) and run a Java
program through the code runner where the container lets the sandbox work (under the default
profile, which masks parts of /proc, bubblewrap cannot mount one, and code tasks answer 503);
then the web page and its script, and the admin's login page (static files served by WhiteNoise).
With SMOKE_REQUIRE_JAVA set (.ci/smoke_privileged: the image run as docs/operations.md says for
every language), runs must get cgroups and the Java program must run, through the task API and
through the Judge0 API.

Standard library only, so it runs with any python3 on the host.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ["SMOKE_URL"]
REQUIRE_JAVA = bool(os.environ.get("SMOKE_REQUIRE_JAVA"))


def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def finished(body: dict) -> dict:
    """Submit, poll the status until ready, and answer the result."""
    status, created = call("POST", "/task", body)
    assert status == 201 and created["status"] == "in_progress", created
    task_id = created["task_id"]
    deadline = time.monotonic() + 60
    while (state := call("GET", f"/status/{task_id}")[1])["status"] == "in_progress":
        if time.monotonic() > deadline:
            sys.exit(f"task {task_id} still in progress: {state}")
        time.sleep(0.2)
    assert state["status"] == "ready", state
    status, result = call("GET", f"/result/{task_id}")
    assert status == 200, result
    return result


result = finished({"kind": "sleep", "params": {"seconds": 0.5}})
assert result["kind"] == "sleep" and len(result["result"]["garbage"]) == 32, result
JAVA = 'public class Main { public static void main(String[] a) { System.out.println("hello from " + a[0]); } }'
languages = {item["name"]: item["version"] for item in call("GET", "/languages")[1]}
core = {"python", "c", "cpp", "java", "javascript", "typescript", "go", "rust", "bash", "ruby", "php"}
sandbox = call("GET", "/readyz")[1]["checks"]["sandbox"]
assert not REQUIRE_JAVA or sandbox.startswith("cgroup"), sandbox
if sandbox.startswith("rlimits only"):  # runs get no cgroup: runtimes bounded by one are not offered
    core -= {"java", "javascript", "typescript", "go", "rust"}
assert core <= set(languages), (sandbox, languages)
if "java" not in languages:
    ran = f"java not offered: {sandbox}"
else:
    try:
        java = finished({"kind": "code", "params": {"language": "java", "source": JAVA, "args": ["java"]}})["result"]
        assert java["verdict"] == "ok" and java["run"]["stdout"] == "hello from java\n", java
        ran = f"java ({languages['java']}): {java['run']['stdout']!r}"
        if REQUIRE_JAVA:
            source = JAVA.replace('"hello from " + a[0]', '"hello from judge0"')
            status, judged = call("POST", "/judge0/submissions?wait=true", {"language_id": 62, "source_code": source})
            assert status == 201 and judged["status"]["id"] == 3, judged  # Accepted
            assert judged["stdout"] == "hello from judge0\n", judged
            ran += f", and through the Judge0 API: {judged['stdout']!r} ({judged['status']['description']})"
    except urllib.error.HTTPError as refused:  # no sandbox under this container's security profile
        problem = json.loads(refused.read())
        assert not REQUIRE_JAVA, problem
        assert refused.code == 503 and problem["type"].endswith("kind-unavailable"), problem
        ran = f"java ({languages['java']}) not run, the sandbox cannot work in this container: {problem['detail']}"
print(f"the image's languages: {', '.join(f'{name} ({version})' for name, version in languages.items())}")
for path, marker in (("/", b"Photo editor"), ("/static/web/app.js", b"function"), ("/admin/login/", b"Django")):
    with urllib.request.urlopen(BASE + path, timeout=10) as response:
        assert response.status == 200 and marker in response.read(), path
print(f"smoke check passed: sleep {result['result']}; {ran}; page, script and admin served")
