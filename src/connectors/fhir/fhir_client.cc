#include "connectors/fhir/fhir_client.h"

#include <cctype>

namespace ward {

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsResourceTypeName(const std::string& t) {
  if (t.empty() || t.size() > 64 || !std::isupper(static_cast<unsigned char>(t[0]))) return false;
  for (unsigned char c : t)
    if (!std::isalpha(c)) return false;
  return true;
}

bool IsFhirId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '.') return false;
  return true;
}

FhirClient::FhirClient(FhirConnectorConfig config, HttpClient* http)
    : config_(std::move(config)), http_(http) {
  base_ = config_.base_url;
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

namespace {
// The weak ETag of a version: 3 → W/"3".
std::string IfMatch(const std::string& version) {
  std::string etag = "W/\"";
  etag.append(version).push_back('"');
  return etag;
}
}  // namespace

std::string VersionFromEtag(const std::string& etag) {
  size_t open = etag.find('"');
  size_t close = etag.rfind('"');
  if (open == std::string::npos || close <= open) return etag;
  return etag.substr(open + 1, close - open - 1);
}

Result<FhirResponse> FhirClient::Send(const std::string& method, const std::string& url,
                                      const std::string& body, const std::string& content_type,
                                      const HttpHeaders& preconditions) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.content_type = content_type;
  req.read_timeout_ms = config_.timeout_ms;
  req.headers.push_back({"Accept", "application/fhir+json"});
  if (method == "POST" || method == "PUT")
    req.headers.push_back({"Prefer", "return=representation"});
  req.headers.insert(req.headers.end(), preconditions.begin(), preconditions.end());
  if (!config_.bearer_token.empty())
    req.headers.push_back({"Authorization", "Bearer " + config_.bearer_token});
  auto resp = http_->Send(req);
  if (!resp.ok()) return resp.status().WithContext("FHIR server " + base_);
  FhirResponse out{
      resp->status, std::move(resp->body), resp->Header("Location"), resp->Header("ETag"), method,
      url};
  if (out.location.empty()) out.location = resp->Header("Content-Location");
  return out;
}

Result<FhirResponse> FhirClient::Read(const std::string& type, const std::string& id) {
  return Send("GET", base_ + "/" + type + "/" + id, "", "");
}

Result<FhirResponse> FhirClient::Search(const std::string& type, const FhirSearchParams& params) {
  std::string query;
  for (const auto& [name, value] : params)
    query += (query.empty() ? "" : "&") + UrlEncode(name) + "=" + UrlEncode(value);
  // Long queries go in a POST body (FHIR's _search), where URL length limits do not apply.
  if (query.size() > 1800)
    return Send("POST", base_ + "/" + type + "/_search", query,
                "application/x-www-form-urlencoded");
  return Send("GET", base_ + "/" + type + (query.empty() ? "" : "?" + query), "", "");
}

Result<FhirResponse> FhirClient::FetchPage(const std::string& url) {
  if (url.rfind(base_ + "/", 0) != 0 && url.rfind(base_ + "?", 0) != 0)
    return InvalidArgument("the server's next link " + url + " is not under " + base_ +
                           "; not followed");
  return Send("GET", url, "", "");
}

Result<FhirResponse> FhirClient::Create(const std::string& type, const std::string& resource) {
  return Send("POST", base_ + "/" + type, resource, "application/fhir+json");
}

Result<FhirResponse> FhirClient::Update(const std::string& type, const std::string& id,
                                        const std::string& resource,
                                        const std::string& expected_version) {
  HttpHeaders precondition = {expected_version.empty()
                                  ? HttpHeaders::value_type{"If-None-Match", "*"}
                                  : HttpHeaders::value_type{"If-Match", IfMatch(expected_version)}};
  return Send("PUT", base_ + "/" + type + "/" + id, resource, "application/fhir+json",
              precondition);
}

Result<FhirResponse> FhirClient::Delete(const std::string& type, const std::string& id,
                                        const std::string& if_match_version) {
  HttpHeaders precondition;
  if (!if_match_version.empty()) precondition.push_back({"If-Match", IfMatch(if_match_version)});
  return Send("DELETE", base_ + "/" + type + "/" + id, "", "", precondition);
}

Result<FhirResponse> FhirClient::Transaction(const std::string& bundle) {
  return Send("POST", base_, bundle, "application/fhir+json");
}

}  // namespace ward
