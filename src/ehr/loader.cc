#include "ehr/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/json_limits.h"

namespace ward::ehr {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool LoadsFirst(const fs::path& p) {
  std::string name = p.filename().string();
  return name.rfind("hospitalInformation", 0) == 0 || name.rfind("practitionerInformation", 0) == 0;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The first issue's diagnostics (and expression) of an OperationOutcome body.
std::string Reason(const EhrResponse& r) {
  json body = ParseJsonOrDiscarded(r.body);
  if (!body.is_object() || !body.contains("issue") || body["issue"].empty()) {
    return "HTTP " + std::to_string(r.status);
  }
  const json& issue = body["issue"][0];
  std::string out = issue.value("diagnostics", "HTTP " + std::to_string(r.status));
  if (issue.contains("expression")) out += " at " + issue["expression"][0].get<std::string>();
  return out;
}

Result<size_t> LoadOne(EhrService* service, const std::string& path, const std::string& base) {
  WARD_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json doc = ParseJsonOrDiscarded(text);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgument(path + ": not a JSON object");
  std::string type = doc.value("resourceType", "");
  std::string bundle_type = type == "Bundle" ? doc.value("type", "") : "";
  EhrResponse r;
  size_t count = 1;
  if (bundle_type == "transaction" || bundle_type == "batch") {
    count = doc.value("entry", json::array()).size();
    r = service->ProcessBundle(doc, base);
  } else {
    EhrRequest req;
    bool has_id = doc.contains("id") && doc["id"].is_string();
    req.method = has_id ? "PUT" : "POST";
    req.path = "/" + type + (has_id ? "/" + doc["id"].get<std::string>() : "");
    req.headers.emplace_back("prefer", "return=minimal");
    req.body = std::move(text);
    req.base_url = base;
    r = service->Handle(req);
  }
  if (r.status >= 400) return InvalidArgument(path + ": " + Reason(r));
  if (bundle_type == "batch") {
    json resp = ParseJsonOrDiscarded(r.body);
    for (const auto& e : resp.value("entry", json::array())) {
      std::string status = e["response"].value("status", "");
      if (!status.empty() && status[0] >= '4')
        return InvalidArgument(path + ": an entry failed: " + status);
    }
  }
  return count;
}

}  // namespace

Result<std::vector<std::string>> ExpandLoadPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& p : paths) {
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
        bool fa = LoadsFirst(a), fb = LoadsFirst(b);
        return fa != fb ? fa : a.filename() < b.filename();
      });
      for (const auto& f : files) out.push_back(f.string());
    } else if (fs::is_regular_file(p, ec)) {
      out.push_back(p);
    } else {
      return NotFound("no such file or directory: " + p);
    }
  }
  return out;
}

Result<LoadStats> LoadPaths(EhrService* service, const std::vector<std::string>& paths,
                            const std::string& base_url, Clock* clock) {
  int64_t start = clock->MonotonicMicros();
  WARD_ASSIGN_OR_RETURN(auto files, ExpandLoadPaths(paths));
  LoadStats stats;
  for (const auto& f : files) {
    WARD_ASSIGN_OR_RETURN(size_t n, LoadOne(service, f, base_url));
    stats.files++;
    stats.entries += n;
  }
  stats.micros = clock->MonotonicMicros() - start;
  return stats;
}

}  // namespace ward::ehr
