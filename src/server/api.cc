#include "server/api.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "audit/export_loop.h"

namespace ward::server {

using nlohmann::json;

ApiResponse JsonResponse(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Result<int64_t> QueryInt(const ApiRequest& r, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  int64_t v = 0;
  size_t used = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (...) {
    used = 0;
  }
  if (used != it->second.size() || v < min || v > max)
    return InvalidArgument(name + " must be a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max));
  return v;
}

int Api::HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string Api::ErrorBody(const Status& status) {
  json body = {{"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Api::Api(ApiContext context) : ctx_(std::move(context)) {
  Add(
      "GET", "/healthz", Role::kViewer,
      [](ApiRequest&, const Principal&) -> Result<ApiResponse> {
        return JsonResponse(200, R"({"status":"ok"})");
      },
      /*authenticated=*/false);
  Add("GET", "/metrics", Role::kViewer,
      [this](ApiRequest& r, const Principal& p) { return Metrics(r, p); });
  AddAccountRoutes();
  AddSessionRoutes();
  AddApprovalRoutes();
}

void Api::Add(const std::string& method, const std::string& pattern, Role min_role, Handler handler,
              bool authenticated) {
  routes_.push_back(
      {method, std::regex(pattern), pattern, authenticated, min_role, std::move(handler)});
}

void Api::AddAccountRoutes() {
  auto bind = [this](auto method) {
    return [this, method](ApiRequest& r, const Principal& p) { return (this->*method)(r, p); };
  };
  Add("POST", "/api/v1/login", Role::kViewer, bind(&Api::Login), /*authenticated=*/false);
  Add("POST", "/api/v1/logout", Role::kViewer, bind(&Api::Logout));
  Add("GET", "/api/v1/me", Role::kViewer, bind(&Api::Me));
  Add("GET", "/api/v1/users", Role::kAdmin, bind(&Api::ListUsers));
  Add("POST", "/api/v1/users", Role::kAdmin, bind(&Api::AddUser));
  Add("GET", "/api/v1/audit/verify", Role::kViewer, bind(&Api::VerifyAudit));
}

void Api::AddSessionRoutes() {
  auto bind = [this](auto method) {
    return [this, method](ApiRequest& r, const Principal& p) { return (this->*method)(r, p); };
  };
  const std::string id = "/api/v1/sessions/([A-Za-z0-9_-]+)";
  Add("GET", "/api/v1/sessions", Role::kViewer, bind(&Api::ListSessions));
  Add("POST", "/api/v1/sessions", Role::kApprover, bind(&Api::StartSession));
  Add("GET", id, Role::kViewer, bind(&Api::GetSession));
  Add("POST", id + "/cancel", Role::kApprover, bind(&Api::CancelSession));
  Add("POST", id + "/rollback", Role::kApprover, bind(&Api::Rollback));
  Add("GET", id + "/changeset", Role::kViewer, bind(&Api::Changeset));
  Add("GET", id + "/events", Role::kViewer, bind(&Api::ListEvents));
  Add("GET", id + "/stream", Role::kViewer, bind(&Api::StreamEvents));
}

void Api::AddApprovalRoutes() {
  auto bind = [this](auto method) {
    return [this, method](ApiRequest& r, const Principal& p) { return (this->*method)(r, p); };
  };
  Add("GET", "/api/v1/approvals", Role::kViewer, bind(&Api::ListApprovals));
  Add("GET", "/api/v1/approvals/([A-Za-z0-9_-]+)", Role::kViewer, bind(&Api::GetApproval));
  Add("POST", "/api/v1/approvals/([A-Za-z0-9_-]+)", Role::kApprover, bind(&Api::DecideApproval));
}

Result<ApiResponse> Api::Dispatch(ApiRequest& r, std::string* route_name) {
  const Route* route = nullptr;
  bool path_known = false;
  std::smatch m;
  for (const Route& candidate : routes_) {
    if (!std::regex_match(r.path, m, candidate.pattern)) continue;
    path_known = true;
    if (candidate.method != r.method) continue;
    route = &candidate;
    break;
  }
  if (!route) {
    *route_name = "unmatched";
    if (path_known) return InvalidArgument(r.method + " is not allowed on " + r.path);
    return NotFound("no such endpoint: " + r.path);
  }
  *route_name = route->method + " " + route->name;
  for (size_t i = 1; i < m.size(); ++i) r.params.push_back(m[i].str());
  Principal principal;
  if (route->authenticated) {
    WARD_ASSIGN_OR_RETURN(principal, ctx_.auth->Authenticate(r.bearer, r.cookie));
    if (principal.role < route->min_role)
      return PermissionDenied(std::string("this needs the ") + RoleName(route->min_role) +
                              " role; " + principal.user + " is a " + RoleName(principal.role));
    if (principal.browser && r.method != "GET" &&
        (r.csrf.size() != principal.csrf.size() ||
         CRYPTO_memcmp(r.csrf.data(), principal.csrf.data(), r.csrf.size()) != 0))
      return PermissionDenied("missing or wrong CSRF token (X-CSRF-Token)");
  }
  return route->handler(r, principal);
}

ApiResponse Api::Handle(ApiRequest request) {
  int64_t start = ctx_.clock->MonotonicMicros();
  std::string route_name = "unmatched";
  ApiResponse response;
  try {
    Result<ApiResponse> result = Dispatch(request, &route_name);
    if (result.ok()) {
      response = std::move(result).value();
    } else {
      response = JsonResponse(HttpStatus(result.status().code()), ErrorBody(result.status()));
      if (result.status().code() == StatusCode::kUnauthenticated)
        response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ward\"");
    }
  } catch (const std::exception& e) {
    response = JsonResponse(500, ErrorBody(Internal(std::string("unexpected: ") + e.what())));
  } catch (...) {
    response = JsonResponse(500, ErrorBody(Internal("unexpected failure")));
  }
  if (!response.stream)
    ctx_.metrics->ObserveRequest(route_name, response.status,
                                 ctx_.clock->MonotonicMicros() - start);
  return response;
}

Status Api::Audit(const Principal& who, const std::string& session, const std::string& kind,
                  const std::vector<std::pair<std::string, std::string>>& data) {
  AuditLog log(ctx_.audit_store ? ctx_.audit_store : ctx_.store, ctx_.clock, who.user);
  AuditData d;
  d.Set("via", who.browser ? "web" : "api");
  if (!who.credential_id.empty()) d.Set("credential", who.credential_id);
  for (const auto& [k, v] : data) d.Set(k, v);
  return log.Record(session, kind, d).status();
}

Result<ApiResponse> Api::Metrics(ApiRequest&, const Principal&) {
  WARD_ASSIGN_OR_RETURN(StoreCounts counts, ctx_.server_store->Counts(ctx_.clock->NowMillis()));
  ApiResponse r;
  r.body = ctx_.metrics->Render(counts);
  WARD_ASSIGN_OR_RETURN(std::string audit_export, RenderAuditExportMetrics(ctx_.store));
  r.body += audit_export;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace ward::server
