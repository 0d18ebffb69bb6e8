// pi2de serve: the page's script. It uploads the chosen files, starts a run of
// `pi2de convert`, follows its progress and shows what the run's summary says. No library,
// no build step, nothing fetched from anywhere but this server.
"use strict";

const token = document.body.dataset.token;
const $ = (id) => document.getElementById(id);
const api = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);

// The files chosen, by role (from the file inputs or dropped).
const chosen = { export: [], mapping: [], metadata: [] };

function show(role) {
  const files = chosen[role];
  const label = document.querySelector(`.chosen[data-for="${role}"]`);
  label.textContent = files.length
    ? files.map((f) => `${f.name} (${size(f.size)})`).join(", ")
    : (role === "export" ? "drop files here or click to choose" : "drop a file here or click to choose");
  label.closest(".drop").classList.toggle("has", files.length > 0);
}

function size(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}

for (const role of Object.keys(chosen)) {
  const input = $(role);
  input.addEventListener("change", () => {
    chosen[role] = Array.from(input.files);
    show(role);
  });
  const zone = document.querySelector(`.drop[data-role="${role}"]`);
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const files = Array.from(e.dataTransfer.files);
    chosen[role] = role === "export" ? files : files.slice(0, 1);
    show(role);
  });
}

function state(text, bad) {
  $("state").textContent = text;
  $("state").classList.toggle("bad", !!bad);
}

// The files already uploaded, by role: a second run of the same files sends them again only
// when they changed.
const uploaded = new Map();

// Uploads one file, or finds it uploaded; `onProgress(sent)` follows the bytes sent.
async function upload(role, file, onProgress) {
  const key = [role, file.name, file.size, file.lastModified].join("\u0000");
  if (!uploaded.has(key)) uploaded.set(key, send(role, file, onProgress));
  try {
    return await uploaded.get(key);
  } catch (err) {
    uploaded.delete(key);
    throw err;
  }
}

function send(role, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", api(`/api/upload?role=${role}&name=${encodeURIComponent(file.name)}`));
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "{}");
      if (xhr.status === 200) resolve(body.id);
      else reject(new Error(body.error || `upload refused (${xhr.status})`));
    };
    xhr.onerror = () => reject(new Error("the upload stopped: is pi2de serve still running?"));
    xhr.send(file);
  });
}

async function json(path, options) {
  const response = await fetch(api(path), options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `refused (${response.status})`);
  return body;
}

$("job").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!chosen.export.length) return state("Choose the export file(s) first.", true);
  const button = $("run");
  button.disabled = true;
  $("result").hidden = true;
  const bar = $("progress");
  bar.hidden = false;
  try {
    const all = [...chosen.export, ...chosen.mapping, ...chosen.metadata];
    const total = all.reduce((n, f) => n + f.size, 0) || 1;
    let sent = 0;
    const ids = {};
    for (const role of Object.keys(chosen)) {
      ids[role] = [];
      for (const file of chosen[role]) {
        state(`Uploading ${file.name}…`);
        ids[role].push(await upload(role, file, (n) => (bar.value = (sent + n) / total)));
        sent += file.size;
      }
    }
    state("Converting…");
    bar.value = 0;
    const started = await json("/api/run", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        exports: ids.export,
        mapping: ids.mapping[0] ?? null,
        targetMetadata: ids.metadata[0] ?? null,
        format: $("format").value,
        gzip: $("gzip").checked,
        onDuplicate: $("onDuplicate").value,
        onUnmapped: $("onUnmapped").value,
        periods: $("periods").value,
        excludeCurrent: $("excludeCurrent").checked,
        asOf: $("asOf").value,
      }),
    });
    let status;
    for (;;) {
      status = await json(`/api/run/${started.run}`);
      if (status.done) break;
      if (status.total) bar.value = status.bytes / status.total;
      await new Promise((r) => setTimeout(r, 250));
    }
    bar.value = 1;
    report(status);
  } catch (err) {
    state(err.message, true);
  } finally {
    button.disabled = false;
    bar.hidden = true;
  }
});

const VERDICTS = {
  0: "Done: every value read was written.",
  1: "Done, with values left out: each one is listed in the summary and the audit workbook.",
  2: "Nothing was written: see what pi2de said below.",
};

function report(status) {
  const s = status.summary;
  state(status.exitCode === 2 ? "Stopped." : "Done.", status.exitCode === 2);
  $("verdict").textContent = VERDICTS[status.exitCode] ?? "The run was stopped.";
  $("verdict").className = `verdict code${status.exitCode}`;
  const c = s ? s.counts : null;
  // The reasons in the console's order.
  const order = document.body.dataset.reasons.split(" ");
  const rank = (reason) => (order.includes(reason) ? order.indexOf(reason) : order.length);
  const left = c
    ? Object.entries(c.leftOut).filter(([, n]) => n > 0).sort((a, b) => rank(a[0]) - rank(b[0]))
    : [];
  const put = (name, value) => (document.querySelector(`[data-count="${name}"]`).textContent = value ?? "–");
  put("read", c?.read);
  put("written", c?.written);
  put("leftOut", c ? left.reduce((n, [, k]) => n + k, 0) : null);
  put("duplicateKeys", s?.duplicateKeys);
  put("findings", s?.mapping ? s.mapping.findings.length : null);
  $("validationRow").hidden = $("violationRow").hidden = !s?.validation;
  put("evaluated", s?.validation?.evaluated);
  put("violations", s?.validation?.violationCount);
  $("targetRow").hidden = !s?.target;
  put("target", s?.target ? `DHIS2 ${s.target.version ?? "(newest rules)"}` : null);
  const reasons = $("reasons");
  reasons.replaceChildren(
    ...left.map(([reason, n]) => {
      const row = document.createElement("tr");
      row.className = "reason";
      const th = document.createElement("th");
      th.textContent = reason;
      const td = document.createElement("td");
      td.dataset.count = reason;
      td.textContent = n;
      row.append(th, td);
      return row;
    }),
  );
  chart(c ? [["written", c.written], ...left] : []);
  const list = $("downloads");
  const labels = { "run.json": "summary (JSON)", "trace.csv": "trace (CSV)", "audit.xlsx": "audit workbook (Excel)" };
  list.replaceChildren(
    ...status.files.map((f) => {
      const item = document.createElement("li");
      const a = document.createElement("a");
      a.href = api(`/api/run/${status.run}/file/${encodeURIComponent(f.name)}`);
      a.download = f.name;
      a.textContent = f.name;
      a.dataset.file = f.name;
      item.append(a, ` ${labels[f.name] ?? "output, to import"} · ${size(f.size)}`);
      return item;
    }),
  );
  $("console").textContent = status.console;
  $("result").hidden = false;
}

// A bar per outcome, as inline SVG built here (no chart library).
function chart(rows) {
  const box = $("chart");
  box.replaceChildren();
  if (!rows.length) return;
  const ns = "http://www.w3.org/2000/svg";
  const max = Math.max(...rows.map(([, n]) => n), 1);
  const height = 26 * rows.length + 4;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 420 ${height}`);
  svg.setAttribute("role", "img");
  rows.forEach(([name, n], i) => {
    const y = 4 + 26 * i;
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", 0);
    label.setAttribute("y", y + 15);
    label.textContent = name;
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", 150);
    bar.setAttribute("y", y);
    bar.setAttribute("height", 20);
    bar.setAttribute("width", Math.max(2, (200 * n) / max));
    bar.setAttribute("class", name === "written" ? "ok" : "out");
    const count = document.createElementNS(ns, "text");
    count.setAttribute("x", 156 + Math.max(2, (200 * n) / max));
    count.setAttribute("y", y + 15);
    count.textContent = n;
    svg.append(label, bar, count);
  });
  box.append(svg);
}
