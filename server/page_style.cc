// The office's page: its style and the markup its script fills.
#include "server/page_parts.h"

namespace accord::server::page {

const char* Style() {
  return R"css(
  :root { --ink:#1d2733; --muted:#5b6877; --line:#d5dbe3; --accent:#1f5fa8; --warn:#a8561f; --ok:#2d7a3e; --bad:#b3261e;
    /* Every script the offices write, in real glyphs: Khmer, Thai, Chinese, Vietnamese. */
    --text-fonts: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", "Khmer OS System", "Khmer OS",
      "Noto Sans Khmer", "Noto Sans Thai", "Loma", "Garuda", "TlwgTypo", "Noto Sans CJK SC", "Noto Sans CJK JP",
      "WenQuanYi Micro Hei", sans-serif; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 var(--text-fonts); color:var(--ink); background:#f5f7fa; }
  :lang(km) { font-family: "Khmer OS System", "Khmer OS", "Noto Sans Khmer", var(--text-fonts); line-height:1.7; }
  :lang(th) { font-family: "Noto Sans Thai", "Loma", "Garuda", "TlwgTypo", var(--text-fonts); line-height:1.7; }
  :lang(zh) { font-family: "Noto Sans CJK SC", "Noto Sans CJK TC", "WenQuanYi Micro Hei", var(--text-fonts); }
  header { background:#fff; border-bottom:1px solid var(--line); padding:10px 24px; display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; }
  header .node { color:var(--muted); }
  nav { display:flex; gap:4px; flex-wrap:wrap; }
  nav a { text-decoration:none; color:var(--accent); padding:4px 12px; border-radius:5px; border:1px solid transparent; }
  nav a.active { border-color:var(--accent); background:#e6eefb; font-weight:600; }
  nav a .count { color:var(--warn); font-weight:600; margin-left:4px; }
  .account { margin-left:auto; display:flex; gap:8px; align-items:center; }
  main { max-width:1280px; margin:0 auto; padding:16px 24px 48px; }
  .view[hidden] { display:none; }
  .controls { display:flex; gap:12px; align-items:center; margin-bottom:12px; flex-wrap:wrap; }
  .record, .card { background:#fff; border:1px solid var(--line); border-radius:8px; margin:14px 0; }
  .record > h2, .card > h2, .card > h3 { font-size:16px; margin:0; padding:10px 16px; border-bottom:1px solid var(--line); background:#fafbfc; border-radius:8px 8px 0 0; }
  .record > h2 small, .card > h2 small { color:var(--muted); font-weight:normal; margin-left:8px; }
  .card > .body { padding:10px 16px; }
  .conflict { padding:12px 16px; border-top:1px solid #eef1f5; }
  .conflict:first-of-type { border-top:none; }
  .field { font-weight:600; }
  .cid, .rid { color:var(--muted); font-family:ui-monospace, monospace; font-size:12px; margin-left:8px; }
  .ancestor { color:var(--muted); margin:6px 0; }
  .values { display:grid; grid-template-columns:repeat(auto-fit, minmax(260px, 1fr)); gap:12px; margin:8px 0; }
  .value { border:1px solid var(--line); border-radius:6px; padding:10px; background:#fff; }
  .value.provisional { border-color:var(--accent); box-shadow:0 0 0 1px var(--accent) inset; }
  .value pre, .merge textarea { white-space:pre-wrap; word-break:break-word; font:14px/1.4 ui-monospace, monospace; margin:6px 0; }
  .value pre:lang(km), .value pre:lang(th), .value pre:lang(zh) { font-family: var(--text-fonts); }
  .who { color:var(--muted); font-size:13px; }
  .badge { display:inline-block; font-size:11px; padding:1px 6px; border-radius:10px; background:#e6eefb; color:var(--accent); margin-left:6px; white-space:nowrap; }
  .badge.overdue, .badge.amended { background:#fbe9e7; color:var(--bad); font-weight:600; }
  .badge.intact { background:#e5f4e8; color:var(--ok); }
  .diff { font:12px/1.35 ui-monospace, monospace; margin:4px 0; }
  .diff .add { color:var(--ok); } .diff .del { color:var(--bad); text-decoration:line-through; }
  .merge textarea { width:100%; min-height:70px; border:1px solid var(--line); border-radius:6px; padding:8px; }
  .merge .hint, .hint { color:var(--muted); font-size:13px; }
  button { font:inherit; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:5px; padding:4px 12px; cursor:pointer; }
  button.secondary { background:#fff; color:var(--accent); }
  button.link { background:none; border:none; color:var(--accent); padding:0; text-align:left; text-decoration:underline; }
  button:disabled { opacity:.5; cursor:default; }
  input, select { font:inherit; }
  #message { min-height:22px; margin:6px 0; }
  #message.error { color:var(--bad); } #message.ok { color:var(--ok); }
  .empty { background:#fff; border:1px dashed var(--line); border-radius:8px; padding:32px; text-align:center; color:var(--muted); }
  .context { color:var(--muted); font-size:13px; margin-top:6px; }
  .sharing { font-size:13px; margin:4px 16px 8px; }
  .sharing .hint { color:var(--muted); }
  table.grid { width:100%; border-collapse:collapse; font-size:14px; }
  table.grid th { text-align:left; color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; border-bottom:1px solid var(--line); padding:6px 8px; }
  table.grid td { border-bottom:1px solid #eef1f5; padding:6px 8px; vertical-align:top; }
  table.grid td.text { white-space:pre-wrap; word-break:break-word; }
  tr.overdue td { background:#fff4f2; }
  tr.overdue td:first-child { box-shadow:3px 0 0 var(--bad) inset; }
  tr.heading td { background:#fafbfc; font-weight:600; padding-top:12px; }
  .due-date { font-family:ui-monospace, monospace; font-size:13px; white-space:nowrap; }
  .due-date .hint { font-family:var(--text-fonts); white-space:normal; }
  .chart { margin:6px 0 10px; }
  .chart svg { display:block; max-width:100%; }
  .chart text { font:12px var(--text-fonts); }
  .legend { display:flex; gap:14px; flex-wrap:wrap; font-size:13px; color:var(--muted); margin:6px 0; }
  .legend .swatch { display:inline-block; width:12px; height:12px; border-radius:2px; margin-right:4px; vertical-align:-1px; border:1px solid rgba(0,0,0,.15); }
  .st-completed { background:#2d7a3e; } .st-in_progress { background:#1f5fa8; } .st-not_started { background:#9aa5b1; }
  .st-postponed { background:#d48a1f; } .st-dropped { background:#b3261e; } .st-none { background:#fff; }
  .status { display:inline-block; font-size:12px; padding:1px 7px; border-radius:10px; color:#fff; white-space:nowrap; }
  .status.st-none { color:var(--muted); border:1px dashed var(--line); }
  .hits { list-style:none; padding:0; margin:0; }
  .hits li { background:#fff; border:1px solid var(--line); border-radius:8px; margin:8px 0; padding:8px 14px; }
  .hits .snippet { white-space:pre-wrap; word-break:break-word; }
  mark { background:#fff0a8; padding:0 1px; }
  .fields td.name { font-weight:600; white-space:nowrap; }
  .refs { margin:0; padding-left:20px; }
  .signed { padding:8px 16px; }
  .signed.amended { background:#fff4f2; }
)css";
}

const char* Body() {
  return R"html(
<header>
  <h1>Accord</h1>
  <span class="node" id="node"></span>
  <nav>
    <a href="#conflicts" data-view="conflicts">Conflicts<span class="count" id="count"></span></a>
    <a href="#actions" data-view="actions">Actions</a>
    <a href="#plan" data-view="plan">Plan progress</a>
    <a href="#search" data-view="search">Search</a>
    <a href="#record" data-view="record" id="nav-record" hidden>Record</a>
  </nav>
  <span class="account">
    <span id="signin" hidden>
      <input type="text" id="login-name" placeholder="user" size="12" autocomplete="username">
      <input type="password" id="login-password" placeholder="password" size="12" autocomplete="current-password">
      <button class="secondary" id="login">Sign in</button>
    </span>
    <span id="who" hidden></span>
    <button class="secondary" id="logout" hidden>Sign out</button>
  </span>
</header>
<main>
  <div id="message" role="status"></div>
  <section class="view" id="view-conflicts">
    <div class="controls">
      <label>Record type <select id="type"><option value="">all</option></select></label>
      <button class="secondary" id="prev">Previous</button>
      <span id="range"></span>
      <button class="secondary" id="next">Next</button>
    </div>
    <div id="list"></div>
  </section>
  <section class="view" id="view-actions" hidden>
    <div class="controls">
      <label><input type="checkbox" id="actions-open" checked> Open only</label>
      <label><input type="checkbox" id="actions-overdue"> Overdue only</label>
      <label>Party <input type="text" id="actions-party" size="8" placeholder="KH, TH…"></label>
      <label>Agreed at <select id="actions-meeting"><option value="">every meeting</option></select></label>
      <label>As of <input type="date" id="actions-today"></label>
    </div>
    <div id="actions-summary" class="hint"></div>
    <div id="actions-list"></div>
  </section>
  <section class="view" id="view-plan" hidden>
    <div class="controls"><label>Plan <select id="plan-select"></select></label></div>
    <div id="plan-body"></div>
  </section>
  <section class="view" id="view-search" hidden>
    <form class="controls" id="search-form">
      <input type="search" id="search-text" size="40" placeholder="words in any language: ជួញដូរ, ค้ามนุษย์, trafficking">
      <label>Type <select id="search-type"><option value="">all</option></select></label>
      <button type="submit">Search</button>
    </form>
    <div id="search-summary" class="hint"></div>
    <ul class="hits" id="search-hits"></ul>
  </section>
  <section class="view" id="view-record" hidden>
    <div id="record-body"></div>
  </section>
</main>
)html";
}

}  // namespace accord::server::page
