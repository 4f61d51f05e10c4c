// The review page: one self-contained document (no CDN, no external assets),
// talking to the node through the JSON API in review_api.cc.
#include "server/review_api.h"

namespace accord::server {

const char* ReviewPageHtml() {
  return R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accord — conflict review</title>
<style>
  :root { --ink:#1d2733; --muted:#5b6877; --line:#d5dbe3; --accent:#1f5fa8; --warn:#a8561f; --ok:#2d7a3e; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--ink); background:#f5f7fa; }
  header { background:#fff; border-bottom:1px solid var(--line); padding:12px 24px; display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  header .node { color:var(--muted); }
  header .count { font-weight:600; color:var(--warn); }
  main { max-width:1200px; margin:0 auto; padding:16px 24px 48px; }
  .controls { display:flex; gap:12px; align-items:center; margin-bottom:12px; }
  .record { background:#fff; border:1px solid var(--line); border-radius:8px; margin:14px 0; }
  .record > h2 { font-size:16px; margin:0; padding:10px 16px; border-bottom:1px solid var(--line); background:#fafbfc; border-radius:8px 8px 0 0; }
  .record > h2 small { color:var(--muted); font-weight:normal; margin-left:8px; }
  .conflict { padding:12px 16px; border-top:1px solid #eef1f5; }
  .conflict:first-of-type { border-top:none; }
  .field { font-weight:600; }
  .cid { color:var(--muted); font-family:ui-monospace, monospace; font-size:12px; margin-left:8px; }
  .ancestor { color:var(--muted); margin:6px 0; }
  .values { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:12px; margin:8px 0; }
  .value { border:1px solid var(--line); border-radius:6px; padding:10px; background:#fff; }
  .value.provisional { border-color:var(--accent); box-shadow:0 0 0 1px var(--accent) inset; }
  .value pre, .merge textarea { white-space:pre-wrap; word-break:break-word; font:14px/1.4 ui-monospace, monospace; margin:6px 0; }
  .who { color:var(--muted); font-size:13px; }
  .badge { display:inline-block; font-size:11px; padding:1px 6px; border-radius:10px; background:#e6eefb; color:var(--accent); margin-left:6px; }
  .diff { font:12px/1.35 ui-monospace, monospace; margin:4px 0; }
  .diff .add { color:var(--ok); } .diff .del { color:#b3261e; text-decoration:line-through; }
  .merge textarea { width:100%; min-height:70px; border:1px solid var(--line); border-radius:6px; padding:8px; }
  .merge .hint { color:var(--muted); font-size:13px; }
  button { font:inherit; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:5px; padding:4px 12px; cursor:pointer; }
  button.secondary { background:#fff; color:var(--accent); }
  button:disabled { opacity:.5; cursor:default; }
  #message { min-height:22px; margin:6px 0; }
  #message.error { color:#b3261e; } #message.ok { color:var(--ok); }
  .empty { background:#fff; border:1px dashed var(--line); border-radius:8px; padding:32px; text-align:center; color:var(--muted); }
  .context { color:var(--muted); font-size:13px; margin-top:6px; }
  .sharing { font-size:13px; margin:4px 0 8px; }
  .sharing .hint { color:var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Conflict review</h1>
  <span class="node" id="node"></span>
  <span class="count" id="count"></span>
</header>
<main>
  <div class="controls">
    <label>Record type
      <select id="type">
        <option value="">all</option>
        <option>plan</option><option>objective</option><option>activity</option>
        <option>meeting</option><option>participant</option><option>agenda_item</option>
        <option>minute</option><option>decision</option><option>action_item</option>
        <option>signature</option><option>case</option><option>family_tracing</option>
        <option>case_review</option><option>party</option><option>office</option>
      </select>
    </label>
    <button class="secondary" id="prev">Previous</button>
    <span id="range"></span>
    <button class="secondary" id="next">Next</button>
    <span id="signin" hidden>
      <input type="text" id="login-name" placeholder="user" size="12" autocomplete="username">
      <input type="password" id="login-password" placeholder="password" size="12" autocomplete="current-password">
      <button class="secondary" id="login">Sign in</button>
    </span>
    <span id="who" hidden></span>
    <button class="secondary" id="logout" hidden>Sign out</button>
  </div>
  <div id="message" role="status"></div>
  <div id="list"></div>
</main>
<script>
"use strict";
const PAGE = 25;
let offset = 0, total = 0, busy = false;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
function shown(v) { return v === null ? "(empty)" : v; }
// At most n UTF-16 units of text, cut between words (Thai and Khmer put no
// spaces between words: the browser's dictionary finds them), else between
// letters: never between a consonant and its vowel sign or subscript.
function clip(text, n) {
  if (text.length <= n) return text;
  for (const granularity of ["word", "grapheme"]) {
    if (typeof Intl !== "object" || !Intl.Segmenter) break;
    let out = "";
    for (const {segment} of new Intl.Segmenter(undefined, {granularity}).segment(text)) {
      if (out.length + segment.length > n) break;
      out += segment;
    }
    if (out.trim()) return out.trimEnd() + "…";
  }
  return text.slice(0, n) + "…";
}
function when(t) { return t.replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }

function diffView(lines) {
  if (!lines) return null;
  const box = el("div", {class: "diff"});
  for (const line of lines) {
    const op = line[0], text = line.slice(1);
    box.append(el("div", {class: op === "+" ? "add" : op === "-" ? "del" : ""}, (op === " " ? "  " : op + " ") + text));
  }
  return box;
}

// The user who wrote a value, at its office: "sokha.kh@KH-NCCT", or the office alone.
function writer(v) { return (v.author ? v.author + "@" : "") + v.origin; }

function conflictView(c) {
  const wrap = el("div", {class: "conflict", "data-conflict": c.id});
  const title = c.kind === "delete_vs_edit" ? "Deleted on one node, edited on another" : "Field " + c.field;
  wrap.append(el("div", {}, el("span", {class: "field"}, title), el("span", {class: "cid"}, c.id)));
  if (c.ancestor) {
    wrap.append(el("div", {class: "ancestor"}, "Before: " + shown(c.ancestor.value) + " — " + writer(c.ancestor) + ", " + when(c.ancestor.written_at)));
  }
  const values = el("div", {class: "values"});
  for (const v of c.values) {
    const card = el("div", {class: "value" + (v.provisional ? " provisional" : "")},
      el("div", {class: "who"}, writer(v) + " · " + when(v.written_at)),
      v.provisional ? el("span", {class: "badge"}, "shown meanwhile") : null,
      el("pre", {}, c.kind === "delete_vs_edit" ? v.summary : shown(v.value)),
      diffView(v.diff_from_ancestor));
    const keep = el("button", {class: "take", "data-node": v.origin, textContent: "Keep " + v.origin + "'s"});
    keep.onclick = () => resolve(c.id, {take: v.origin});
    card.append(keep);
    values.append(card);
  }
  wrap.append(values);
  if (c.kind !== "delete_vs_edit") {
    const area = el("textarea", {class: "merged"});
    area.value = c.suggested_merge !== null ? c.suggested_merge : shown(c.values.find(v => v.provisional)?.value ?? "");
    const save = el("button", {class: "secondary save-merged", textContent: "Save this value"});
    save.onclick = () => resolve(c.id, {value: area.value});
    wrap.append(el("div", {class: "merge"},
      el("div", {class: "hint"}, c.suggested_merge !== null
        ? "Suggested merge of both edits (not applied until you save):" : "Or write the value to keep:"),
      area, save));
  }
  return wrap;
}

// Where the record may go and, as far as this node knows, who holds it: the
// offices a resolution will reach.
function sharingView(where) {
  const parties = where.everyone ? "every node" : (where.parties.length ? where.parties.join(", ") : "no party known");
  const held = where.nodes.filter(n => n.may_hold).map(n => n.node + (n.holds === "current" ? " (holds it)" : n.holds === "some" ? " (holds an older state)" : ""));
  const back = where.nodes.filter(n => !n.may_hold).map(n => n.node);
  return el("div", {class: "sharing"},
    el("div", {}, "May go to: " + parties + " — " + where.reason),
    el("div", {class: "hint"}, "Known offices that may hold it: " + (held.length ? held.join(", ") : "none") +
      (back.length ? " · held back from: " + back.join(", ") : "")));
}

function render(data) {
  $("node").textContent = "node " + data.node_id;
  total = data.total;
  $("count").textContent = total + " open conflict" + (total === 1 ? "" : "s");
  $("range").textContent = total ? (offset + 1) + "–" + Math.min(offset + PAGE, total) + " of " + total : "";
  $("prev").disabled = offset === 0;
  $("next").disabled = offset + PAGE >= total;
  const list = $("list");
  list.replaceChildren();
  if (!data.conflicts.length) { list.append(el("div", {class: "empty"}, "No open conflicts.")); return; }
  const groups = new Map();
  for (const c of data.conflicts) {
    if (!groups.has(c.record_id)) groups.set(c.record_id, []);
    groups.get(c.record_id).push(c);
  }
  for (const [id, items] of groups) {
    const box = el("section", {class: "record"}, el("h2", {}, items[0].record, el("small", {}, id)));
    const where = (data.sharing || {})[id];
    if (where) box.append(sharingView(where));
    for (const c of items) box.append(conflictView(c));
    const ctx = items[0].context || {};
    const keys = Object.keys(ctx).filter(k => ctx[k] !== null).slice(0, 6);
    if (keys.length) box.append(el("div", {class: "conflict context"}, keys.map(k => k + ": " + clip(String(ctx[k]), 80)).join(" · ")));
    list.append(box);
  }
}

async function load() {
  if (busy) return;
  const type = $("type").value;
  try {
    const response = await fetch("/api/conflicts?offset=" + offset + "&limit=" + PAGE + "&type=" + encodeURIComponent(type), {cache: "no-store"});
    const data = await response.json();
    if (!response.ok) { say(data.error || response.statusText, "error"); return; }
    if (offset > 0 && offset >= data.total) { offset = Math.max(0, data.total - PAGE); return load(); }
    render(data);
  } catch (e) { say("The node did not answer: " + e, "error"); }
}

async function resolve(id, choice) {
  busy = true;
  try {
    const response = await fetch("/api/conflicts/" + encodeURIComponent(id) + "/resolve", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(choice)});
    const data = await response.json();
    if (response.ok) say("Resolved " + id + ". The resolution reaches other offices at their next sync.", "ok");
    else say(data.error || response.statusText, "error");
  } catch (e) { say("The node did not answer: " + e, "error"); }
  busy = false;
  load();
}

// On a node with users, resolving needs a sign-in (the resolution carries the user's name).
async function session() {
  try {
    const response = await fetch("/api/session", {cache: "no-store"});
    const s = await response.json();
    $("signin").hidden = !s.users || !!s.user;
    $("who").hidden = !s.user;
    $("logout").hidden = !s.user;
    if (s.user) $("who").textContent = "Signed in as " + (s.display_name ? s.display_name + " (" + s.user + ")" : s.user);
  } catch (e) { say("The node did not answer: " + e, "error"); }
}

$("login").onclick = async () => {
  try {
    const response = await fetch("/api/login", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: $("login-name").value.trim(), password: $("login-password").value})});
    const data = await response.json();
    $("login-password").value = "";
    if (response.ok) say("Signed in as " + data.user + ".", "ok");
    else say(data.error || response.statusText, "error");
  } catch (e) { say("The node did not answer: " + e, "error"); }
  session();
};
$("logout").onclick = async () => {
  try { await fetch("/api/logout", {method: "POST"}); } catch (e) {}
  session();
};
$("type").onchange = () => { offset = 0; load(); };
$("prev").onclick = () => { offset = Math.max(0, offset - PAGE); load(); };
$("next").onclick = () => { offset += PAGE; load(); };
// A sync can bring new conflicts at any time: refresh unless the reviewer is typing.
setInterval(() => { if (!document.activeElement || (document.activeElement.tagName !== "TEXTAREA" && document.activeElement.tagName !== "INPUT")) load(); }, 5000);
session();
load();
</script>
</body>
</html>
)html";
}

}  // namespace accord::server
