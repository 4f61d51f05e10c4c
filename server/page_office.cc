// The office's page beyond conflicts (issue 13.6): the follow-up of action
// items, the plan's progress per objective and party (an SVG chart drawn
// here from /api/plan), search, and one record with its history. Every value
// is put in the page as text (txt, el), never as HTML.
#include "server/page_parts.h"

namespace accord::server::page {

const char* OfficeScript() {
  return R"js(
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
function card(title, ...children) {
  return el("section", {class: "card"}, el("h3", {}, title), el("div", {class: "body"}, ...children));
}
function table(headers, rows, cls) {
  return el("table", {class: "grid " + (cls || "")},
    el("thead", {}, el("tr", {}, headers.map(h => el("th", {}, h)))), el("tbody", {}, rows));
}

// ---- Actions: what the next meeting opens with (accord report actions).
async function loadActions() {
  const latest = ask("actions");
  const q = new URLSearchParams();
  if ($("actions-open").checked) q.set("open", "1");
  if ($("actions-overdue").checked) q.set("overdue", "1");
  if ($("actions-party").value.trim()) q.set("party", $("actions-party").value.trim());
  if ($("actions-today").value) q.set("today", $("actions-today").value);
  if ($("actions-meeting").value) q.set("meeting", $("actions-meeting").value);
  try {
    const data = await getJson("/api/actions?" + q);
    if (!latest()) return;
    if (!$("actions-today").value) $("actions-today").value = data.today;
    renderActions(data);
  } catch (e) { say(e.message, "error"); }
}
function dueCells(a) {
  // The day the words allow at the latest, and what it was read from.
  const date = el("td", {class: "due-date"}, a.due.date || "—");
  if (a.due.basis) date.append(el("div", {class: "hint"}, a.due.basis));
  if (a.overdue) date.append(el("span", {class: "badge overdue"}, "OVERDUE"));
  return [el("td", {class: "text"}, a.due.text ? txt(a.due.text) : "—"), date];
}
function reviewedCell(a) {
  const r = a.last_reviewed;
  if (!r) return el("td", {class: "hint"}, "not yet reviewed");
  return el("td", {}, txt(r.meeting_label || r.meeting), el("br"),
    recordLink(r.record, r.record_type + " " + (r.number || r.record)),
    a.reviews.length > 1 ? el("span", {class: "hint"}, " (" + a.reviews.length + " reviews)") : null);
}
// The meetings that agreed items, as the lists show them, to choose one from.
const knownMeetings = new Map();
function noteMeetings(items) {
  let added = false;
  for (const a of items) {
    if (!knownMeetings.has(a.meeting)) { knownMeetings.set(a.meeting, a.meeting_label || a.meeting); added = true; }
  }
  if (!added) return;
  const select = $("actions-meeting"), chosen = select.value;
  select.replaceChildren(el("option", {value: ""}, "every meeting"),
    ...[...knownMeetings].map(([id, label]) => el("option", {value: id, lang: langOf(label)}, label)));
  select.value = chosen;
}
function renderActions(data) {
  const items = data.action_items;
  noteMeetings(items);
  const overdue = items.filter(a => a.overdue).length;
  $("actions-summary").textContent = items.length + " action item" + (items.length === 1 ? "" : "s") + ", " +
    overdue + " overdue as of " + data.today;
  const rows = [];
  let meeting = null;
  for (const a of items) {
    if (a.meeting !== meeting) {
      meeting = a.meeting;
      rows.push(el("tr", {class: "heading"}, el("td", {colSpan: 7}, recordLink(a.meeting, a.meeting_label || a.meeting))));
    }
    rows.push(el("tr", {class: a.overdue ? "overdue" : "", "data-action": a.id, "data-overdue": String(a.overdue)},
      el("td", {}, recordLink(a.id, a.number || a.id)),
      el("td", {class: "text"}, txt(clip(a.action, 300)),
        a.fields_in_conflict.length ? el("span", {class: "badge overdue"}, "conflict") : null),
      el("td", {class: "text"}, a.responsible_party ? txt(a.responsible_party) : "—"),
      ...dueCells(a),
      el("td", {class: "status-cell"}, a.status || "(none)"),
      reviewedCell(a)));
  }
  $("actions-list").replaceChildren(items.length
    ? table(["No.", "Action", "Owner", "Due, as agreed", "Due date", "Status", "Last reviewed"], rows, "actions")
    : el("div", {class: "empty"}, "No action items match."));
}
VIEWS.actions = () => loadActions();
for (const id of ["actions-open", "actions-overdue", "actions-today", "actions-meeting"]) $(id).onchange = loadActions;
$("actions-party").onchange = loadActions;

// ---- Plan progress: per objective, each party's latest assessment of each activity.
const STATUSES = [["completed", "completed", "#2d7a3e"], ["in_progress", "in progress", "#1f5fa8"],
  ["not_started", "not started", "#9aa5b1"], ["postponed", "postponed", "#d48a1f"], ["dropped", "dropped", "#b3261e"],
  ["none", "not assessed", "#ffffff"]];
const STATUS_WORD = Object.fromEntries(STATUSES.map(([k, w]) => [k, w]));
function partiesOf(report) {
  const out = [];
  for (const p of (report.plan.parties || "").split(/[,;\s]+/)) if (p && !out.includes(p)) out.push(p);
  for (const p of report.assessing_parties) if (!out.includes(p)) out.push(p);
  return out;
}
function latestOf(activity, party) { return activity.assessments.find(a => a.party === party) || null; }
// One bar per party: how many of the objective's activities it assesses as
// completed, in progress, ... or has not assessed; widths share one scale.
function objectiveChart(objective, parties) {
  const n = objective.activities.length, label = 64, width = 520, row = 28, top = 4;
  const chart = svg("svg", {width: label + width + 70, height: top + parties.length * row + 4, role: "img",
    "data-objective": objective.id, "aria-label": "Objective " + objective.number + ": each party's assessment"});
  parties.forEach((party, i) => {
    const y = top + i * row;
    const g = svg("g", {"data-party": party, "data-activities": String(n)});
    g.append(svg("text", {x: 0, y: y + 17}, party));
    let x = label;
    for (const [status, word, color] of STATUSES) {
      const count = objective.activities.filter(a => (latestOf(a, party)?.status || "none") === status).length;
      if (!count) continue;
      const w = n ? count / n * width : 0;
      const seg = svg("rect", {x: x, y: y + 2, width: w, height: row - 8, fill: color, stroke: "#5b6877",
        "stroke-width": status === "none" ? 1 : 0, "stroke-dasharray": "3 2", class: "seg",
        "data-party": party, "data-status": status, "data-count": String(count)});
      seg.append(svg("title", {}, party + ": " + count + " " + word));
      g.append(seg);
      if (w >= 18) g.append(svg("text", {x: x + w / 2, y: y + 17, "text-anchor": "middle",
        fill: status === "none" || status === "not_started" ? "#1d2733" : "#fff"}, String(count)));
      x += w;
    }
    g.append(svg("text", {x: label + width + 8, y: y + 17, fill: "#5b6877"}, "of " + n));
    chart.append(g);
  });
  return el("div", {class: "chart"}, chart);
}
function legend() {
  return el("div", {class: "legend"}, STATUSES.map(([k, w]) => el("span", {}, el("span", {class: "swatch st-" + k}), w)));
}
function assessmentCell(a) {
  if (!a) return el("td", {}, el("span", {class: "status st-none"}, "not assessed"));
  const recorded = a.recorder_party && a.recorder_party !== a.party ? " · recorded by " + a.recorded_by : "";
  return el("td", {"data-party": a.party, "data-status": a.status},
    el("a", {href: "#record=" + encodeURIComponent(a.id), "data-record": a.id, class: "status st-" + a.status},
      STATUS_WORD[a.status] || a.status),
    el("div", {class: "hint"}, a.period + (a.assessed_on ? ", " + a.assessed_on : "") + recorded),
    a.narrative ? txt(clip(a.narrative, 160), "div", "text") : null);
}
function activityRow(a, parties) {
  const targets = a.targets.map(t => (t.year ? t.year + ": " : "") + t.target).join("\n");
  return el("tr", {"data-activity": a.id},
    el("td", {}, recordLink(a.id, a.number),
      a.amended_since_signing ? el("span", {class: "badge amended"}, "amended since signing") : null,
      a.fields_in_conflict.length ? el("span", {class: "badge overdue"}, "conflict") : null),
    el("td", {class: "text"}, txt(clip(a.description, 220))),
    el("td", {class: "text"}, txt(targets || a.total_target || "—")),
    ...parties.map(p => assessmentCell(latestOf(a, p))));
}
function signaturesView(checks) {
  if (!checks.length) return el("div", {class: "hint"}, "Not signed.");
  return el("div", {}, checks.map(c => el("div", {class: "signed" + (c.intact ? "" : " amended"), "data-signature": c.id},
    "Signed by ", txt(c.signatory || "?"), c.signed_on ? " on " + c.signed_on : "", ": ",
    c.intact ? el("span", {class: "badge intact"}, "intact")
      : el("span", {class: "badge amended"}, "AMENDED since signing (" + c.amended.length + " record" + (c.amended.length === 1 ? "" : "s") + ")"))));
}
function renderPlan(report) {
  const parties = partiesOf(report);
  const p = report.plan;
  const body = [card(txt(p.title),
    el("div", {}, "Parties " + (p.parties || "—") + " · period " + (p.period_start || "?") + "–" + (p.period_end || "?") +
      " · status " + (p.status || "—") + " · ", recordLink(p.id, p.id)),
    signaturesView(report.signatures), legend())];
  for (const o of report.objectives) {
    body.push(el("section", {class: "card", "data-objective": o.id},
      el("h3", {}, "Objective " + o.number + " — ", txt(clip(o.text.split("\n")[0], 140))),
      el("div", {class: "body"}, o.activities.length ? objectiveChart(o, parties) : el("div", {class: "hint"}, "No activities."),
        o.activities.length ? table(["Activity", "Description", "Targets per year", ...parties.map(x => x + "'s latest")],
          o.activities.map(a => activityRow(a, parties)), "activities") : null)));
  }
  $("plan-body").replaceChildren(...body);
}
let plansLoaded = false;
async function loadPlan(id) {
  try {
    if (!plansLoaded) {
      const data = await getJson("/api/plans");
      // The newest plan first: the one the next meeting most likely discusses.
      data.plans.sort((a, b) => (b.period_end || "").localeCompare(a.period_end || "") || a.id.localeCompare(b.id));
      $("plan-select").replaceChildren(...data.plans.map(p => el("option", {value: p.id, lang: langOf(p.title)},
        p.id + " — " + clip(p.title, 70))));
      plansLoaded = true;
    }
    if (id) $("plan-select").value = id;
    if (!$("plan-select").value) { $("plan-body").replaceChildren(el("div", {class: "empty"}, "No plan held.")); return; }
    const latest = ask("plan");
    const report = await getJson("/api/plan?id=" + encodeURIComponent($("plan-select").value));
    if (latest()) renderPlan(report);
  } catch (e) { say(e.message, "error"); }
}
VIEWS.plan = (id) => loadPlan(id);
$("plan-select").onchange = () => { location.hash = "plan=" + encodeURIComponent($("plan-select").value); };

// ---- Search: every record and field, any language (accord search).
for (const t of TYPES) $("search-type").append(el("option", {}, t));
// The snippet with its match (shown in [brackets] by the node) marked.
function marked(hit) {
  const out = el("div", {class: "snippet", lang: langOf(hit.snippet)});
  const at = hit.match ? hit.snippet.indexOf("[" + hit.match + "]") : -1;
  if (at < 0) { out.append(hit.snippet); return out; }
  out.append(hit.snippet.slice(0, at), el("mark", {}, hit.match), hit.snippet.slice(at + hit.match.length + 2));
  return out;
}
async function runSearch(text) {
  $("search-text").value = text;
  $("search-hits").replaceChildren();
  $("search-summary").textContent = "";
  if (!text.trim()) return;
  const q = new URLSearchParams({q: text, limit: "50"});
  if ($("search-type").value) q.set("type", $("search-type").value);
  try {
    const latest = ask("search");
    const data = await getJson("/api/search?" + q);
    if (!latest()) return;
    $("search-hits").replaceChildren(...data.hits.map(h => el("li", {"data-record": h.record_id, "data-field": h.field},
      el("div", {}, recordLink(h.record_id, h.label), el("span", {class: "rid"}, h.record_id + " · " + h.field),
        h.personal ? el("span", {class: "badge"}, "personal") : null),
      marked(h))));
    let summary = data.matched + " field" + (data.matched === 1 ? "" : "s") + " matched" +
      (data.matched > data.hits.length ? ", the best " + data.hits.length + " shown" : "") + ".";
    if (data.personal_locked) summary += " Personal data is locked: cases, family tracing and case reviews were not searched.";
    if (data.personal_withheld) summary += " Cases, family tracing and case reviews are searched only for a signed-in user.";
    if (data.index_behind) summary += " Another accord process is writing: the newest changes were not searched.";
    $("search-summary").textContent = summary;
  } catch (e) { say(e.message, "error"); }
}
VIEWS.search = (text) => runSearch(text);
$("search-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("search-text").value.trim();
  if (location.hash === "#search=" + encodeURIComponent(text)) runSearch(text);
  else location.hash = "search=" + encodeURIComponent(text);
};
$("search-type").onchange = () => runSearch($("search-text").value);

// ---- One record: its values and who wrote them, signatures, links, history.
function fieldsTable(r) {
  const rows = Object.keys(r.fields).map(name => {
    const w = r.written[name] || {};
    return el("tr", {"data-field": name},
      el("td", {class: "name"}, name, r.conflicts && r.conflicts[name] ? el("span", {class: "badge overdue"}, "in conflict") : null),
      el("td", {class: "text"}, txt(shown(r.fields[name]))),
      el("td", {class: "who"}, w.origin ? writer(w) : ""),
      el("td", {class: "who"}, when(w.written_at)));
  });
  return table(["Field", "Value", "Written by", "When"], rows, "fields");
}
function signedView(s, r) {
  if (!s) return null;
  const root = s.root === r.id ? "This " + r.type : el("span", {}, "The signed content of ", recordLink(s.root, s.root), ", which holds this record,");
  const box = card("Signatures", s.checks.length ? el("div", {}, root, s.checks.length === 1 ? " was signed:" : " was signed " + s.checks.length + " times:")
    : el("div", {class: "hint"}, root, " is not signed."), signaturesView(s.checks));
  if (s.this_record_amended) box.querySelector(".body").append(el("div", {class: "signed amended", id: "record-amended"},
    el("span", {class: "badge amended"}, "amended"), " This record was changed after it was signed: the signed text is the authority."));
  return box;
}
function referencesView(r) {
  const out = r.references_out.map(x => el("li", {}, x.field + ": ",
    x.locked ? x.id + " (personal data locked)" : x.held ? recordLink(x.id, x.label) : x.id + " (not held here)"));
  const inc = r.references_in.map(x => el("li", {"data-from": x.id}, recordLink(x.id, x.label), el("span", {class: "hint"}, " (its " + x.field + ")")));
  if (!out.length && !inc.length && !r.personal_references_locked) return null;
  return card("Links",
    out.length ? el("div", {}, "Refers to", el("ul", {class: "refs"}, out)) : null,
    inc.length ? el("div", {}, "Referred to by", el("ul", {class: "refs", id: "record-referred-by"}, inc)) : null,
    r.personal_references_locked ? el("div", {class: "hint"}, "Personal data is locked: cases and what hangs off them were not read.") : null);
}
// Attachments (scanned signed minutes, annexes), when the node returns them.
function attachmentsView(r) {
  if (!Array.isArray(r.attachments)) return null;
  if (!r.attachments.length) return card("Attachments", el("div", {class: "hint"}, "None."));
  return card("Attachments", el("ul", {class: "refs", id: "record-attachments"}, r.attachments.map(a => {
    const name = a.name || a.sha256 || "attachment";
    const same = typeof a.href === "string" && a.href.startsWith("/") && !a.href.startsWith("//");
    return el("li", {}, same ? el("a", {href: a.href, lang: langOf(name)}, name) : txt(name),
      el("span", {class: "hint"}, [a.media_type, a.size !== undefined ? a.size + " bytes" : null, a.held === false ? "not held here yet" : null].filter(Boolean).map(s => " · " + s).join("")),
      a.caption ? el("div", {class: "text", lang: langOf(a.caption)}, a.caption) : null);
  })));
}
function historyTable(r) {
  const rows = r.history.slice().reverse().map(h => el("tr", {"data-field": h.field, "data-state": h.state},
    el("td", {class: "who"}, when(h.written_at)),
    el("td", {class: "name"}, h.field),
    el("td", {class: "text"}, h.pruned_at ? el("span", {class: "hint"}, "pruned under the retention setting, " + h.pruned_at) : txt(shown(h.value))),
    el("td", {class: "history-by"}, writer(h)),
    el("td", {}, h.state + (h.received_from ? " (from " + h.received_from + ")" : "")),
    el("td", {class: "text hint"}, h.note ? txt(h.note) : "")));
  return table(["When", "Field", "Value", "By", "State", "Note"], rows, "history");
}
async function loadRecord(id) {
  if (!id) { $("record-body").replaceChildren(el("div", {class: "empty"}, "Open a record from a list or a search.")); return; }
  $("nav-record").href = "#record=" + encodeURIComponent(id);
  const latest = ask("record");
  try {
    const r = await getJson("/api/record?id=" + encodeURIComponent(id));
    if (!latest()) return;
    $("record-body").replaceChildren(
      el("section", {class: "card", id: "record", "data-record": r.id},
        el("h2", {}, txt(r.label), el("small", {}, r.id),
          r.deleted ? el("span", {class: "badge overdue"}, "deleted") : null,
          r.personal ? el("span", {class: "badge"}, "personal data") : null),
        el("div", {class: "body"}, fieldsTable(r)), sharingView(r.sharing)),
      ...[signedView(r.signatures, r), referencesView(r), attachmentsView(r)].filter(Boolean),
      card("History (newest first)", historyTable(r)));
  } catch (e) {
    if (latest()) $("record-body").replaceChildren(el("div", {class: "empty", id: "record-error"}, e.message));
  }
}
VIEWS.record = (id) => loadRecord(id);

async function start() {
  try {
    const s = await getJson("/api/status");
    $("node").textContent = "node " + s.node_id;
    $("count").textContent = s.open_conflicts ? String(s.open_conflicts) : "";
  } catch (e) { say("The node did not answer: " + e.message, "error"); }
  session();
  route();
}
start();
)js";
}

}  // namespace accord::server::page
