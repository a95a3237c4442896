#include "connectors/http/http_connector.h"

#include "connectors/http/http_calls.h"
#include "connectors/http/http_compensator.h"

namespace ward {
namespace {

using http_internal::ExecuteHttpCall;
using http_internal::HttpBindingName;
using http_internal::PrepareHttpCall;

std::vector<GuestErrorType> HttpErrorTypes() {
  return {{http_internal::kHttpApiError, "BindingError",
           "Nothing could be exchanged with the API: the network failed or gave no answer "
           "in time (call_timeout_seconds), "
           "the body or the response was too large, or a credential is missing. An HTTP error "
           "status is not an "
           "error: the returned dict carries it."},
          {http_internal::kHttpConflictError, http_internal::kHttpApiError,
           "The target changed since ward read it (and since any approver saw it); nothing was "
           "sent. Read it again and decide whether the change still applies."}};
}

Binding MakeOne(HttpApi* api, JournalScope* scope, const std::string& method,
                const std::string& params, const std::string& doc) {
  const HttpApiConfig& config = api->config();
  std::string name = HttpBindingName(config, method);
  std::string operation = method == "GET" ? "read" : method == "DELETE" ? "delete" : "write";
  std::string short_name = name.substr(name.rfind('.') + 1);
  Binding b{name, short_name + "(" + params + ")", doc, operation,
            [api, scope, method](const BindingContext& context, const std::string& args) {
              return ExecuteHttpCall(api, scope, method, args, context.prepared, context.cancel);
            }};
  b.prepare = [api, method](const std::string& args) { return PrepareHttpCall(api, method, args); };
  b.raises = HttpErrorTypes();
  return b;
}

}  // namespace

std::vector<Binding> MakeHttpBindings(HttpApi* api, JournalScope* scope) {
  const std::string& n = api->config().name;
  std::string routes = DescribeHttpRoutes(api->config());
  std::string returns =
      " Returns {'status': int, 'headers': dict, 'body': parsed JSON, text, or {'base64': ...}}; "
      "an HTTP error status is returned, not raised. Allowed routes: " +
      routes + ".";
  std::string write_params = "path, json=None, params=None, headers=None";
  std::string read_params = "path, params=None, headers=None";
  return {
      MakeOne(api, scope, "GET", read_params,
              "GET a path of the " + n + " API, e.g. " + n +
                  ".get('/appointments', params={'date': '2024-05-01'})." + returns),
      MakeOne(api, scope, "POST", write_params,
              "POST json to a path of the " + n + " API." + returns),
      MakeOne(api, scope, "PUT", write_params,
              "PUT json to a path of the " + n + " API." + returns),
      MakeOne(api, scope, "PATCH", write_params,
              "PATCH a path of the " + n + " API with json." + returns),
      MakeOne(api, scope, "DELETE", read_params, "DELETE a path of the " + n + " API." + returns),
  };
}

HttpConnector::HttpConnector(HttpApiConfig config, HttpApiOptions options)
    : name_(config.name), options_(options), api_(std::move(config), std::move(options)) {}

std::vector<Binding> HttpConnector::Bindings(JournalScope* scope) {
  return MakeHttpBindings(&api_, scope);
}

Result<std::unique_ptr<Compensator>> HttpConnector::NewCompensator(const JournalEntry& entry) {
  if (entry.endpoint != api_.config().base_url)
    return FailedPrecondition("[connectors." + name_ + "] now points at " + api_.config().base_url +
                              ", but the entry was written to " + entry.endpoint +
                              "; it is not sent elsewhere");
  return std::unique_ptr<Compensator>(std::make_unique<HttpCompensator>(api_.config(), options_));
}

}  // namespace ward
