// Api: ward's remote-management API (/api/v1, /healthz, /metrics), independent of
// the HTTP library: http_server.cc turns HTTP requests into ApiRequests and
// ApiResponses back into HTTP.
//
// Every route but /healthz and /api/v1/login requires a credential (a bearer API
// token, or the browser's session cookie) and a minimum role; browser requests
// that change state must carry the session's CSRF token in X-CSRF-Token. Handlers
// return Status values; one wrapper maps them to HTTP statuses with the body
// {"error": {"code", "message"}}: InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, FailedPrecondition/AlreadyExists 409,
// ResourceExhausted 429, Unimplemented 501, Unavailable 503, anything else 500.
// Every state change and every read of a session's contents is audited with the
// user. Handle() never throws. Thread-safe: requests run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/config.h"
#include "server/auth.h"
#include "server/event_hub.h"
#include "server/event_stream.h"
#include "server/metrics.h"
#include "server/session_pool.h"
#include "store/server_store.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward::server {

inline constexpr const char* kSessionCookie = "ward_session";

struct ApiRequest {
  std::string method;
  std::string path;
  std::vector<std::string> params;  // the route's captures, filled by Handle()
  std::map<std::string, std::string> query;
  std::string body;
  std::string client;         // the peer's address
  std::string bearer;         // from "Authorization: Bearer …"
  std::string cookie;         // the session cookie's value
  std::string csrf;           // the X-CSRF-Token header
  std::string last_event_id;  // the Last-Event-ID header
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<EventStream> stream;  // set for an SSE response (body unused)
};

// What the API works with; everything is owned elsewhere and outlives the Api.
struct ApiContext {
  WardConfig config;
  Store* store = nullptr;
  ServerStore* server_store = nullptr;
  Clock* clock = nullptr;
  Authenticator* auth = nullptr;
  EventHub* hub = nullptr;
  SessionPool* sessions = nullptr;
  Metrics* metrics = nullptr;
  bool tls = false;  // cookies get Secure
  int64_t heartbeat_ms = 15'000;
  // The connection audit entries are appended through; null: `store`. The server
  // passes the one its sessions write on: an append then waits its turn on that
  // connection's lock, rather than polling SQLite's file lock against the sessions'
  // writes while holding `store`, which every read of the API needs.
  Store* audit_store = nullptr;
};

class Api {
 public:
  explicit Api(ApiContext context);
  ApiResponse Handle(ApiRequest request);

  // The JSON error body for a non-OK status, and the HTTP status it maps to.
  static int HttpStatus(StatusCode code);
  static std::string ErrorBody(const Status& status);

 private:
  using Handler = std::function<Result<ApiResponse>(ApiRequest&, const Principal&)>;
  struct Route {
    std::string method;
    std::regex pattern;
    std::string name;  // the pattern as written, for metrics
    bool authenticated = true;
    Role min_role = Role::kViewer;
    Handler handler;
  };
  void Add(const std::string& method, const std::string& pattern, Role min_role, Handler handler,
           bool authenticated = true);
  void AddSessionRoutes();
  void AddApprovalRoutes();
  void AddAccountRoutes();
  Result<ApiResponse> Dispatch(ApiRequest& request, std::string* route_name);
  Status Audit(const Principal& who, const std::string& session, const std::string& kind,
               const std::vector<std::pair<std::string, std::string>>& data);

  // Handlers (api_sessions.cc, api_approvals.cc, api_accounts.cc).
  Result<ApiResponse> ListSessions(ApiRequest& r, const Principal& p);
  Result<ApiResponse> StartSession(ApiRequest& r, const Principal& p);
  Result<ApiResponse> GetSession(ApiRequest& r, const Principal& p);
  Result<ApiResponse> CancelSession(ApiRequest& r, const Principal& p);
  Result<ApiResponse> ListEvents(ApiRequest& r, const Principal& p);
  Result<ApiResponse> StreamEvents(ApiRequest& r, const Principal& p);
  Result<ApiResponse> Rollback(ApiRequest& r, const Principal& p);  // api_journal.cc
  Result<ApiResponse> Changeset(ApiRequest& r, const Principal& p);
  Result<ApiResponse> ListApprovals(ApiRequest& r, const Principal& p);
  Result<ApiResponse> GetApproval(ApiRequest& r, const Principal& p);
  Result<ApiResponse> DecideApproval(ApiRequest& r, const Principal& p);
  Result<ApiResponse> VerifyAudit(ApiRequest& r, const Principal& p);
  Result<ApiResponse> Login(ApiRequest& r, const Principal& p);
  Result<ApiResponse> Logout(ApiRequest& r, const Principal& p);
  Result<ApiResponse> Me(ApiRequest& r, const Principal& p);
  Result<ApiResponse> ListUsers(ApiRequest& r, const Principal& p);
  Result<ApiResponse> AddUser(ApiRequest& r, const Principal& p);
  Result<ApiResponse> Metrics(ApiRequest& r, const Principal& p);

  ApiContext ctx_;
  std::vector<Route> routes_;
  std::mutex rollback_mu_;
  std::set<std::string> rolling_back_;  // sessions being rolled back; guarded by rollback_mu_
  // Which approvals each user has been shown in a list ("user\napproval id"), so a
  // list that polls is audited when it shows someone an approval for the first
  // time, not on every poll. Bounded; guarded by shown_mu_.
  std::mutex shown_mu_;
  std::set<std::string> shown_;
  // The ids of `approvals` not yet shown to `user`, which are from now on.
  std::vector<std::string> FirstShown(const std::string& user,
                                      const std::vector<std::string>& approvals);
};

// Helpers shared by the handler files.
ApiResponse JsonResponse(int status, std::string body);
// The request's query parameter as an integer; `fallback` when absent,
// InvalidArgument when not a number in [min, max].
Result<int64_t> QueryInt(const ApiRequest& r, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max);

}  // namespace ward::server
