"""Hostile programs in the runtimes that run without an address-space limit (the JVM, Go, V8,
BEAM): their memory is bounded by the run's cgroup alone, so each attack is tried in each of
them against real gunicorn: a busy loop, a memory hog, a thread or process bomb, the network.
Each run ends with the verdict it deserves, the service stays healthy and nothing is left."""

import pytest
import requests

from tests.e2e.conftest import start_gunicorn, wait_ready
from tests.programs import PROGRAMS

pytestmark = pytest.mark.e2e

ATTACKS = {
    "java": {
        "loop": "public class Main { public static void main(String[] a) { long x = 0; while (true) x++; } }",
        "hog": "import java.util.*;\npublic class Main { public static void main(String[] a) {\n"
        "  List<byte[]> kept = new ArrayList<>(); while (true) kept.add(new byte[1 << 20]); } }",
        "bomb": "public class Main { public static void main(String[] a) { while (true) new Thread(() -> {\n"
        "  try { Thread.sleep(100000); } catch (InterruptedException e) { } }).start(); } }",
        "network": "import java.net.*;\npublic class Main { public static void main(String[] a) {\n"
        '  try { new Socket("1.1.1.1", 80); System.out.println("connected"); }\n'
        '  catch (Exception e) { System.out.println("blocked"); } } }',
    },
    "go": {
        "loop": "package main\nfunc main() { for {} }",
        "hog": "package main\nfunc main() {\n  var kept [][]byte\n  for {\n    b := make([]byte, 1<<20)\n"
        "    for i := range b { b[i] = 1 }\n    kept = append(kept, b)\n  }\n}",
        "bomb": 'package main\nimport (\n"runtime"\n"time"\n)\n'
        "func main() { for { go func() { runtime.LockOSThread(); time.Sleep(time.Hour) }() } }",
        "network": 'package main\nimport (\n"fmt"\n"net"\n)\n'
        'func main() { if _, err := net.Dial("tcp", "1.1.1.1:80"); err != nil { fmt.Println("blocked") }'
        ' else { fmt.Println("connected") } }',
    },
    "javascript": {
        "loop": "while (true) {}",
        "hog": "const kept = []; while (true) kept.push(new Array(1e6).fill(1));",
        "bomb": 'const { spawn } = require("child_process");\n'
        "function more() { try { spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'])"
        ".on('error', () => {}); } catch (e) {} setImmediate(more); }\nmore();",
        "network": 'require("net").connect(80, "1.1.1.1")\n'
        '  .on("error", () => console.log("blocked")).on("connect", () => console.log("connected"));',
    },
    "erlang": {
        "loop": "main(_) -> loop(0).\nloop(N) -> loop(N + 1).",
        "hog": "main(_) -> hog([]).\nhog(Kept) -> hog([lists:seq(1, 100000) | Kept]).",
        "bomb": 'main(_) -> bomb().\nbomb() -> spawn(fun() -> os:cmd("sleep 100") end), bomb().',
        "network": "main(_) -> case gen_tcp:connect({1,1,1,1}, 80, [], 2000) of\n"
        '  {ok, _} -> io:format("connected~n");\n  {error, _} -> io:format("blocked~n") end.',
    },
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    server = start_gunicorn(tmp_path_factory.mktemp("runtimes") / "gunicorn.log", {"TASK_STORE": "memory"})
    yield server
    server.stop()


def run(service, language, source, **limits):
    params = {"language": language, "source": source, "limits": {"time_s": 2, "memory_mb": 128, **limits}}
    response = requests.post(f"{service.url}/task", json={"kind": "code", "params": params}, timeout=10)
    assert response.status_code == 201, response.text
    status = wait_ready(requests.Session(), service.url, response.json()["task_id"], timeout=90)
    assert status["status"] == "ready" and status["state"] == "succeeded", status
    return requests.get(f"{service.url}/result/{status['task_id']}", timeout=10).json()["result"]


def still_serves(service, language):
    result = run(service, language, PROGRAMS[language]["hello"], time_s=5)
    assert result["verdict"] == "ok" and result["run"]["stdout"] == "hello, world\n", result


@pytest.mark.parametrize("language", ATTACKS)
def test_a_busy_loop_is_a_time_limit(service, language):
    result = run(service, language, ATTACKS[language]["loop"], time_s=1)
    assert result["verdict"] == "time_limit_exceeded", result
    assert result["run"]["wall_s"] < 10


@pytest.mark.parametrize("language", ATTACKS)
def test_a_memory_hog_is_a_memory_limit(service, language):
    result = run(service, language, ATTACKS[language]["hog"], time_s=5)
    assert result["verdict"] == "memory_limit_exceeded", result
    assert result["run"]["memory_kb"] is None or result["run"]["memory_kb"] <= 128 * 1024 + 1024


@pytest.mark.parametrize("language", ATTACKS)
def test_a_thread_or_process_bomb_is_contained(service, language):
    result = run(service, language, ATTACKS[language]["bomb"], time_s=2)
    contained = ("runtime_error", "memory_limit_exceeded", "time_limit_exceeded", "output_limit_exceeded")
    assert result["verdict"] in contained, result  # Go dumps every goroutine: past the output limit
    assert result["run"]["wall_s"] < 10
    still_serves(service, language)


@pytest.mark.parametrize("language", ATTACKS)
def test_there_is_no_network(service, language):
    result = run(service, language, ATTACKS[language]["network"], time_s=5)
    assert result["run"]["stdout"] == "blocked\n", result


def test_nothing_is_left_behind(service):
    for language in ATTACKS:
        still_serves(service, language)
    assert not [entry for entry in service.tmpdir.iterdir() if entry.name.startswith("taskservice-")]
    assert requests.get(f"{service.url}/readyz", timeout=10).status_code == 200
