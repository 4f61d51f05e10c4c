// The pieces of the office's page (review_page.cc puts them together): one
// self-contained document, no CDN, no external font or script. Each piece is
// plain text in a raw string; nothing in them is generated from data, and
// the script builds every element from the API's JSON with textContent.
#pragma once

namespace accord::server::page {

const char* Style();           // page_style.cc
const char* Body();            // page_style.cc: the markup of the header and views
const char* CommonScript();    // page_conflicts.cc: helpers, sign-in, navigation
const char* ConflictScript();  // page_conflicts.cc: the conflict review
const char* OfficeScript();    // page_office.cc: actions, plan progress, search, record

}  // namespace accord::server::page
