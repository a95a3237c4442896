// Test-only: a loopback checkpoint service on 127.0.0.1, port 0. Keeps each
// POSTed body as one line and serves them back as NDJSON on GET (the contract of
// [audit] checkpoint_url, docs/audit.md); answers 503 to POSTs while failing.
// Thread-safe; stops and joins its thread when destroyed.
#pragma once

#include <memory>
#include <string>

namespace ward::testing {

class FakeCheckpointService {
 public:
  FakeCheckpointService();
  ~FakeCheckpointService();
  std::string url() const;  // http://127.0.0.1:PORT/cp
  void set_fail(bool fail);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ward::testing
