// Test helper: a home directory with users and tokens, and `ward serve` running
// on it (the real binary, loopback, port 0), plus a small JSON-over-HTTP client.
// Test-only.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "ward_process.h"

namespace ward::testing {

struct ApiReply {
  int status = 0;
  std::string body;
  HttpHeaders headers;
  std::string Header(const std::string& name) const;
};

// A token for each role, from ServedHome::AddOneUserPerRole().
struct RoleTokens {
  std::string admin, approver, viewer;
};

class ServedHome {
 public:
  // Creates a fresh home under the temp directory named after `name`.
  explicit ServedHome(const std::string& name);
  ~ServedHome();

  const std::filesystem::path& home() const { return home_; }
  std::map<std::string, std::string> Env() const;
  // `ward user add NAME --role ROLE` with the password on stdin. Aborts the test on failure.
  void AddUser(const std::string& name, const std::string& role, const std::string& password);
  // `ward token create --user NAME`: the secret (stdout).
  std::string CreateToken(const std::string& user);
  // Adds ada (admin), abe (approver) and val (viewer); a token for each.
  RoleTokens AddOneUserPerRole();
  // Starts `ward serve --port 0 --heartbeat 1 extra...`; returns its URL ("" on failure).
  std::string Serve(const std::vector<std::string>& extra = {});
  void StopServer();

  // A request to the server. `token` as bearer when not empty; extra headers.
  ApiReply Call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& token = "", const HttpHeaders& headers = {});
  const std::string& url() const { return url_; }
  HttpClient* http() { return http_.get(); }

 private:
  std::filesystem::path home_;
  std::unique_ptr<WardProcess> server_;
  std::string url_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace ward::testing
