// FhirClient: the HTTP side of the FHIR R4 connector — one method per FHIR
// interaction, against one server base URL, with the configured authentication.
// Responses are returned as they came (status, body, headers); deciding what is an
// error for the guest is the bindings' job. Thread-compatible; the HttpClient it
// uses must outlive it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "util/status.h"

namespace ward {

struct FhirConnectorConfig {
  std::string name = "fhir";  // the connector's name: its bindings' prefix, its journal entries'
  std::string base_url;       // e.g. http://127.0.0.1:8080/fhir (no trailing slash needed)
  std::string bearer_token;   // empty: no Authorization header
  int64_t timeout_ms = 30'000;
  int max_pages = 20;        // fhir.search follows `next` at most this many pages
  int max_resources = 1000;  // ... and returns at most this many resources
};

struct FhirResponse {
  int status = 0;
  std::string body;
  std::string location;  // Location / Content-Location header
  std::string etag;
  std::string method;
  std::string url;  // the full URL requested
};

// One search parameter value; several values for one name are ANDed (repeated).
using FhirSearchParams = std::vector<std::pair<std::string, std::string>>;

class FhirClient {
 public:
  FhirClient(FhirConnectorConfig config, HttpClient* http);

  Result<FhirResponse> Read(const std::string& type, const std::string& id);
  Result<FhirResponse> Search(const std::string& type, const FhirSearchParams& params);
  // Fetches an absolute `next` link; InvalidArgument if it is not under the base URL.
  Result<FhirResponse> FetchPage(const std::string& absolute_url);
  Result<FhirResponse> Create(const std::string& type, const std::string& resource_json);
  // Writes only if the resource is still as expected: `expected_version` (e.g.
  // "3") sends If-Match: W/"3"; empty means it must not exist (never created, or
  // deleted) and sends If-None-Match: * — an update that creates never
  // overwrites a resource someone else created meanwhile.
  Result<FhirResponse> Update(const std::string& type, const std::string& id,
                              const std::string& resource_json,
                              const std::string& expected_version);
  // `if_match_version` (e.g. "3") sends If-Match: W/"3"; empty sends none.
  Result<FhirResponse> Delete(const std::string& type, const std::string& id,
                              const std::string& if_match_version = "");
  Result<FhirResponse> Transaction(const std::string& bundle_json);

  const FhirConnectorConfig& config() const { return config_; }
  const std::string& base_url() const { return base_; }

 private:
  Result<FhirResponse> Send(const std::string& method, const std::string& url,
                            const std::string& body, const std::string& content_type,
                            const HttpHeaders& preconditions = {});

  FhirConnectorConfig config_;
  std::string base_;  // base_url without a trailing slash
  HttpClient* http_;  // not owned
};

// The version in an ETag: W/"3" -> "3".
std::string VersionFromEtag(const std::string& etag);

// Percent-encodes a query component (RFC 3986 unreserved characters kept).
std::string UrlEncode(const std::string& text);

// True for a FHIR resource type name ("Patient") and a FHIR id ([A-Za-z0-9-.]{1,64}).
bool IsResourceTypeName(const std::string& text);
bool IsFhirId(const std::string& text);

}  // namespace ward
