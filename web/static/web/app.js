// The taskservice page: a photo editor, a code runner and a task list, on the public API only.
// No dependencies. An API key, if pasted, is kept in localStorage and sent as a bearer token.
"use strict";

const KEY_STORE = "taskservice.apiKey";
const LOGIN_STORE = "taskservice.keyIsLoginToken"; // set only for tokens this page got from POST /login
const TASKS_STORE = "taskservice.myTasks"; // ids this browser submitted: anonymous tasks are never listed
const POLL_MS = 400; // between plain status reads, when the service holds no more waiters
const WAIT_SECONDS = 1; // each status read waits this long for the finish: progress shows every second
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- talking to the API ---------------------------------------------------------------------

class ApiError extends Error {
  constructor(problem, retryAfter) {
    super(problem.detail || problem.title);
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

function apiKey() {
  return localStorage.getItem(KEY_STORE) || "";
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new ApiError({ title: "The service cannot be reached", detail: String(error.message || error) });
  }
  if (!response.ok) {
    let problem;
    try {
      problem = await response.json();
    } catch {
      problem = { status: response.status, title: response.statusText, detail: `The service answered ${response.status}.` };
    }
    throw new ApiError(problem, response.headers.get("Retry-After"));
  }
  return response;
}

const HEADLINES = {
  400: "The service did not accept this",
  401: "Your API key was not accepted",
  404: "Not found",
  409: "Not possible right now",
  413: "Too big",
  415: "Not a format the service takes",
  429: "Quota reached",
  503: "The service is busy",
};

function fieldName(pointer) {
  const name = (pointer || "").replace(/^#\/?/, "").replace(/^params\//, "").replaceAll("/", " › ");
  return name || "request";
}

function showError(box, error) {
  const problem = error.problem || { detail: String(error.message || error) };
  const title = document.createElement("strong");
  title.textContent = HEADLINES[problem.status] || problem.title || "Something went wrong";
  const detail = document.createElement("p");
  detail.textContent = problem.detail || "";
  if (error.retryAfter) detail.textContent += ` Try again in ${error.retryAfter} s.`;
  box.replaceChildren(title, detail);
  const errors = (problem.errors || []).filter((item) => !problem.detail.endsWith(item.detail));
  if (errors.length) {
    const list = document.createElement("ul");
    for (const item of errors) {
      const li = document.createElement("li");
      li.textContent = `${fieldName(item.pointer)}: ${item.detail}`;
      list.append(li);
    }
    box.append(list);
  }
  box.hidden = false;
}

function hideError(box) {
  box.hidden = true;
  box.replaceChildren();
}

// Submit, remember, then wait until the task leaves `in_progress`, reporting each status. Each
// read waits for the finish (`?wait`), so it is seen at once; past the service's waiter bound
// (429 too-many-waiters) the page reads without waiting, every POLL_MS.
async function runTask(body, onStatus) {
  const created = await (await api("/task", { method: "POST", ...body })).json();
  remember(created.task_id);
  let wait = WAIT_SECONDS;
  for (;;) {
    let status;
    try {
      status = await (await api(`/status/${created.task_id}${wait ? `?wait=${wait}` : ""}`)).json();
    } catch (error) {
      if (!wait || !(error instanceof ApiError) || !String(error.problem.type).endsWith(":too-many-waiters")) throw error;
      wait = 0;
      continue;
    }
    onStatus(status);
    if (status.status !== "in_progress") return status;
    if (!wait) await sleep(POLL_MS);
  }
}

function progressReporter(row, bar, label) {
  row.hidden = true; // shown once the service has accepted the task
  return (status) => {
    row.hidden = false;
    bar.value = status.status === "ready" ? 1 : status.progress;
    label.textContent = status.status === "in_progress" ? `${status.state}, ${Math.round(status.progress * 100)}%` : status.status;
  };
}

function failure(status) {
  const reason = status.status === "cancelled" ? "The task was cancelled." : status.error || "The task failed.";
  return new ApiError({ title: `Task ${status.status}`, detail: reason });
}

// --- the API key panel ---------------------------------------------------------------------

async function refreshIdentity() {
  try {
    const me = await (await api("/me")).json();
    $("who").textContent = me.anonymous ? `anonymous (${me.address})` : me.username;
    const q = me.quotas;
    $("quota").textContent =
      `Tasks in progress: ${q.in_progress.used} of ${q.in_progress.limit}. ` +
      `Submissions: ${q.submissions.used} of ${q.submissions.limit} per ${q.submissions.window_seconds} s. ` +
      `Code: up to ${q.code.max_time_s} s and ${q.code.max_memory_mb} MB. ` +
      `Photos: up to ${q.image.max_pixels.toLocaleString()} pixels and ${q.image.max_steps} steps. ` +
      `Storage: ${(q.storage.used / 2 ** 20).toFixed(1)} of ${(q.storage.limit / 2 ** 20).toFixed(0)} MiB.`;
  } catch (error) {
    $("who").textContent = error.problem && error.problem.status === 401 ? "key not accepted" : "unknown";
    $("quota").textContent = error.problem ? error.problem.detail : "";
  }
}

// Log in (after registering, when asked): the token is an API key, kept where a pasted one is.
async function logIn(register) {
  const box = $("account-error");
  hideError(box);
  const credentials = JSON.stringify({ username: $("username").value.trim(), password: $("password").value });
  const request = { method: "POST", headers: { "Content-Type": "application/json" }, body: credentials };
  try {
    if (register) await api("/register", request);
    const { token } = await (await api("/login", request)).json();
    localStorage.setItem(KEY_STORE, token);
    localStorage.setItem(LOGIN_STORE, "1");
    $("api-key").value = token;
    $("password").value = "";
    refreshIdentity();
    refreshTasks();
  } catch (error) {
    showError(box, error);
  }
}

function setUpKeyPanel() {
  $("account-form").addEventListener("submit", (event) => {
    event.preventDefault();
    logIn(false);
  });
  $("register").addEventListener("click", () => {
    if ($("account-form").reportValidity()) logIn(true);
  });
  $("api-key").value = apiKey();
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    localStorage.removeItem(LOGIN_STORE); // a pasted key is the user's own, never revoked from here
    if (key) localStorage.setItem(KEY_STORE, key);
    else localStorage.removeItem(KEY_STORE);
    refreshIdentity();
    refreshTasks();
  });
  $("forget-key").addEventListener("click", async () => {
    // A token from this page's login is ended on the server too; a pasted API key is only forgotten.
    if (apiKey() && localStorage.getItem(LOGIN_STORE)) await api("/logout", { method: "POST" }).catch(() => {});
    localStorage.removeItem(KEY_STORE);
    localStorage.removeItem(LOGIN_STORE);
    $("api-key").value = "";
    refreshIdentity();
    refreshTasks();
  });
  refreshIdentity();
}

// --- tabs ----------------------------------------------------------------------------------

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (tab.id === "tab-tasks") refreshTasks();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  });
}

// --- photo editor --------------------------------------------------------------------------

const photo = { file: null, ops: {}, steps: [] };

function paramInput(name, schema, value, onChange, id) {
  let input;
  if (schema.enum) {
    input = document.createElement("select");
    for (const option of schema.enum) input.append(new Option(option, option));
    input.value = value ?? schema.enum[0];
    input.addEventListener("change", () => onChange(input.value));
  } else if (schema.type === "boolean") {
    input = document.createElement("input");
    input.type = "checkbox";
    input.checked = value ?? schema.default ?? false;
    input.addEventListener("change", () => onChange(input.checked));
  } else {
    input = document.createElement("input");
    input.type = "number";
    input.step = schema.type === "integer" ? "1" : "any";
    if (schema.minimum !== undefined) input.min = schema.minimum;
    if (schema.maximum !== undefined) input.max = schema.maximum;
    input.value = value ?? schema.default ?? "";
    input.addEventListener("input", () => onChange(input.value === "" ? undefined : Number(input.value)));
  }
  input.id = id;
  return input;
}

function renderSteps() {
  const list = $("steps");
  list.replaceChildren();
  photo.steps.forEach((step, index) => {
    const op = photo.ops[step.op];
    const item = document.createElement("li");
    item.className = "step";
    const head = document.createElement("div");
    head.className = "step-head";
    const title = document.createElement("strong");
    title.textContent = step.op;
    const about = document.createElement("span");
    about.className = "muted";
    about.textContent = ` ${op.summary}`;
    head.append(title, about);
    const buttons = [
      ["↑", `Move step ${index + 1} (${step.op}) up`, () => move(index, -1), index === 0],
      ["↓", `Move step ${index + 1} (${step.op}) down`, () => move(index, 1), index === photo.steps.length - 1],
      ["✕", `Remove step ${index + 1} (${step.op})`, () => { photo.steps.splice(index, 1); renderSteps(); }, false],
    ];
    const tools = document.createElement("span");
    tools.className = "step-tools";
    for (const [text, label, action, disabled] of buttons) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.setAttribute("aria-label", label);
      button.title = label;
      button.disabled = disabled;
      button.addEventListener("click", action);
      tools.append(button);
    }
    head.append(tools);
    item.append(head);
    const params = document.createElement("div");
    params.className = "params";
    const schema = op.params_schema;
    for (const [name, property] of Object.entries(schema.properties)) {
      if (name === "op") continue;
      const id = `step-${index}-${name}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      const bounds = property.minimum !== undefined ? ` (${property.minimum}–${property.maximum})` : "";
      label.textContent = `${name}${bounds}`;
      if (property.description) label.title = property.description;
      const input = paramInput(name, property, step.params[name], (value) => { step.params[name] = value; }, id);
      input.required = (schema.required || []).includes(name);
      const field = document.createElement("span");
      field.className = "param";
      field.append(label, input);
      params.append(field);
    }
    if (params.childElementCount) item.append(params);
    list.append(item);
  });
}

function move(index, by) {
  const [step] = photo.steps.splice(index, 1);
  photo.steps.splice(index + by, 0, step);
  renderSteps();
  $("steps").children[index + by].querySelector("button")?.focus();
}

function choosePhoto(file) {
  if (!file) return;
  photo.file = file;
  const original = $("original");
  original.src = URL.createObjectURL(file);
  original.hidden = false;
  $("edited").hidden = true;
  $("download").hidden = true;
}

async function setUpPhotoEditor() {
  $("add-step").addEventListener("click", () => {
    const op = photo.ops[$("new-op").value];
    const { op: _, ...params } = op.example;
    photo.steps.push({ op: op.op, params });
    renderSteps();
  });
  $("photo-file").addEventListener("change", (event) => choosePhoto(event.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) $("photo-file").files = event.dataTransfer.files; // show its name
    choosePhoto(event.dataTransfer.files[0]);
  });
  $("photo-form").addEventListener("submit", submitPhoto);
  const ops = await (await api("/filters")).json();
  for (const op of ops) {
    photo.ops[op.op] = op;
    $("new-op").append(new Option(`${op.op}: ${op.summary}`, op.op));
  }
}

async function submitPhoto(event) {
  event.preventDefault();
  const errorBox = $("photo-error");
  hideError(errorBox);
  if (!photo.file) return showError(errorBox, { message: "Choose a photo first." });
  if (!photo.steps.length && !$("out-format").value) {
    return showError(errorBox, { message: "Add a filter step, or choose an output format to convert the photo." });
  }
  $("edited").hidden = $("download").hidden = true; // a result shown is always this submission's
  const form = new FormData();
  form.append("kind", "image");
  form.append("image", photo.file);
  form.append("filters", JSON.stringify(photo.steps.map((step) => ({ op: step.op, ...step.params }))));
  if ($("out-format").value) form.append("output", JSON.stringify({ format: $("out-format").value }));
  await runTool("photo", () => ({ body: form }), async (status, answer) => {
    const url = URL.createObjectURL(await answer.blob());
    const edited = $("edited");
    edited.src = url;
    edited.hidden = false;
    const download = $("download");
    download.href = url;
    download.download = status.result.filename || "edited";
    download.hidden = false;
  });
}

// One tool's task: its button off while it runs, its progress bar fed, its error box for any
// refusal or failure. `request` makes the POST /task options (it may throw: a bad form);
// `show` gets the final status and the result's response.
async function runTool(tool, request, show) {
  const button = $(`${tool}-submit`);
  button.disabled = true;
  try {
    const reporter = progressReporter($(`${tool}-progress-row`), $(`${tool}-progress`), $(`${tool}-state`));
    const status = await runTask(request(), reporter);
    if (status.status !== "ready") throw failure(status);
    await show(status, await api(`/result/${status.task_id}`));
  } catch (error) {
    showError($(`${tool}-error`), error);
  } finally {
    button.disabled = false;
    refreshIdentity();
  }
}

// --- code runner ---------------------------------------------------------------------------

const SAMPLES = {
  python: 'print("hello, world")\n',
  c: '#include <stdio.h>\n\nint main(void) {\n    printf("hello, world\\n");\n    return 0;\n}\n',
  cpp: '#include <iostream>\n\nint main() {\n    std::cout << "hello, world" << std::endl;\n}\n',
  bash: 'echo "hello, world"\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("hello, world");\n    }\n}\n',
  javascript: 'console.log("hello, world");\n',
  typescript: 'const greeting: string = "hello, world";\nconsole.log(greeting);\n',
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello, world")\n}\n',
  rust: 'fn main() {\n    println!("hello, world");\n}\n',
  ruby: 'puts "hello, world"\n',
  php: '<?php\necho "hello, world\\n";\n',
};

// The plain textarea's own Tab handling: what the page falls back to without Ace.
function setUpTextarea(textarea) {
  let leaving = false; // after Esc, Tab moves focus as usual (keyboard users must be able to leave)
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { leaving = true; return; }
    if (event.key === "Tab" && !event.shiftKey && !leaving) {
      event.preventDefault();
      const { selectionStart: start, selectionEnd: end, value } = textarea;
      textarea.value = `${value.slice(0, start)}    ${value.slice(end)}`;
      textarea.selectionStart = textarea.selectionEnd = start + 4;
      return;
    }
    leaving = false;
  });
}

// The code editor: Ace, vendored under /static (scripts/vendor-editor), over the textarea it
// replaces and keeps in step (the form reads the textarea either way). Highlighting follows the
// language (web/editor.py maps each to its Ace mode); Ctrl/Cmd+Enter runs the program; Esc then
// Tab leaves the editor, Enter on it edits again. Without Ace the textarea stays as it was.
const EDITOR_MODES = JSON.parse(document.getElementById("editor-modes")?.textContent || "{}");
let codeEditor = null;

function setUpAce(textarea) {
  const box = $("source-editor");
  if (!window.ace) return null;
  ace.config.set("basePath", box.dataset.aceBase); // modes load from this service, never a CDN
  const editor = ace.edit(box, {
    value: textarea.value,
    mode: "ace/mode/text",
    useWorker: false, // no syntax-check workers: the program's own compiler says what is wrong
    tabSize: 4,
    useSoftTabs: true,
    showPrintMargin: false,
    fontSize: "0.92rem",
    minLines: 14,
    maxLines: 40,
    enableKeyboardAccessibility: true,
    textInputAriaLabel: "Source",
  });
  textarea.hidden = true;
  textarea.required = false; // a hidden required field would block the form; submitCode checks instead
  box.hidden = false;
  editor.session.on("change", () => { textarea.value = editor.getValue(); });
  editor.commands.addCommand({
    name: "run",
    bindKey: { win: "Ctrl-Enter", mac: "Command-Enter" },
    exec: () => $("code-form").requestSubmit(),
  });
  $("source-label").addEventListener("click", () => editor.focus());
  return editor;
}

function setSource(text) {
  if (codeEditor) codeEditor.setValue(text, 1); else $("source").value = text;
}

async function setUpCodeRunner() {
  const textarea = $("source");
  setUpTextarea(textarea);
  codeEditor = setUpAce(textarea);
  $("code-form").addEventListener("submit", submitCode);
  const languages = await (await api("/languages")).json();
  const select = $("language");
  for (const language of languages) select.append(new Option(language.name, language.name));
  const pick = () => {
    const language = languages.find((item) => item.name === select.value);
    $("language-version").textContent = language ? language.version : "";
    if (!textarea.value.trim() || Object.values(SAMPLES).includes(textarea.value)) setSource(SAMPLES[select.value] || "");
    if (codeEditor) codeEditor.session.setMode(`ace/mode/${EDITOR_MODES[select.value] || "text"}`);
  };
  select.addEventListener("change", pick);
  pick();
}

async function submitCode(event) {
  event.preventDefault();
  const errorBox = $("code-error");
  hideError(errorBox);
  $("code-result").hidden = true;
  const params = { language: $("language").value, source: $("source").value, stdin: $("stdin").value };
  if (!params.source.trim()) {
    showError(errorBox, new Error("Write a program first: the source is empty."));
    return;
  }
  if ($("expected").value) params.expected_output = $("expected").value;
  const request = () => {
    if ($("tests").value.trim()) {
      try {
        params.tests = JSON.parse($("tests").value);
      } catch {
        throw new Error("The test cases are not valid JSON: a list of {stdin, expected_output, name}.");
      }
      delete params.stdin;
    }
    return { body: JSON.stringify({ kind: "code", params }), headers: { "Content-Type": "application/json" } };
  };
  await runTool("code", request, async (status, answer) => showVerdict((await answer.json()).result));
}

// Output that is not valid UTF-8 is stored as base64 (stdout_encoding): show it as text anyway.
function outputText(report, stream) {
  if (!report) return "";
  if (report[`${stream}_encoding`] !== "base64") return report[stream];
  const bytes = Uint8Array.from(atob(report[stream]), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

function showVerdict(result) {
  $("verdict").textContent = result.verdict.replaceAll("_", " ");
  $("verdict").className = ["accepted", "ok"].includes(result.verdict) ? "ok" : "bad";
  const run = result.run;
  $("run-stats").textContent = run
    ? `exit code ${run.exit_code}${run.signal ? `, signal ${run.signal}` : ""}, CPU ${run.time_s ?? "?"} s, wall ${run.wall_s} s, memory ${run.memory_kb ?? "?"} KB${run.disk_kb != null ? `, disk ${run.disk_kb} KB` : ""}`
    : "";
  const compile = result.compile;
  $("compile-block").hidden = !(compile && (compile.stderr || compile.stdout));
  $("compile-output").textContent = outputText(compile, "stdout") + outputText(compile, "stderr");
  $("stdout").textContent = outputText(run, "stdout");
  $("stderr").textContent = outputText(run, "stderr");
  const cases = result.tests || [];
  $("test-cases").hidden = cases.length === 0;
  $("test-rows").replaceChildren(...cases.map((test) => {
    const row = document.createElement("tr");
    for (const value of [test.name, test.verdict.replaceAll("_", " "), test.time_s ?? "?", test.memory_kb ?? "?", outputText(test, "stdout")]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    row.className = test.verdict === "accepted" ? "ok" : "bad";
    return row;
  }));
  $("code-result").hidden = false;
}

// --- my tasks ------------------------------------------------------------------------------

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(TASKS_STORE)) || [];
  } catch {
    return [];
  }
}

function remember(taskId) {
  localStorage.setItem(TASKS_STORE, JSON.stringify([taskId, ...remembered().filter((id) => id !== taskId)].slice(0, 50)));
}

function forget(taskId) {
  localStorage.setItem(TASKS_STORE, JSON.stringify(remembered().filter((id) => id !== taskId)));
}

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

let refreshTimer = null;

async function loadTasks() {
  if (apiKey()) {
    $("tasks-note").textContent = "Your tasks, newest first.";
    return (await (await api("/tasks?limit=20")).json()).results;
  }
  $("tasks-note").textContent =
    "Tasks submitted from this browser. Anonymous tasks are never listed by the service: paste an API key to see all of yours.";
  const tasks = [];
  for (const id of remembered()) {
    try {
      tasks.push(await (await api(`/status/${id}`)).json());
    } catch (error) {
      if (error.problem && error.problem.status === 404) forget(id); // expired or deleted
    }
  }
  return tasks;
}

async function refreshTasks() {
  clearTimeout(refreshTimer);
  if ($("tasks").hidden) return;
  let tasks;
  try {
    tasks = await loadTasks();
  } catch (error) {
    $("tasks-note").textContent = error.message;
    return;
  }
  const rows = $("task-rows");
  rows.replaceChildren();
  for (const task of tasks) rows.append(taskRow(task));
  if (!tasks.length) {
    const row = rows.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 5;
    cell.textContent = "No tasks yet.";
  }
  if (tasks.some((task) => task.status === "in_progress")) refreshTimer = setTimeout(refreshTasks, 1000);
}

function taskRow(task) {
  const row = document.createElement("tr");
  row.dataset.taskId = task.task_id;
  row.insertCell().textContent = task.kind;
  const status = row.insertCell();
  if (task.status === "in_progress") {
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = task.progress;
    bar.setAttribute("aria-label", `Progress of task ${task.task_id}`);
    status.append(bar, ` ${task.state} ${Math.round(task.progress * 100)}%`);
  } else {
    status.textContent = task.status;
  }
  row.insertCell().textContent = age(task.created_at);
  const link = document.createElement("a");
  link.textContent = task.task_id.slice(0, 8);
  link.title = task.task_id;
  if (task.status === "ready") {
    link.href = "#";
    link.setAttribute("aria-label", `Open the result of task ${task.task_id}`);
    link.addEventListener("click", (event) => { event.preventDefault(); openResult(task.task_id); });
  }
  row.insertCell().append(link);
  const actions = row.insertCell();
  const act = (text, method, path) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.setAttribute("aria-label", `${text} task ${task.task_id}`);
    button.addEventListener("click", async () => {
      try {
        await api(path, { method });
        if (method === "DELETE") forget(task.task_id);
      } catch (error) {
        $("tasks-note").textContent = error.message;
      }
      refreshTasks();
    });
    actions.append(button);
  };
  if (task.status === "in_progress") act("Cancel", "POST", `/task/${task.task_id}/cancel`);
  act("Delete", "DELETE", `/task/${task.task_id}`);
  return row;
}

async function openResult(taskId) {
  // Fetched with the key (a plain link could not send it), then shown in a new tab.
  const tab = window.open("", "_blank");
  try {
    const blob = await (await api(`/result/${taskId}`)).blob();
    tab.location = URL.createObjectURL(blob);
  } catch (error) {
    tab.close();
    $("tasks-note").textContent = error.message;
  }
}

// --- matrices ------------------------------------------------------------------------------

// "300x300" or "300x300 seed 7": generated by the service; anything else is rows of numbers.
function matrixParam(text) {
  const shape = text.trim().match(/^(\d+)\s*[x×]\s*(\d+)(?:\s+seed\s+(\d+))?$/i);
  if (shape) return { shape: [Number(shape[1]), Number(shape[2])], seed: Number(shape[3] || 1) };
  return text.trim().split("\n").filter((line) => line.trim()).map((line) => line.trim().split(/[\s,]+/).map(Number));
}

async function submitMatrix(event) {
  event.preventDefault();
  hideError($("matrix-error"));
  $("matrix-result").hidden = true;
  const params = { a: matrixParam($("matrix-a").value), dtype: $("matrix-dtype").value };
  if ($("matrix-b").value.trim()) params.b = matrixParam($("matrix-b").value);
  else params.power = Number($("matrix-power").value || 1);
  const body = JSON.stringify({ kind: "matrix", params });
  await runTool("matrix", () => ({ body, headers: { "Content-Type": "application/json" } }), async (status, answer) => {
    const matrix = answer.headers.get("Content-Type").startsWith("application/json")
      ? fromRows((await answer.json()).result.result)
      : fromNpy(await answer.arrayBuffer());
    showMatrix(matrix, status.result.meta);
  });
}

function fromRows(rows) {
  return { rows: rows.length, columns: rows.length ? rows[0].length : 0, values: rows.flat().map(Number) };
}

// A .npy file as the service writes it: 2-D, C order, little-endian float64, float32 or int64.
function fromNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const major = bytes[6];
  const headerSize = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerSize;
  const header = new TextDecoder().decode(bytes.slice(major === 1 ? 10 : 12, start));
  const [rows, columns] = header.match(/'shape':\s*\((\d+),\s*(\d+)\)/).slice(1).map(Number);
  const descr = header.match(/'descr':\s*'([^']+)'/)[1];
  const data = buffer.slice(start);
  const typed = { "<f8": Float64Array, "<f4": Float32Array, "<i8": BigInt64Array }[descr];
  if (!typed) throw new Error(`The result is a .npy of ${descr}, which this page cannot show: download it from My tasks.`);
  return { rows, columns, values: Array.from(new typed(data), Number) };
}

function showMatrix(matrix, meta) {
  const { rows, columns, values } = matrix;
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) { if (value < low) low = value; if (value > high) high = value; }
  $("matrix-shape").textContent = `${rows} × ${columns} ${meta.dtype}`;
  $("matrix-stats").textContent = `min ${low.toPrecision(4)}, max ${high.toPrecision(4)}, ${meta.checksum}`;
  drawHeatmap($("matrix-heatmap"), matrix);
  const corner = [];
  for (let r = 0; r < Math.min(rows, 6); r += 1) {
    const cells = values.slice(r * columns, r * columns + Math.min(columns, 6)).map((v) => Number(v.toPrecision(6)));
    corner.push(cells.join("\t") + (columns > 6 ? "\t…" : ""));
  }
  $("matrix-corner").textContent = corner.join("\n") + (rows > 6 ? "\n…" : "");
  $("matrix-result").hidden = false;
}

// At most 64 × 64 cells, each the mean of its block, coloured from blue (the lowest mean) through
// white to red (the highest); the canvas keeps the matrix's proportions.
function drawHeatmap(canvas, { rows, columns, values }) {
  const down = Math.min(rows, 64);
  const across = Math.min(columns, 64);
  const means = [];
  for (let i = 0; i < down; i += 1) {
    for (let j = 0; j < across; j += 1) {
      let sum = 0;
      let count = 0;
      for (let r = Math.floor((i * rows) / down); r < Math.floor(((i + 1) * rows) / down); r += 1) {
        for (let c = Math.floor((j * columns) / across); c < Math.floor(((j + 1) * columns) / across); c += 1) {
          sum += values[r * columns + c];
          count += 1;
        }
      }
      means.push(sum / count);
    }
  }
  const low = Math.min(...means);
  const high = Math.max(...means);
  const scale = 256 / Math.max(down, across);
  canvas.width = Math.max(8, Math.round(across * scale));
  canvas.height = Math.max(8, Math.round(down * scale));
  const context = canvas.getContext("2d");
  means.forEach((mean, index) => {
    const t = high > low ? (mean - low) / (high - low) : 0.5;
    const pale = Math.round(255 * Math.min(2 * t, 2 * (1 - t))); // white in the middle
    context.fillStyle = t < 0.5 ? `rgb(${pale}, ${pale}, 255)` : `rgb(255, ${pale}, ${pale})`;
    const row = Math.floor(index / across);
    context.fillRect((index % across) * scale, row * scale, Math.ceil(scale), Math.ceil(scale));
  });
  canvas.dataset.cells = `${down}x${across}`;
}

// --- start ---------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  setUpTabs();
  setUpKeyPanel();
  setUpPhotoEditor().catch((error) => showError($("photo-error"), error));
  setUpCodeRunner().catch((error) => showError($("code-error"), error));
  $("matrix-form").addEventListener("submit", submitMatrix);
});
