// How an Accord failure travels over HTTP: one mapping from Code to an HTTP
// status, shared by the sync endpoint and the review page's API.
#pragma once

#include "core/status.h"

namespace accord::net {

// The HTTP status that carries a failure of this kind to a peer or a browser.
int HttpStatusFor(Code code);

}  // namespace accord::net
