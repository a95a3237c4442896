#include "server/event_hub.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "protocol/event_json.h"
#include "server/event_stream.h"

namespace ward::server {
namespace {

class EventHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ward_hub_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    store_ = std::move(OpenSqliteStore((dir_ / "ward.db").string())).value();
    ASSERT_TRUE(store_->CreateSession({"s_1", "t", "m", "code", "a", "running", 1, 1}).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      ObservationEvent o;
      o.kind = "result";
      o.text = "line " + std::to_string(i);
      ASSERT_TRUE(store_->AppendEvent("s_1", 1, "observation", PayloadJson(o)).ok());
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(EventHubTest, ReturnsBacklogAtOnceAndTimesOutWhenIdle) {
  Append(3);
  EventHub hub(store_.get());
  auto first = hub.Wait("s_1", 0, 0);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[2].seq, 3);
  EXPECT_NE((*first)[0].json.find("\"type\":\"observation\""), std::string::npos);
  EXPECT_TRUE(hub.Wait("s_1", 3, 50)->empty());
}

// Many concurrent viewers, a writer in between, a window smaller than the run:
// every viewer sees 1..N exactly once, in order.
TEST_F(EventHubTest, ConcurrentViewersMissNothingAndRepeatNothing) {
  EventHubOptions o;
  o.poll_ms = 5;
  o.window = 16;
  o.batch = 7;
  EventHub hub(store_.get(), o);
  constexpr int kEvents = 300, kViewers = 12;
  std::atomic<int> failures{0};
  std::vector<std::thread> viewers;
  for (int v = 0; v < kViewers; ++v) {
    viewers.emplace_back([&, v] {
      int64_t after = v % 3 == 0 ? 0 : 0;
      while (after < kEvents) {
        auto got = hub.Wait("s_1", after, 2000);
        if (!got.ok() || got->empty()) {
          ++failures;
          return;
        }
        for (const auto& e : *got) {
          if (e.seq != after + 1) ++failures;
          after = e.seq;
        }
      }
    });
  }
  std::thread writer([&] {
    for (int i = 0; i < kEvents; ++i) {
      Append(1);
      if (i % 50 == 0) hub.Nudge("s_1");
    }
  });
  writer.join();
  for (auto& t : viewers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(EventHubTest, StreamWritesIdsAndEndsAfterFinished) {
  Append(2);
  FinishedEvent f;
  f.status = "succeeded";
  ASSERT_TRUE(store_->AppendEvent("s_1", 2, "finished", PayloadJson(f)).ok());
  EventHub hub(store_.get());
  EventStream stream(&hub, store_.get(), "s_1", 1, 1000);
  bool done = false;
  auto piece = stream.Next(&done);
  ASSERT_TRUE(piece.ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(piece->find("id: 1\n"), std::string::npos);
  EXPECT_NE(piece->find("retry: 2000\n\nid: 2\ndata: {"), std::string::npos);
  EXPECT_NE(piece->find("id: 3\ndata: {"), std::string::npos);
  EXPECT_EQ(stream.position(), 3);
}

TEST_F(EventHubTest, StreamHeartbeatsWhileRunningAndEndsWhenTheSessionDid) {
  EventHub hub(store_.get());
  EventStream stream(&hub, store_.get(), "s_1", 0, 20);
  bool done = false;
  EXPECT_EQ(*stream.Next(&done), "retry: 2000\n\n");
  EXPECT_EQ(*stream.Next(&done), ": heartbeat\n\n");
  EXPECT_FALSE(done);
  SessionRecord s{"s_1", "t", "m", "code", "a", "failed", 1, 2};
  ASSERT_TRUE(store_->UpdateSession(s).ok());
  stream.Next(&done).value();
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace ward::server
