// Login, logout, who-am-I, users, and audit verification.
#include <nlohmann/json.hpp>

#include "audit/audit_log.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/password.h"

namespace ward::server {

using nlohmann::json;

Result<ApiResponse> Api::Login(ApiRequest& r, const Principal&) {
  WARD_ASSIGN_OR_RETURN(json body, ParseJsonObject(r.body));
  WARD_ASSIGN_OR_RETURN(std::string user, StringField(body, "user"));
  WARD_ASSIGN_OR_RETURN(std::string password, StringField(body, "password"));
  if (user.empty() || user.size() > 64) return InvalidArgument("\"user\" is required");
  auto login = ctx_.auth->Login(user, password, r.client);
  if (!login.ok()) {
    Principal attempted{user};
    WARD_RETURN_IF_ERROR(Audit(attempted, "", "api_login_failed",
                               {{"client", r.client}, {"why", login.status().message()}}));
    return login.status();
  }
  const auto& [principal, secret] = *login;
  WARD_RETURN_IF_ERROR(Audit(principal, "", "api_login", {{"client", r.client}}));
  std::string cookie = std::string(kSessionCookie) + "=" + secret +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(ctx_.auth->web_session_ms() / 1000);
  if (ctx_.tls) cookie += "; Secure";
  ApiResponse res = JsonResponse(200, DumpJson({{"user", principal.user},
                                                {"role", RoleName(principal.role)},
                                                {"csrf", principal.csrf}}));
  res.headers.emplace_back("Set-Cookie", cookie);
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

Result<ApiResponse> Api::Logout(ApiRequest&, const Principal& p) {
  WARD_RETURN_IF_ERROR(ctx_.auth->Logout(p));
  WARD_RETURN_IF_ERROR(Audit(p, "", "api_logout", {}));
  ApiResponse res = JsonResponse(200, R"({"ok":true})");
  res.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) +
                                             "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
                                             (ctx_.tls ? "; Secure" : ""));
  return res;
}

Result<ApiResponse> Api::Me(ApiRequest&, const Principal& p) {
  json out = {{"user", p.user}, {"role", RoleName(p.role)}, {"via", p.browser ? "web" : "api"}};
  if (p.browser) out["csrf"] = p.csrf;
  ApiResponse res = JsonResponse(200, DumpJson(out));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

Result<ApiResponse> Api::ListUsers(ApiRequest&, const Principal&) {
  WARD_ASSIGN_OR_RETURN(auto users, ctx_.server_store->ListUsers());
  json out = json::array();
  for (const auto& u : users)
    out.push_back({{"name", u.name}, {"role", u.role}, {"created", FormatIso8601(u.created_ms)}});
  return JsonResponse(200, DumpJson(out));
}

Result<ApiResponse> Api::AddUser(ApiRequest& r, const Principal& p) {
  WARD_ASSIGN_OR_RETURN(json body, ParseJsonObject(r.body));
  WARD_ASSIGN_OR_RETURN(std::string name, StringField(body, "name"));
  WARD_ASSIGN_OR_RETURN(std::string role_name, StringField(body, "role"));
  WARD_ASSIGN_OR_RETURN(std::string password, StringField(body, "password"));
  WARD_ASSIGN_OR_RETURN(Role role, ParseRole(role_name));
  if (name.empty() || name.size() > 64) return InvalidArgument("\"name\" is required");
  if (password.size() < 8) return InvalidArgument("the password needs at least 8 characters");
  WARD_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  int64_t now = ctx_.clock->NowMillis();
  WARD_RETURN_IF_ERROR(ctx_.server_store->PutUser({name, RoleName(role), hash, now, now}, false));
  WARD_RETURN_IF_ERROR(Audit(p, "", "api_user_add", {{"name", name}, {"role", RoleName(role)}}));
  return JsonResponse(201, DumpJson({{"name", name}, {"role", RoleName(role)}}));
}

Result<ApiResponse> Api::VerifyAudit(ApiRequest&, const Principal&) {
  WARD_ASSIGN_OR_RETURN(AuditVerification v, VerifyAuditChain(ctx_.store));
  json out = {{"ok", v.ok}, {"entries", v.entries}, {"head_hash", v.head_hash}};
  if (!v.ok) {
    out["first_bad_seq"] = v.first_bad_seq;
    out["problem"] = v.problem;
  }
  out["unfinished_intents"] = json::array();
  for (const auto& e : v.unfinished_intents)
    out["unfinished_intents"].push_back({{"seq", e.seq}, {"session", e.session}});
  return JsonResponse(200, DumpJson(out));
}

}  // namespace ward::server
