// The office's page: the helpers every view uses (elements built from data
// with textContent only, a language tag per value so that Khmer, Thai and
// Chinese get their fonts), sign-in, navigation, and the conflict review.
#include "server/page_parts.h"

namespace accord::server::page {

const char* CommonScript() {
  return R"js(
"use strict";
const $ = (id) => document.getElementById(id);
const TYPES = ["plan", "objective", "activity", "progress_assessment", "meeting", "participant", "agenda_item",
  "minute", "decision", "action_item", "signature", "case", "family_tracing", "case_review", "party", "office"];

// The only way the page makes elements: attributes set as properties or
// with setAttribute, children appended as nodes or text. No HTML is ever
// parsed from data.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k === "lang" || k === "title") node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}
// The language of a value, by its script: the browser then picks a font that
// has its glyphs and breaks lines between words.
function langOf(text) {
  if (/[\u1780-\u17ff\u19e0-\u19ff]/.test(text)) return "km";
  if (/[\u0e00-\u0e7f]/.test(text)) return "th";
  if (/[\u3400-\u9fff\uf900-\ufaff]/.test(text)) return "zh";
  if (/[\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]/.test(text)) return "vi";
  return null;
}
// A span (or `tag`) holding `text` as text, tagged with its language.
function txt(text, tag, cls) {
  const s = text === null || text === undefined ? "" : String(text);
  return el(tag || "span", {class: cls, lang: langOf(s)}, s);
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
function when(t) { return t ? t.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC") : ""; }
function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }
// The user who wrote a value, at its office: "sokha.kh@KH-NCCT", or the office alone.
function writer(v) { return (v.author ? v.author + "@" : "") + v.origin; }

async function getJson(url) {
  const response = await fetch(url, {cache: "no-store"});
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}
// The officer clicks and types faster than the node answers: each view shows
// only the answer to its latest question. ask(view) returns "is this still
// the latest?".
const asked = {};
function ask(view) {
  const n = (asked[view] || 0) + 1;
  asked[view] = n;
  return () => asked[view] === n;
}
// A link that opens a record on this page.
function recordLink(id, label) {
  const a = el("a", {href: "#record=" + encodeURIComponent(id), "data-record": id, lang: langOf(label || id)}, label || id);
  return a;
}

// ---- Sign-in: on a node with users, resolving needs one (the resolution carries the user's name).
async function session() {
  try {
    const s = await getJson("/api/session");
    $("signin").hidden = !s.users || !!s.user;
    $("who").hidden = !s.user;
    $("logout").hidden = !s.user;
    if (s.user) {
      $("who").replaceChildren("Signed in as ", txt(s.display_name ? s.display_name + " (" + s.user + ")" : s.user));
    }
  } catch (e) { say("The node did not answer: " + e.message, "error"); }
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
  reloadView();  // what a signed-in user may read (cases) now shows
};
$("logout").onclick = async () => {
  try { await fetch("/api/logout", {method: "POST"}); } catch (e) {}
  session();
  reloadView();
};

// ---- Navigation: #conflicts, #actions, #plan=ID, #search=WORDS, #record=ID.
const VIEWS = {};
let current = "conflicts", currentArg = "";
function reloadView() { if (VIEWS[current]) VIEWS[current](currentArg); }
function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  const eq = hash.indexOf("=");
  let name = eq < 0 ? hash : hash.slice(0, eq);
  const arg = eq < 0 ? "" : hash.slice(eq + 1);
  if (!VIEWS[name]) name = "conflicts";
  current = name;
  currentArg = arg;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === name);
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + name;
  if (name === "record") $("nav-record").hidden = false;
  say("");
  VIEWS[name](arg);
}
window.addEventListener("hashchange", route);
)js";
}

const char* ConflictScript() {
  return R"js(
const PAGE = 25;
let offset = 0, total = 0, busy = false;
for (const t of TYPES) $("type").append(el("option", {}, t));

function diffView(lines) {
  if (!lines) return null;
  const box = el("div", {class: "diff"});
  for (const line of lines) {
    const op = line[0], text = line.slice(1);
    box.append(el("div", {class: op === "+" ? "add" : op === "-" ? "del" : "", lang: langOf(text)}, (op === " " ? "  " : op + " ") + text));
  }
  return box;
}

function conflictView(c) {
  const wrap = el("div", {class: "conflict", "data-conflict": c.id});
  const title = c.kind === "delete_vs_edit" ? "Deleted on one node, edited on another" : "Field " + c.field;
  wrap.append(el("div", {}, el("span", {class: "field"}, title), el("span", {class: "cid"}, c.id)));
  if (c.ancestor) {
    wrap.append(el("div", {class: "ancestor", lang: langOf(shown(c.ancestor.value))},
      "Before: " + shown(c.ancestor.value) + " — " + writer(c.ancestor) + ", " + when(c.ancestor.written_at)));
  }
  const values = el("div", {class: "values"});
  for (const v of c.values) {
    const text = c.kind === "delete_vs_edit" ? v.summary : shown(v.value);
    const card = el("div", {class: "value" + (v.provisional ? " provisional" : "")},
      el("div", {class: "who"}, writer(v) + " · " + when(v.written_at)),
      v.provisional ? el("span", {class: "badge"}, "shown meanwhile") : null,
      txt(text, "pre"),
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

function renderConflicts(data) {
  $("node").textContent = "node " + data.node_id;
  total = data.total;
  $("count").textContent = total ? String(total) : "";
  $("range").textContent = total ? (offset + 1) + "–" + Math.min(offset + PAGE, total) + " of " + total + " open conflict" + (total === 1 ? "" : "s") : "";
  $("prev").disabled = offset === 0;
  $("next").disabled = offset + PAGE >= total;
  const list = $("list");
  list.replaceChildren();
  if (data.personal_withheld) list.append(el("div", {class: "empty", id: "personal-withheld"},
    data.personal_withheld + " conflict" + (data.personal_withheld === 1 ? " is" : "s are") +
    " on personal data (cases, family tracing, case reviews): sign in to review " +
    (data.personal_withheld === 1 ? "it." : "them.")));
  if (!data.conflicts.length) { list.append(el("div", {class: "empty"}, "No open conflicts" + (data.personal_withheld ? " you may read here." : "."))); return; }
  const groups = new Map();
  for (const c of data.conflicts) {
    if (!groups.has(c.record_id)) groups.set(c.record_id, []);
    groups.get(c.record_id).push(c);
  }
  for (const [id, items] of groups) {
    const box = el("section", {class: "record"}, el("h2", {}, txt(items[0].record), el("small", {}, recordLink(id, id))));
    const where = (data.sharing || {})[id];
    if (where) box.append(sharingView(where));
    for (const c of items) box.append(conflictView(c));
    const ctx = items[0].context || {};
    const keys = Object.keys(ctx).filter(k => ctx[k] !== null).slice(0, 6);
    if (keys.length) box.append(el("div", {class: "conflict context"}, keys.map(k => k + ": " + clip(String(ctx[k]), 80)).join(" · ")));
    list.append(box);
  }
}

async function loadConflicts() {
  if (busy) return;
  const type = $("type").value;
  try {
    const data = await getJson("/api/conflicts?offset=" + offset + "&limit=" + PAGE + "&type=" + encodeURIComponent(type));
    if (offset > 0 && offset >= data.total) { offset = Math.max(0, data.total - PAGE); return loadConflicts(); }
    renderConflicts(data);
  } catch (e) { say("The node did not answer: " + e.message, "error"); }
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
  loadConflicts();
}

VIEWS.conflicts = () => loadConflicts();
$("type").onchange = () => { offset = 0; loadConflicts(); };
$("prev").onclick = () => { offset = Math.max(0, offset - PAGE); loadConflicts(); };
$("next").onclick = () => { offset += PAGE; loadConflicts(); };
// A sync can bring new conflicts at any time: refresh unless the reviewer is typing.
setInterval(() => {
  const typing = document.activeElement && ["TEXTAREA", "INPUT"].includes(document.activeElement.tagName);
  if (current === "conflicts" && !typing) loadConflicts();
}, 5000);
)js";
}

}  // namespace accord::server::page
