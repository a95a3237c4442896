// Test-only: a gtest fixture that builds a real provider over a FakeHttpClient and a
// ManualClock, with the environment it reads given per test, and reads back the
// headers of the requests it sent.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "llm/provider.h"
#include "llm/testing/fake_http_client.h"
#include "util/clock.h"

namespace ward::testing {

class ProviderFixture : public ::testing::Test {
 protected:
  // MakeProvider(`model`) seeing exactly `env` as its environment.
  std::unique_ptr<LlmProvider> MakeWithEnv(const std::string& model,
                                           std::map<std::string, std::string> env,
                                           uint64_t jitter_seed) {
    ProviderOptions options;
    options.http = &http_;
    options.clock = &clock_;
    options.jitter_seed = jitter_seed;
    options.getenv = [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    auto made = MakeProvider(model, options);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return std::move(made).value();
  }

  // The value of header `name` in `req`, or "<absent>".
  static std::string Header(const HttpRequest& req, const std::string& name) {
    for (const auto& [k, v] : req.headers) {
      if (k == name) return v;
    }
    return "<absent>";
  }

  FakeHttpClient http_;
  ManualClock clock_;
};

}  // namespace ward::testing
