// The office's page: one self-contained document (no CDN, no external
// assets), talking to the node through the JSON API (review_api.cc,
// office_api.cc). Its Content-Security-Policy names the page's own script
// and style by digest: no other script runs, not even one that found its
// way into the document, and nothing is loaded from anywhere but this node.
#include <string>

#include "core/sha256.h"
#include "server/page_parts.h"
#include "server/review_api.h"
#include "sync/identity.h"

namespace accord::server {

namespace {

struct Page {
  std::string style;
  std::string script;
  std::string html;
  std::string csp;
};

// 'sha256-BASE64' of an inline block, as CSP names it.
std::string CspDigest(const std::string& text) {
  auto digest = Sha256Of(text);
  // Without a digest the block is not allowed: the page shows unstyled and
  // inert rather than trusting any inline code.
  return digest.ok() ? "'sha256-" + sync::Base64Encode(*digest) + "'" : "'none'";
}

const Page& ThePage() {
  static const Page page = [] {
    Page p;
    p.style = page::Style();
    p.script = std::string(page::CommonScript()) + page::ConflictScript() + page::OfficeScript();
    p.html = std::string(R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accord — the office's page</title>
<style>)html") +
             p.style + "</style>\n</head>\n<body>" + page::Body() + "<script>" + p.script +
             "</script>\n</body>\n</html>\n";
    p.csp = "default-src 'none'; connect-src 'self'; img-src 'self' data:; style-src " +
            CspDigest(p.style) + "; script-src " + CspDigest(p.script) +
            "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    return p;
  }();
  return page;
}

}  // namespace

const char* ReviewPageHtml() {
  return ThePage().html.c_str();
}

const char* ReviewPageCsp() {
  return ThePage().csp.c_str();
}

}  // namespace accord::server
