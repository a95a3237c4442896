// The `http` connector on the Connector seam: a `[connectors.NAME]` table with
// type = "http" gives the guest an object NAME with the bindings
//   NAME.get(path, params=None, headers=None)
//   NAME.post / put / patch(path, json=None, params=None, headers=None)
//   NAME.delete(path, params=None, headers=None)
// each returning {"status": int, "headers": {...}, "body": JSON | text |
// {"base64": ...} | None} — an HTTP error status is a value, not an exception;
// HttpApiError (base BindingError) is raised when nothing could be exchanged
// (transport failure, a refused header or query, a body too large).
//
// Before the policy, each call is prepared (http_prepare.h): a path no route
// allows is refused with the allowed routes, and the policy sees connector NAME,
// operation read/write/delete, the route pattern as resource_type and whether
// the route declares a compensation. Writes are journaled (http_calls.h) with
// the one protocol of journal/journal_writer.h; HttpCompensator
// (http_compensator.h) undoes them as the route declares.
//
// Owns its HttpApi; the HttpClient and Clock in `options` must outlive it.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http/http_api.h"

namespace ward {

class HttpConnector : public Connector {
 public:
  HttpConnector(HttpApiConfig config, HttpApiOptions options);

  const std::string& name() const override { return name_; }
  std::string type() const override { return "http"; }
  std::vector<Binding> Bindings(JournalScope* scope) override;
  // An HttpCompensator with its own HttpApi (it may outlive this connector).
  Result<std::unique_ptr<Compensator>> NewCompensator(const JournalEntry& entry) override;

 private:
  std::string name_;
  HttpApiOptions options_;
  HttpApi api_;
};

// The bindings of the API `api` (named after its config's name), journaling
// writes in `scope` (null: writes fail closed). `api` must outlive them.
std::vector<Binding> MakeHttpBindings(HttpApi* api, JournalScope* scope);

}  // namespace ward
