#include "audit/testing/fake_checkpoint_service.h"

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace ward::testing {

struct FakeCheckpointService::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::string lines;  // guarded by mu
  std::atomic<bool> fail{false};
};

FakeCheckpointService::FakeCheckpointService() : impl_(std::make_unique<Impl>()) {
  Impl* impl = impl_.get();
  impl->server.Post("/cp", [impl](const httplib::Request& req, httplib::Response& res) {
    if (impl->fail.load()) {
      res.status = 503;
      return;
    }
    std::lock_guard<std::mutex> lock(impl->mu);
    impl->lines += req.body + "\n";
    res.status = 201;
  });
  impl->server.Get("/cp", [impl](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(impl->mu);
    res.set_content(impl->lines, "application/x-ndjson");
  });
  impl->port = impl->server.bind_to_any_port("127.0.0.1");
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
}

FakeCheckpointService::~FakeCheckpointService() {
  impl_->server.stop();
  impl_->thread.join();
}

std::string FakeCheckpointService::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/cp";
}

void FakeCheckpointService::set_fail(bool fail) { impl_->fail.store(fail); }

}  // namespace ward::testing
