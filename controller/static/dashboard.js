// fsor operator dashboard: reads only the JSON API of `fsor serve` (same origin).
// GET /topology (RFC 8345), GET /plans and /plans/{id} (the plan JSON of docs/api.md),
// GET /events (Server-Sent Events). No build step and no third-party script: the charts are SVG.
"use strict";

const $ = (id) => document.getElementById(id);
const NW = "ietf-network:networks", LINK = "ietf-network-topology:link";
const TP = "ietf-network-topology:termination-point";
const FMIN = 191.35, FMAX = 196.10;  // the C-band grid of docs/model.md (THz)

function setStatus(text, state) {
  const el = $("status");
  el.textContent = text;
  el.dataset.state = state;
}

async function getJSON(path) {
  const resp = await fetch(path, { headers: { Accept: "application/json" } });
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
  return resp.json();
}

function freqColour(thz) {
  const f = Math.min(1, Math.max(0, (thz - FMIN) / (FMAX - FMIN)));
  return `hsl(${Math.round(270 * (1 - f))}, 85%, 45%)`;  // violet (low) .. red (high)
}

function svgEl(tag, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// --- topology -----------------------------------------------------------------------------
function drawTopology(topo, plan) {
  const net = topo[NW].network[0];
  // ROADMs are the nodes with degree termination points ("deg-..."); fibres join two ROADMs
  const roadms = net.node.filter((n) => (n[TP] || []).some((tp) => tp["tp-id"].startsWith("deg-")))
    .map((n) => n["node-id"]);
  const links = (net[LINK] || []).filter((l) => roadms.includes(l.source["source-node"])
    && roadms.includes(l.destination["dest-node"]));
  const pos = {};
  const cx = 320, cy = 205, r = 165;
  roadms.forEach((n, i) => {
    const a = (2 * Math.PI * i) / roadms.length - Math.PI / 2;
    pos[n] = [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
  const svg = $("topology");
  svg.replaceChildren();
  const seen = new Set();
  for (const l of links) {
    const a = l.source["source-node"], b = l.destination["dest-node"];
    const key = [a, b].sort().join("|");
    if (seen.has(key)) continue;
    seen.add(key);
    svg.append(svgEl("line", { class: "fibre", x1: pos[a][0], y1: pos[a][1],
                               x2: pos[b][0], y2: pos[b][1] }));
  }
  const lps = (plan && plan.lightpaths) || [];
  lps.forEach((lp, k) => {
    const off = ((k % 7) - 3) * 2.2;  // spread parallel lightpaths
    const pts = lp.path.filter((n) => pos[n]).map((n) => `${pos[n][0] + off},${pos[n][1] + off}`);
    const line = svgEl("polyline", { class: "lightpath", points: pts.join(" "),
                                     stroke: freqColour(lp.frequency_thz) });
    line.append(svgEl("title", {}, `${lp.workload || "lightpath"}: ${lp.path.join(" → ")} @ ${lp.frequency_thz} THz`));
    svg.append(line);
  });
  // sites hang off their ROADM (the ROADM's termination point "access-<site>")
  const siteAt = {};
  for (const n of net.node) {
    for (const tp of n[TP] || []) {
      if (tp["tp-id"].startsWith("access-")) siteAt[tp["tp-id"].slice(7)] = n["node-id"];
    }
  }
  for (const n of roadms) {
    const [x, y] = pos[n];
    svg.append(svgEl("circle", { class: "roadm", cx: x, cy: y, r: 6 }));
    const dx = x >= cx ? 9 : -9;
    svg.append(svgEl("text", { x: x + dx, y: y - 8, "text-anchor": x >= cx ? "start" : "end" }, n));
  }
  for (const [site, roadm] of Object.entries(siteAt)) {
    if (!pos[roadm]) continue;
    const [x, y] = pos[roadm];
    const sx = cx + (x - cx) * 1.17, sy = cy + (y - cy) * 1.17;
    svg.append(svgEl("line", { class: "fibre", x1: x, y1: y, x2: sx, y2: sy, "stroke-width": 1 }));
    svg.append(svgEl("rect", { class: "site", x: sx - 5, y: sy - 5, width: 10, height: 10 }));
    svg.append(svgEl("text", { x: sx + (sx >= cx ? 8 : -8), y: sy + 12,
                               "text-anchor": sx >= cx ? "start" : "end" }, site));
  }
  const freqs = [...new Set(lps.map((lp) => lp.frequency_thz))].sort();
  $("freq-legend").textContent = lps.length
    ? `${lps.length} lightpath(s); frequencies ${freqs.join(", ")} THz`
    : "no lightpaths in the current plan";
  svg.dataset.lightpaths = String(lps.length);
  svg.dataset.roadms = String(roadms.length);
}

// --- sites ----------------------------------------------------------------------------------
// the plan's sites and hours: from its burden rows and its per-slot power-cap rows
function planGrid(plan) {
  const powerCaps = plan.caps.filter((c) => c.cap === "power");
  const sites = [...new Set([...plan.burdens.map((b) => b.site), ...powerCaps.map((c) => c.site_or_zone)])].sort();
  const times = new Set([...plan.burdens.map((b) => Date.parse(b.start) / 1000),
                         ...powerCaps.map((c) => Date.parse(c.slot) / 1000)]);
  const xs = [...times].sort((a, b) => a - b);
  return { sites, xs };
}

// a small SVG chart: the series as a filled line, the cap as a dashed line, hours on x
function lineChart(title, xs, ys, caps, width, height) {
  const pad = { l: 52, r: 8, t: 18, b: 18 };
  const svg = svgEl("svg", { class: "chart", width, height, viewBox: `0 0 ${width} ${height}` });
  svg.append(svgEl("text", { class: "chart-title", x: pad.l, y: 12 }, title));
  if (!xs.length) return svg;
  const top = Math.max(1e-9, ...ys, ...caps.filter((c) => c !== null));
  const x0 = xs[0], x1 = xs.length > 1 ? xs[xs.length - 1] : xs[0] + 1;
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const py = (y) => height - pad.b - (y / top) * (height - pad.t - pad.b);
  const pts = xs.map((x, i) => `${px(x).toFixed(1)},${py(ys[i]).toFixed(1)}`);
  const base = `${px(xs[xs.length - 1]).toFixed(1)},${py(0)} ${px(x0).toFixed(1)},${py(0)}`;
  svg.append(svgEl("polygon", { class: "series-fill", points: `${pts.join(" ")} ${base}` }));
  svg.append(svgEl("polyline", { class: "series", points: pts.join(" ") }));
  const capPts = xs.map((x, i) => (caps[i] === null ? null : `${px(x).toFixed(1)},${py(caps[i]).toFixed(1)}`));
  if (capPts.some((c) => c !== null)) {
    svg.append(svgEl("polyline", { class: "cap", points: capPts.filter((c) => c !== null).join(" ") }));
  }
  svg.append(svgEl("text", { class: "axis", x: pad.l - 4, y: py(top) + 4, "text-anchor": "end" }, String(Number(top.toPrecision(3)))));
  svg.append(svgEl("text", { class: "axis", x: pad.l - 4, y: py(0), "text-anchor": "end" }, "0"));
  const hour = (x) => new Date(x * 1000).toISOString().slice(11, 16);
  svg.append(svgEl("text", { class: "axis", x: px(x0), y: height - 4 }, hour(x0)));
  svg.append(svgEl("text", { class: "axis", x: px(x1), y: height - 4, "text-anchor": "end" }, hour(x1)));
  return svg;
}

function drawSites(plan) {
  const box = $("sites");
  box.replaceChildren();
  const { sites, xs } = planGrid(plan);
  for (const site of sites) {
    const power = xs.map((x) => {
      const b = plan.burdens.find((r) => r.site === site && Date.parse(r.start) / 1000 === x);
      return b ? b.power_kw : 0;
    });
    const caps = plan.caps.filter((c) => c.cap === "power" && c.site_or_zone === site);
    const capAt = {};
    for (const c of caps) capAt[Date.parse(c.slot) / 1000] = c.limit;
    const limit = xs.map((x) => (x in capAt ? capAt[x] : null));
    const div = document.createElement("div");
    div.className = "site-chart";
    div.dataset.site = site;
    box.append(div);
    div.append(lineChart(`${site}: facility power (kW)`, xs, power, limit,
                         Math.max(300, box.clientWidth - 10), 130));
  }
  const rows = $("site-day").tBodies[0];
  rows.replaceChildren();
  const sum = (cap, where) => plan.caps.filter((c) => c.cap === cap && c.site_or_zone === where);
  const fmt = (rs) => rs.length ? rs.map((c) => `${c.value.toFixed(0)} / ${c.limit.toFixed(0)}`).join(", ") : "–";
  const over = (rs) => rs.some((c) => c.value > c.limit * (1 + 1e-6));
  for (const site of sites) {
    const tr = document.createElement("tr");
    const water = sum("water", site);
    if (over(water)) tr.className = "over";
    tr.innerHTML = `<td>${site}</td><td>${fmt(water)}</td><td>–</td>`;
    rows.append(tr);
  }
  // carbon caps are per grid zone (or "total"), not per site
  for (const zone of [...new Set(plan.caps.filter((c) => c.cap === "carbon").map((c) => c.site_or_zone))]) {
    const tr = document.createElement("tr");
    const carbon = sum("carbon", zone);
    if (over(carbon)) tr.className = "over";
    tr.innerHTML = `<td>zone ${zone}</td><td>–</td><td>${fmt(carbon)}</td>`;
    rows.append(tr);
  }
  box.dataset.sites = String(sites.length);
}

// --- placements -------------------------------------------------------------------------------
function drawPlacements(plan) {
  const table = $("placements");
  const { sites, xs } = planGrid(plan);
  const count = {};
  for (const p of plan.placements) {
    const key = `${p.site}|${Date.parse(p.start) / 1000}`;
    count[key] = (count[key] || 0) + 1;
  }
  let html = "<thead><tr><th>site / UTC h</th>";
  for (const x of xs) html += `<th>${new Date(x * 1000).toISOString().slice(11, 13)}</th>`;
  html += "</tr></thead><tbody>";
  for (const s of sites) {
    html += `<tr><td>${s}</td>`;
    for (const x of xs) {
      const n = count[`${s}|${x}`] || 0;
      html += `<td class="${n ? "busy" : ""}">${n || ""}</td>`;
    }
    html += "</tr>";
  }
  table.innerHTML = html + "</tbody>";
  table.dataset.placements = String(plan.placements.length);
}

// --- events -------------------------------------------------------------------------------------
const KINDS = ["service-started", "discovery", "discovery-started", "device-up", "device-down",
  "lightpaths-at-risk", "plan-queued", "plan-progress", "plan-done", "plan-interrupted",
  "apply", "apply-committed", "cap-violation", "loop-decision", "jobs-resumed",
  "reconcile-wait", "reconciled", "reconcile-failed", "message"];

function listenEvents(onPlanDone) {
  const list = $("events");
  const src = new EventSource("events?since=0");  // the replay buffer, then live
  const add = (e) => {
    const li = document.createElement("li");
    let body = e.data;
    try {  // fsor serve sends the whole event as data: show its payload
      const doc = JSON.parse(e.data);
      body = JSON.stringify(doc && typeof doc === "object" && "data" in doc ? doc.data : doc);
    } catch (_) { /* not JSON: show as sent */ }
    if (body.length > 140) body = body.slice(0, 139) + "…";
    li.textContent = `${new Date().toISOString().slice(11, 19)} ${e.type} ${body}`;
    list.prepend(li);
    while (list.children.length > 100) list.lastChild.remove();
    list.dataset.count = String(Number(list.dataset.count || 0) + 1);
    if (e.type === "plan-done") onPlanDone();
  };
  for (const k of KINDS) src.addEventListener(k, add);
  src.onerror = () => setStatus("event stream reconnecting…", "error");
  src.onopen = () => setStatus("live", "ok");
}

// --- plan ---------------------------------------------------------------------------------------
async function latestPlan() {
  const doc = await getJSON("plans");
  const jobs = (doc.jobs || []).filter((j) => j.status === "succeeded");
  jobs.sort((a, b) => (b.seq || 0) - (a.seq || 0));
  for (const j of jobs) {
    const job = j.result ? j : await getJSON(`plans/${encodeURIComponent(j.id)}`);
    const r = job.result;
    if (r && (r.status === "optimal" || r.status === "feasible")) return [job, r];
  }
  return [null, null];
}

async function refresh() {
  try {
    const [topo, [job, plan]] = await Promise.all([getJSON("topology"), latestPlan()]);
    drawTopology(topo, plan);
    if (plan) {
      $("plan-info").textContent = `plan ${job.id}: ${plan.status}, ${plan.placements.length} placement(s), objective ${plan.objective === null ? "–" : plan.objective.toPrecision(5)}`;
      drawSites(plan);
      drawPlacements(plan);
    } else {
      $("plan-info").textContent = "no plan yet";
    }
    document.body.dataset.ready = "1";
  } catch (err) {
    setStatus(String(err), "error");
    document.body.dataset.ready = "error";
  }
}

refresh();
listenEvents(refresh);
