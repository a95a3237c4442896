// The `http` bindings' halves, internal to the connector:
//   - ParseHttpCallArgs: the guest's arguments (path, json, params, headers)
//     checked for shape;
//   - PrepareHttpCall: the call as the policy and an approver see it — route
//     matched (a path no route allows is refused here), descriptor, summary from
//     validated parts, before = the route's pre-image GET, after = the JSON sent;
//   - ExecuteHttpCall: a read sent as is; a write journaled — intent (with the
//     pre-image the call was prepared on) before the request, "done" after a 2xx
//     (post_version = the response's Location header; post_image = the response's
//     JSON body, or when it has none the undo's target read back by GET if the
//     config allows one; a write whose declared undo cannot be used — a
//     DELETE {location} answered without a usable Location — has a detail
//     "irreversible: …", a warning for the guest and `irreversible` in its audit
//     data) or "failed" after it (a non-2xx status, or nothing sent); left at
//     "intent" with a detail when there was no answer and the request may have
//     arrived (HttpApi's HttpCallStage::kSent); "planned" in a dry run.
//   - Every exchange of one call — token fetch, pre-image GET (in prepare and
//     again before the write), request, 401 refresh and resend, post-image GET —
//     shares one budget, call_timeout_seconds (http_deadline.h); the session's
//     cancel stops the execution's exchanges. Cut off, the guest gets an
//     HttpApiError saying so.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "connectors/http/http_api.h"
#include "connectors/http/http_deadline.h"
#include "gate/binding.h"
#include "journal/journal_writer.h"

namespace ward::http_internal {

using nlohmann::json;

// The error type raised in the guest when nothing could be exchanged.
inline constexpr char kHttpApiError[] = "HttpApiError";
// The error type of a write whose target changed after it was prepared.
inline constexpr char kHttpConflictError[] = "HttpConflictError";

struct HttpCallArgs {
  std::string method;  // upper case
  std::string path;
  std::optional<json> body;  // writes only; none when json=None
  HttpQueryParams query;
  HttpHeaders headers;
};

// "get" → "GET"; the binding name "<connector>.<method lower-case>".
std::string HttpBindingName(const HttpApiConfig& config, const std::string& method);

// InvalidArgument (a ValueError for the guest) when the arguments are not
// path: str, json: JSON value, params: dict of str → str/int/float/bool (a list
// repeats it), headers: dict of str → str.
Result<HttpCallArgs> ParseHttpCallArgs(const std::string& method, const std::string& args_json,
                                       const std::string& binding);

PreparedCall PrepareHttpCall(HttpApi* api, const std::string& method, const std::string& args_json);

// Executes `prepared` (PrepareHttpCall's result as the gate decided on it;
// prepared here when null), within what is left of the call's budget
// (call_timeout_seconds less what its prepare spent on this thread) and stopped
// when `cancel` (the session's; may be null) fires.
BindingOutcome ExecuteHttpCall(HttpApi* api, JournalScope* scope, const std::string& method,
                               const std::string& args_json, const PreparedCall* prepared,
                               const CancelToken* cancel);

// {"status", "headers", "body"} of a response, as the guest gets it.
json HttpResponseValue(const HttpApiResponse& response);

}  // namespace ward::http_internal
