#include "connectors/http/http_calls.h"

#include "connectors/http/http_compensation.h"
#include "connectors/http/http_headers.h"
#include "util/hash.h"
#include "util/json_limits.h"

namespace ward::http_internal {
namespace {

// The guest error type of a Status from HttpApi or route matching.
std::string ErrorTypeOf(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) return "ValueError";
  if (s.code() == StatusCode::kPermissionDenied) return "PermissionDenied";
  return kHttpApiError;
}

std::string OperationOf(const std::string& method) {
  if (method == "GET") return "read";
  if (method == "DELETE") return "delete";
  return "write";
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

Result<std::string> ScalarText(const json& v, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_integer() || v.is_number_unsigned() || v.is_number_float()) return v.dump();
  return InvalidArgument(what + " must be a str, int, float or bool (or a list of them)");
}

Result<HttpQueryParams> QueryOf(const json& params, const std::string& binding) {
  HttpQueryParams out;
  if (params.is_null()) return out;
  if (!params.is_object()) return InvalidArgument(binding + "(): params must be a dict or None");
  for (const auto& [key, value] : params.items()) {
    std::string what = binding + "(): params[" + QuoteModelText(key) + "]";
    if (value.is_array()) {
      for (const auto& item : value) {
        WARD_ASSIGN_OR_RETURN(std::string text, ScalarText(item, what));
        out.emplace_back(key, std::move(text));
      }
      continue;
    }
    WARD_ASSIGN_OR_RETURN(std::string text, ScalarText(value, what));
    out.emplace_back(key, std::move(text));
  }
  return out;
}

Result<HttpHeaders> HeadersOf(const json& headers, const std::string& binding) {
  HttpHeaders out;
  if (headers.is_null()) return out;
  if (!headers.is_object())
    return InvalidArgument(binding + "(): headers must be a dict of str to str, or None");
  for (const auto& [name, value] : headers.items()) {
    if (!value.is_string())
      return InvalidArgument(binding + "(): headers[" + QuoteModelText(name) + "] must be a str");
    out.emplace_back(name, value.get<std::string>());
  }
  return out;
}

// The caller's headers and query as HttpApi::Call() will check them, so a call
// it would refuse is refused before the policy (and before a write's journal entry).
Status CheckCallerParts(const HttpApiConfig& config, const HttpCallArgs& args) {
  for (const auto& [name, value] : args.headers) {
    WARD_RETURN_IF_ERROR(CheckSettableRequestHeader(name, value));
    for (const auto& [set_name, unused] : config.default_headers)
      if (AsciiLower(set_name) == AsciiLower(name))
        return InvalidArgument("header " + QuoteModelText(name) +
                               " is set by the connector's config and cannot be overridden");
  }
  for (const auto& [name, value] : args.query) {
    if (name.empty() || HasControlChar(name) || HasControlChar(value))
      return InvalidArgument("a query parameter has an empty name or a control character");
    if (AsciiLower(name) == "_method")
      return InvalidArgument(
          "the query parameter _method would make the API act on another method than the one "
          "decided on; it cannot be set");
  }
  return Status::Ok();
}

PreparedAction Describe(const HttpApi& api, const HttpRouteMatch& match, const HttpCallArgs& args) {
  const HttpApiConfig& config = api.config();
  PreparedAction a;
  a.descriptor.kind = "binding";
  a.descriptor.binding = HttpBindingName(config, match.method);
  a.descriptor.connector = config.name;
  a.descriptor.operation = OperationOf(match.method);
  a.descriptor.resource_type = match.route->path.text;
  a.descriptor.reversible =
      match.method == "GET" || match.route->CompensationFor(match.method) != nullptr;
  a.resource = args.path;
  // The pattern is the config's; the concrete path is the model's unless it is the pattern.
  a.summary = a.descriptor.binding + " " + match.route->path.text;
  if (args.path != match.route->path.text) a.summary += " (path " + QuoteModelText(args.path) + ")";
  if (!a.descriptor.reversible) a.summary += " — irreversible: the route declares no undo";
  if (args.body) a.after = DumpJson(*args.body);
  return a;
}

// The pre-image of a write whose route declares one: the target as it is now.
// nullopt when the route declares none.
Result<std::optional<std::string>> ReadPreImage(HttpApi* api, const HttpRouteMatch& match,
                                                const HttpCallDeadline& deadline) {
  WARD_ASSIGN_OR_RETURN(auto get, ResolveHttpPreImageRequest(api->config(), match));
  if (!get) return std::optional<std::string>();
  HttpApiRequest request;
  request.method = get->method;
  request.path = get->path;
  request.deadline = &deadline;
  Result<HttpApiResponse> r = api->Call(request);
  if (!r.ok())
    return Unavailable("reading the pre-image (GET " + get->path +
                       ") failed: " + r.status().message());
  if (!IsSuccess(r->status) || r->body_kind != HttpBodyKind::kJson)
    return FailedPrecondition("reading the pre-image (GET " + get->path + ") answered HTTP " +
                              std::to_string(r->status) +
                              (r->body_kind == HttpBodyKind::kJson ? "" : " without a JSON body") +
                              ", so the write could not be undone; it is refused");
  return std::optional<std::string>(DumpJson(r->json));
}

AuditData CallAudit(const HttpApi& api, const HttpCallArgs& args, const HttpApiResponse* r) {
  AuditData audit;
  audit.Set("method", args.method).Set("url", api.config().base_url + args.path);
  if (r) {
    audit.Set("http_status", r->status);
    audit.Set("body_sha256", Sha256Hex(DumpJson(HttpResponseValue(*r)["body"])));
  }
  return audit;
}

BindingOutcome Failure(const std::string& type, const std::string& message, AuditData audit) {
  BindingOutcome out = BindingFailure(type, message);
  out.audit = std::move(audit);
  return out;
}

HttpApiRequest RequestOf(const HttpCallArgs& args, const HttpCallDeadline& deadline) {
  HttpApiRequest request;
  request.deadline = &deadline;
  request.method = args.method;
  request.path = args.path;
  request.body = args.body;
  request.query = args.query;
  request.headers = args.headers;
  return request;
}

// A dry run's answer: nothing was sent, so there is no status (0) and no body.
BindingOutcome Simulated(const HttpCallArgs& args) {
  json value = {{"status", 0}, {"headers", json::object()}, {"body", nullptr}, {"dry_run", true}};
  BindingOutcome out = BindingValue(DumpJson(value));
  out.reply.warnings.push_back("dry run: " + args.method +
                               " was not sent; it is recorded in the session's changeset "
                               "(status 0: there is no response)");
  return out;
}

// What a dry run's planned entry keeps beyond path and body, for its replay.
std::string PlannedDetail(const HttpCallArgs& args) {
  std::string detail = "dry run: not sent";
  if (args.query.empty() && args.headers.empty()) return detail;
  json extras = {{"params", json::array()}, {"headers", json::array()}};
  for (const auto& [k, v] : args.query) extras["params"].push_back({k, v});
  for (const auto& [k, v] : args.headers) extras["headers"].push_back({k, v});
  return detail + " " + DumpJson(extras);
}

// The target must still be what the call was prepared (and approved) on: the
// HTTP form of If-Match, as close to the write as the API allows.
std::optional<BindingOutcome> Stale(HttpApi* api, const HttpRouteMatch& match,
                                    const PreparedAction& prepared,
                                    const HttpCallDeadline& deadline) {
  auto now = ReadPreImage(api, match, deadline);
  if (!now.ok()) return BindingFailure(kHttpApiError, now.status().message());
  if (!*now || **now == prepared.before) return std::nullopt;
  BindingOutcome out = BindingFailure(
      kHttpConflictError, "nothing was sent: " + match.path +
                              " changed after ward read it (and after any approver saw it); "
                              "read it again and decide whether the change still applies");
  out.stale = true;
  return out;
}

BindingOutcome Read(HttpApi* api, const HttpCallArgs& args, const HttpCallDeadline& deadline) {
  Result<HttpApiResponse> r = api->Call(RequestOf(args, deadline));
  if (!r.ok())
    return Failure(ErrorTypeOf(r.status()), r.status().message(), CallAudit(*api, args, nullptr));
  BindingOutcome out = BindingValue(DumpJson(HttpResponseValue(*r)));
  out.audit = CallAudit(*api, args, &*r);
  return out;
}

// What the session leaves at the undo's target after a 2xx write, for rollback to
// compare with: the response's JSON body, or else the target read back by GET
// when the config allows one. "" (with `why` set) when it could not be captured.
std::string CapturePostImage(HttpApi* api, const HttpApiResponse& response,
                             const std::string& target, const HttpCallDeadline& deadline,
                             std::string* why) {
  if (response.body_kind == HttpBodyKind::kJson) return DumpJson(response.json);
  if (!api->Match("GET", target).ok()) return DumpJson(HttpResponseValue(response)["body"]);
  HttpApiRequest get;
  get.method = "GET";
  get.path = target;
  get.deadline = &deadline;
  Result<HttpApiResponse> now = api->Call(get);
  if (!now.ok()) {
    *why = "reading it back (GET " + target + ") failed: " + now.status().message();
  } else if (!IsSuccess(now->status) || now->body_kind != HttpBodyKind::kJson) {
    *why = "reading it back (GET " + target + ") answered HTTP " + std::to_string(now->status) +
           (now->body_kind == HttpBodyKind::kJson ? "" : " without a JSON body");
  } else {
    return DumpJson(now->json);
  }
  return "";
}

// Completes a 2xx write's entry: its undo resolved from the answer (a declared
// DELETE {location} needs a usable Location), and the post-image rollback checks
// against. An effect that cannot be undone after all is said so in the entry's
// detail, to the guest (a warning) and in the audit entry.
void RecordDone(HttpApi* api, JournalScope* scope, JournalEntry& entry, const HttpCallArgs& args,
                const HttpRouteMatch& match, const HttpApiResponse& response,
                const HttpCallDeadline& deadline, BindingOutcome& out) {
  entry.post_version = response.Header("location");  // what a DELETE {location} undo targets
  entry.post_image = DumpJson(HttpResponseValue(response)["body"]);
  std::string detail;
  Result<HttpResolvedRequest> undo =
      ResolveHttpUndoRequest(api->config(), match, entry.post_version);
  if (!undo.ok()) {
    bool declared = undo.status().code() != StatusCode::kNotFound;
    std::string reason = declared ? "the route's undo cannot be used: " + undo.status().message()
                                  : "the route declares no undo for " + args.method;
    detail = "irreversible: " + reason;
    out.audit.Set("irreversible", reason);
    if (declared)
      out.reply.warnings.push_back(HttpBindingName(api->config(), args.method) + " " + args.path +
                                   " took effect but cannot be undone (" + reason +
                                   "); rollback will list it as irreversible");
  } else if (args.method != "DELETE") {
    std::string why;
    entry.post_image = CapturePostImage(api, response, undo->path, deadline, &why);
    if (!why.empty()) {
      detail = "post-image not captured: " + why +
               "; rollback will stop here rather than undo it unchecked";
      out.reply.warnings.push_back(args.path + ": " + detail);
    }
  }
  JournalResult(*scope, entry, JournalState::kDone, detail, out);
}

BindingOutcome Write(HttpApi* api, JournalScope* scope, const HttpCallArgs& args,
                     const HttpRouteMatch& match, const PreparedAction& prepared,
                     const HttpCallDeadline& deadline) {
  if (!scope || !scope->store)
    return BindingFailure("PermissionDenied", "writes are not journaled here; refused");
  if (!scope->dry_run) {
    if (auto stale = Stale(api, match, prepared, deadline)) return *stale;
  }
  JournalEntry draft;
  draft.connector = api->config().name;
  draft.endpoint = api->config().base_url;
  draft.operation = AsciiLower(args.method);
  draft.target_type = match.route->path.text;
  draft.target_id = args.path;
  draft.pre_image = prepared.before == "null" ? "" : prepared.before;
  draft.post_image = args.body ? DumpJson(*args.body) : "";
  Result<JournalEntry> entry = JournalIntent(*scope, std::move(draft));
  if (!entry.ok()) return BindingFailure("PermissionDenied", entry.status().message());
  if (scope->dry_run) {
    BindingOutcome out = Simulated(args);
    out.audit = CallAudit(*api, args, nullptr);
    out.audit.Set("dry_run", true);
    JournalResult(*scope, *entry, JournalState::kPlanned, PlannedDetail(args), out);
    return out;
  }
  HttpCallStage stage = HttpCallStage::kNotSent;
  Result<HttpApiResponse> r = api->Call(RequestOf(args, deadline), &stage);
  if (!r.ok()) {
    BindingOutcome out =
        Failure(ErrorTypeOf(r.status()), r.status().message(), CallAudit(*api, args, nullptr));
    if (stage == HttpCallStage::kNotSent) {
      JournalResult(*scope, *entry, JournalState::kFailed, "not sent: " + r.status().message(),
                    out);
    } else {  // it may have arrived: left at "intent", rollback stops there and says so
      out.reply.error_message += " (the request may have reached the API: check it)";
      JournalResult(*scope, *entry, JournalState::kIntent,
                    "no answer, so whether it arrived is unknown: " + r.status().message(), out);
    }
    return out;
  }
  BindingOutcome out = BindingValue(DumpJson(HttpResponseValue(*r)));
  out.audit = CallAudit(*api, args, &*r);
  if (!IsSuccess(r->status)) {
    JournalResult(*scope, *entry, JournalState::kFailed,
                  "HTTP " + std::to_string(r->status) + ": the API did not accept it", out);
    return out;
  }
  RecordDone(api, scope, *entry, args, match, *r, deadline, out);
  return out;
}

}  // namespace

std::string HttpBindingName(const HttpApiConfig& config, const std::string& method) {
  return config.name + "." + AsciiLower(method);
}

json HttpResponseValue(const HttpApiResponse& r) {
  json headers = json::object();
  for (const auto& [name, value] : r.headers) headers[name] = value;
  json body;
  switch (r.body_kind) {
    case HttpBodyKind::kEmpty:
      body = nullptr;
      break;
    case HttpBodyKind::kJson:
      body = r.json;
      break;
    case HttpBodyKind::kText:
      body = r.text;
      break;
    case HttpBodyKind::kBinary:
      body = json{{"base64", r.base64}};
      break;
  }
  return json{{"status", r.status}, {"headers", headers}, {"body", body}};
}

Result<HttpCallArgs> ParseHttpCallArgs(const std::string& method, const std::string& args_json,
                                       const std::string& binding) {
  Result<json> args = ParseJson(args_json);
  if (!args.ok() || !args->is_object())
    return InvalidArgument(binding + "(): the arguments are not a JSON object");
  HttpCallArgs out;
  out.method = method;
  const json path = args->value("path", json());
  if (!path.is_string()) return InvalidArgument(binding + "(): path must be a str such as '/x/1'");
  out.path = path.get<std::string>();
  if (args->contains("json") && !(*args)["json"].is_null()) {
    if (method == "GET" || method == "DELETE")
      return InvalidArgument(binding + "(): takes no json body");
    out.body = (*args)["json"];
  }
  WARD_ASSIGN_OR_RETURN(out.query, QueryOf(args->value("params", json()), binding));
  WARD_ASSIGN_OR_RETURN(out.headers, HeadersOf(args->value("headers", json()), binding));
  return out;
}

PreparedCall PrepareHttpCall(HttpApi* api, const std::string& method,
                             const std::string& args_json) {
  std::string binding = HttpBindingName(api->config(), method);
  Result<HttpCallArgs> args = ParseHttpCallArgs(method, args_json, binding);
  if (!args.ok()) return RefusedCall("ValueError", args.status().message());
  Result<HttpRouteMatch> match = api->Match(method, args->path);
  if (!match.ok())
    return RefusedCall(ErrorTypeOf(match.status()), binding + "(): " + match.status().message());
  if (Status parts = CheckCallerParts(api->config(), *args); !parts.ok())
    return RefusedCall("ValueError", binding + "(): " + parts.message());
  // A pre-image read, the stale check and the undo address the path alone: a
  // write they guard takes no query or headers of its own, which could name
  // another resource (a tenant, a version) than the one they read and restore.
  const HttpCompensation* undo = match->route->CompensationFor(method);
  if (method != "GET" && undo && undo->pre_image &&
      (!args->query.empty() || !args->headers.empty()))
    return RefusedCall("ValueError",
                       binding +
                           "(): params and headers cannot be given to a write whose "
                           "route reads a pre-image to undo it (that read and the undo "
                           "address the path alone)");
  if (args->body && DumpJson(*args->body).size() > api->config().max_request_bytes)
    return RefusedCall(kHttpApiError, binding + "(): the json body is over the API's limit of " +
                                          std::to_string(api->config().max_request_bytes) +
                                          " bytes (max_request_bytes)");
  PreparedAction action = Describe(*api, *match, *args);
  int64_t spent_ms = 0;
  if (method != "GET") {
    int64_t started_us = api->clock()->MonotonicMicros();
    std::optional<std::string> before;
    {
      HttpCallDeadline deadline(api->clock(), api->config().call_timeout_ms, nullptr);
      auto read = ReadPreImage(api, *match, deadline);
      if (!read.ok()) return RefusedCall(kHttpApiError, binding + "(): " + read.status().message());
      before = *read;
    }
    if (before) action.before = *before;
    spent_ms = (api->clock()->MonotonicMicros() - started_us) / 1000;
  }
  PreparedCall p;
  p.summary = action.summary;
  p.spent_ms = spent_ms;
  p.actions.push_back(std::move(action));
  return p;
}

BindingOutcome ExecuteHttpCall(HttpApi* api, JournalScope* scope, const std::string& method,
                               const std::string& args_json, const PreparedCall* prepared,
                               const CancelToken* cancel) {
  PreparedCall own;
  if (!prepared) {
    own = PrepareHttpCall(api, method, args_json);
    prepared = &own;
  }
  if (!prepared->refusal.ok) return BindingOutcome{prepared->refusal, {}};
  std::string binding = HttpBindingName(api->config(), method);
  Result<HttpCallArgs> args = ParseHttpCallArgs(method, args_json, binding);
  if (!args.ok()) return BindingFailure("ValueError", args.status().message());
  Result<HttpRouteMatch> match = api->Match(method, args->path);
  if (!match.ok()) return BindingFailure(ErrorTypeOf(match.status()), match.status().message());
  HttpCallDeadline deadline(api->clock(), api->config().call_timeout_ms - prepared->spent_ms,
                            cancel);
  if (method == "GET") return Read(api, *args, deadline);
  return Write(api, scope, *args, *match, prepared->actions.at(0), deadline);
}

}  // namespace ward::http_internal
