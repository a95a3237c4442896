// Test fixture (tests only): a fake vendor REST API on loopback that keeps
// appointments in memory — POST /v1/appointments (201 with a Location),
// GET/PUT/DELETE /v1/appointments/{id} — notes that can only be created
// (POST /v1/notes), and tasks whose creation answers without a Location
// (POST /v1/tasks), with hooks to look inside (or stall) a request while it is
// being handled, to force a status (of every request, or of GETs), and to answer
// writes without a body. Records every request (LoopbackTestServer).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "connectors/http/http_test_servers.h"

namespace ward::testing {

class FakeVendorApi : public LoopbackTestServer {
 public:
  FakeVendorApi() {
    server_.Post("/v1/appointments", [this](const httplib::Request& req, httplib::Response& res) {
      if (Intercept(req, res)) return;
      std::lock_guard<std::mutex> lock(mu_);
      std::string id = std::to_string(++next_id_);
      nlohmann::json a = nlohmann::json::parse(req.body);
      a["id"] = id;
      appointments_[id] = a;
      res.status = 201;
      res.set_header("Location", "/v1/appointments/" + id);
      if (!bodiless_writes) res.set_content(a.dump(), "application/json");
    });
    server_.Get(R"(/v1/appointments/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (Intercept(req, res)) return;
                  std::lock_guard<std::mutex> lock(mu_);
                  auto it = appointments_.find(req.matches[1].str());
                  if (it == appointments_.end()) {
                    res.status = 404;
                    return;
                  }
                  res.set_content(it->second.dump(), "application/json");
                });
    server_.Put(R"(/v1/appointments/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (Intercept(req, res)) return;
                  std::lock_guard<std::mutex> lock(mu_);
                  appointments_[req.matches[1].str()] = nlohmann::json::parse(req.body);
                  if (bodiless_writes)
                    res.status = 204;
                  else
                    res.set_content(req.body, "application/json");
                });
    server_.Delete(R"(/v1/appointments/([^/]+))",
                   [this](const httplib::Request& req, httplib::Response& res) {
                     if (Intercept(req, res)) return;
                     std::lock_guard<std::mutex> lock(mu_);
                     res.status = appointments_.erase(req.matches[1].str()) ? 204 : 404;
                   });
    server_.Post("/v1/notes", [this](const httplib::Request& req, httplib::Response& res) {
      if (Intercept(req, res)) return;
      res.status = 201;
      res.set_content("{\"note\":\"kept\"}", "application/json");
    });
    server_.Post("/v1/tasks", [this](const httplib::Request& req, httplib::Response& res) {
      if (Intercept(req, res)) return;
      res.status = 201;  // created, but no Location says where
      res.set_content("{\"task\":\"made\"}", "application/json");
    });
    Start();
  }
  ~FakeVendorApi() override { Stop(); }

  // Called inside every request's handler, before it is answered.
  std::function<void(const httplib::Request&)> on_request;
  // When not 0, every request is answered with this status and no effect.
  std::atomic<int> forced_status{0};
  // When not 0, every GET is answered with this status.
  std::atomic<int> forced_get_status{0};
  // When set, a create or update answers without a body (201 / 204).
  std::atomic<bool> bodiless_writes{false};

  void Put(const std::string& id, const nlohmann::json& a) {
    std::lock_guard<std::mutex> lock(mu_);
    appointments_[id] = a;
  }
  std::optional<nlohmann::json> Get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = appointments_.find(id);
    if (it == appointments_.end()) return std::nullopt;
    return it->second;
  }

 private:
  bool Intercept(const httplib::Request& req, httplib::Response& res) {
    Record(req);
    if (on_request) on_request(req);
    int forced = req.method == "GET" && forced_get_status != 0 ? forced_get_status.load()
                                                               : forced_status.load();
    if (forced == 0) return false;
    res.status = forced;
    return true;
  }
  std::mutex mu_;
  int next_id_ = 41;
  std::map<std::string, nlohmann::json> appointments_;
};

}  // namespace ward::testing
