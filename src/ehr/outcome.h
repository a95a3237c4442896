// EhrRequest / EhrResponse (the plain-C++ form of one FHIR HTTP exchange) and
// OperationOutcome responses. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ehr/validator.h"
#include "util/status.h"

namespace ward::ehr {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct EhrRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE", ...
  std::string path;    // below the base, e.g. "/Patient/123/_history/2"; "" or "/" = base
  std::string query;   // raw query string, without '?'
  HeaderList headers;  // names in lower case
  std::string body;
  std::string base_url;  // e.g. "http://127.0.0.1:8080/fhir"

  // The first header named `name` (lower case), or "".
  std::string Header(std::string_view name) const;
};

struct EhrResponse {
  int status = 200;
  HeaderList headers;            // Location, ETag, Last-Modified, ...
  std::string body;              // JSON text; empty for no body
  int64_t last_modified_ms = 0;  // of the resource version concerned, when there is one

  std::string Header(std::string_view name) const;
};

// "200 OK", "201 Created", ...
std::string StatusLine(int status);

// An OperationOutcome response with one error issue (and the given expressions).
EhrResponse OutcomeResponse(int status, std::string_view issue_code, std::string_view diagnostics,
                            const std::vector<std::string>& expressions = {});

// One issue per validation problem, each naming its path.
EhrResponse ValidationFailure(int status, const std::vector<ValidationIssue>& issues);

// Maps a Status: InvalidArgument 400, NotFound 404, AlreadyExists 409,
// FailedPrecondition 412, Unimplemented 501, anything else 500.
EhrResponse FromStatus(const Status& status);

// An informational OperationOutcome body (severity information).
std::string InformationOutcome(std::string_view text);

}  // namespace ward::ehr
