#include "connectors/http/http_compensator.h"

#include "connectors/http/http_calls.h"
#include "connectors/http/http_compensation.h"
#include "connectors/http/http_connector.h"
#include "journal/replay_ids.h"
#include "util/encoding.h"
#include "util/json_limits.h"

namespace ward {
namespace {

using http_internal::json;

std::string Upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

std::string Target(const JournalEntry& e) { return Upper(e.operation) + " " + e.target_id; }

// The entry's call as a route match, and the request that undoes it.
struct UndoPlan {
  HttpRouteMatch forward;
  HttpResolvedRequest request;
};

Result<UndoPlan> Resolve(const HttpApi& api, const JournalEntry& e) {
  UndoPlan plan;
  WARD_ASSIGN_OR_RETURN(plan.forward, api.Match(Upper(e.operation), e.target_id));
  WARD_ASSIGN_OR_RETURN(plan.request,
                        ResolveHttpUndoRequest(api.config(), plan.forward, e.post_version));
  return plan;
}

// The undo's target as it is now: nullopt when the config allows no GET of it.
Result<std::optional<HttpApiResponse>> ReadTarget(HttpApi& api, const std::string& path) {
  if (!api.Match("GET", path).ok()) return std::optional<HttpApiResponse>();
  HttpCallDeadline deadline(api.clock(), api.config().call_timeout_ms, nullptr);
  HttpApiRequest get;
  get.method = "GET";
  get.path = path;
  get.deadline = &deadline;
  WARD_ASSIGN_OR_RETURN(HttpApiResponse r, api.Call(get));
  return std::optional<HttpApiResponse>(std::move(r));
}

// `path` with every segment that is a simulated id of the same dry run (or a
// reference's id part) replaced by the real one, percent-encoded.
std::string ReplayPath(const std::string& path, const ReplayIds& ids) {
  if (ids.empty() || path.empty() || path.front() != '/') return path;
  std::string out;
  size_t start = 1;
  while (true) {
    size_t slash = path.find('/', start);
    std::string segment = path.substr(start, slash == std::string::npos ? slash : slash - start);
    std::string real = RewriteReplayId(segment, ids);
    out += "/" + (real == segment ? segment : PercentEncode(real));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

// Said of an undo whose target the config allows no GET of.
std::string UncheckedNote(const std::string& path) {
  return "; NOT CHECKED: the config allows no GET of " + path +
         ", so whether someone changed it since the session could not be checked (declare a "
         "GET route for it to have rollback check it first)";
}

bool Gone(int status) { return status == 404 || status == 410; }

// Whether the target is still what the session left; sets the step when not.
void CheckLeftAsIs(const JournalEntry& e, const std::string& path, const HttpApiResponse& now,
                   RollbackStep& step) {
  if (e.operation == "delete") {
    if (Gone(now.status)) return;
    step.outcome = "conflict";
    step.detail = path + ": the session deleted it but it exists again (HTTP " +
                  std::to_string(now.status) + "); rollback stops here and changes nothing more";
    return;
  }
  if (Gone(now.status)) {
    if (step.action == "delete") {
      step.action = "none";
      step.outcome = "already undone";
      step.detail = path + " no longer exists";
    } else {
      step.outcome = "conflict";
      step.detail = path + ": the session left it in place but it is gone now";
    }
    return;
  }
  json left = ParseJsonOrDiscarded(e.post_image);
  std::string found = now.body_kind == HttpBodyKind::kJson
                          ? DumpJson(now.json)
                          : "(HTTP " + std::to_string(now.status) + ", not JSON)";
  if (left.is_discarded() || left.is_null()) {  // nothing to compare with: never undo blindly
    step.outcome = "conflict";
    step.detail = path + ": what the session left there was not recorded (" +
                  (e.detail.empty() ? "the write's answer had no JSON body" : e.detail) +
                  "), so whether someone changed it since cannot be checked; the API now has " +
                  found + ". Rollback stops here and changes nothing more: check it by hand";
    return;
  }
  if (now.status >= 200 && now.status < 300 && now.body_kind == HttpBodyKind::kJson &&
      now.json == left)
    return;
  step.outcome = "conflict";
  step.detail = path + ": the session left " + DumpJson(left) + " but the API now has " + found +
                "; someone else changed it, so rollback stops here and changes nothing more";
}

}  // namespace

HttpCompensator::HttpCompensator(HttpApiConfig config, HttpApiOptions options)
    : api_(std::move(config), std::move(options)) {}

Settlement HttpCompensator::Settle(const JournalEntry& e) {
  Settlement s;
  s.outcome = Settlement::Outcome::kUnknown;
  s.entry = e;
  s.detail = e.connector + " " + Target(e) +
             ": ward stopped between journaling this request and recording its answer, and an "
             "HTTP API cannot tell afterwards whether it arrived; check " +
             api_.config().base_url + e.target_id + " by hand (rollback stops here)";
  return s;
}

RollbackStep HttpCompensator::PlanUndo(const JournalEntry& e) {
  RollbackStep step{e, "none", "", ""};
  Result<UndoPlan> plan = Resolve(api_, e);
  if (!plan.ok()) {
    bool undeclared = plan.status().code() == StatusCode::kNotFound ||
                      plan.status().code() == StatusCode::kFailedPrecondition;
    step.outcome = undeclared ? "irreversible" : "failed";
    step.detail = e.connector + " " + Target(e) + " (route " + e.target_type +
                  "): " + plan.status().message();
    return step;
  }
  step.action = plan->request.method == "DELETE" ? "delete" : "restore";
  auto now = ReadTarget(api_, plan->request.path);
  if (!now.ok()) {
    step.outcome = "failed";
    step.detail = plan->request.path + " could not be read: " + now.status().message();
    return step;
  }
  if (*now) CheckLeftAsIs(e, plan->request.path, **now, step);
  if (step.outcome.empty())
    step.detail = plan->request.method + " " + plan->request.path + " undoes " + Target(e) +
                  (*now ? "" : UncheckedNote(plan->request.path));
  return step;
}

void HttpCompensator::Undo(const JournalEntry& e, RollbackStep& step) {
  Result<UndoPlan> plan = Resolve(api_, e);
  if (!plan.ok()) {
    step.outcome = "failed";
    step.detail = plan.status().message();
    return;
  }
  HttpApiRequest request;
  request.method = plan->request.method;
  request.path = plan->request.path;
  if (plan->request.sends_pre_image) {
    Result<json> pre = ParseJson(e.pre_image);
    if (!pre.ok() || e.pre_image.empty()) {
      step.outcome = "failed";
      step.detail = Target(e) + ": the journal holds no pre-image to put back";
      return;
    }
    request.body = *pre;
  }
  HttpCallDeadline deadline(api_.clock(), api_.config().call_timeout_ms, nullptr);
  request.deadline = &deadline;
  Result<HttpApiResponse> r = api_.Call(request);
  std::string sent = request.method + " " + request.path;
  if (!r.ok()) {
    step.outcome = "failed";
    step.detail = sent + ": " + r.status().message();
  } else if (r->status >= 200 && r->status < 300) {
    step.outcome = "undone";
    step.detail = sent + " (HTTP " + std::to_string(r->status) + ") undid " + Target(e) +
                  (api_.Match("GET", request.path).ok() ? "" : UncheckedNote(request.path));
  } else {
    step.outcome = r->status == 409 || r->status == 412 ? "conflict" : "failed";
    step.detail = sent + ": HTTP " + std::to_string(r->status);
  }
}

Result<std::string> HttpCompensator::Drift(const JournalEntry& e) {
  if (e.pre_image.empty()) return std::string();
  WARD_ASSIGN_OR_RETURN(HttpRouteMatch forward, api_.Match(Upper(e.operation), e.target_id));
  WARD_ASSIGN_OR_RETURN(auto get, ResolveHttpPreImageRequest(api_.config(), forward));
  if (!get) return std::string();
  WARD_ASSIGN_OR_RETURN(auto now, ReadTarget(api_, get->path));
  if (!now) return std::string();
  if (now->body_kind == HttpBodyKind::kJson && DumpJson(now->json) == e.pre_image)
    return std::string();
  return get->path + ": the dry run saw " + e.pre_image + ", the API now answers HTTP " +
         std::to_string(now->status) +
         (now->body_kind == HttpBodyKind::kJson ? " " + DumpJson(now->json) : "");
}

std::vector<Binding> HttpCompensator::ReplayBindings(JournalScope* scope) {
  return MakeHttpBindings(&api_, scope);
}

GuestCall HttpCompensator::Replay(const JournalEntry& e, const ReplayIds& ids) {
  json args = {{"path", ReplayPath(e.target_id, ids)}, {"params", nullptr}, {"headers", nullptr}};
  if (e.operation != "delete") {
    args["json"] = e.post_image.empty() ? json() : ParseJsonOrDiscarded(e.post_image);
    RewriteReplayIds(args["json"], ids);
  }
  size_t brace = e.detail.find('{');
  json extras = brace == std::string::npos ? json() : ParseJsonOrDiscarded(e.detail.substr(brace));
  if (extras.is_object()) {
    for (const char* key : {"params", "headers"}) {
      json pairs = extras.value(key, json::array());
      if (!pairs.is_array() || pairs.empty()) continue;
      json dict = json::object();
      for (const auto& pair : pairs) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) continue;
        std::string name = pair[0].get<std::string>();
        // Params repeat as lists; a header is one value.
        if (std::string(key) == "params")
          dict[name].push_back(pair[1].is_string()
                                   ? json(RewriteReplayId(pair[1].get<std::string>(), ids))
                                   : pair[1]);
        else
          dict[name] = pair[1];
      }
      args[key] = dict;
    }
  }
  return {e.connector + "." + e.operation, DumpJson(args)};
}

std::string HttpCompensator::Replayed(const JournalEntry& e, const GuestCall& call,
                                      const std::string& reply_json, ReplayIds&) {
  json reply = ParseJsonOrDiscarded(reply_json);
  std::string status = reply.is_object() && reply.contains("status") && reply["status"].is_number()
                           ? std::to_string(reply["status"].get<int>())
                           : "?";
  return call.name + " " + e.target_id + " → HTTP " + status;
}

}  // namespace ward
