// Where audit checkpoints are published: storage the store's writer cannot
// rewrite. A file (one JSON line appended per checkpoint, O_APPEND, fsync'd) or a
// URL (each checkpoint POSTed as JSON; a GET of the same URL returns the
// published ones as NDJSON, for `ward audit verify --checkpoints URL`).
//
// Publish() returns Unavailable or InvalidArgument naming the sink and the
// reason; it never throws. Sinks are stateless and thread-safe (the file sink is
// safe across processes too: each line is one write to an O_APPEND descriptor).
// ReadPublishedCheckpoints bounds what it reads (kMaxCheckpointFileBytes) and names the source of
// every error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "net/http_client.h"
#include "util/status.h"

namespace ward {

class CheckpointSink {
 public:
  virtual ~CheckpointSink() = default;
  virtual std::string Name() const = 0;  // "file /path" or "url https://…"
  virtual Status Publish(const StoredCheckpoint& checkpoint) = 0;
};

// Appends CheckpointLine + "\n" to `path` (created 0644 when missing: checkpoints
// hold no secrets), then fsyncs it.
std::unique_ptr<CheckpointSink> NewFileCheckpointSink(std::string path);
// POSTs CheckpointLine to `url` (application/json); a non-2xx status is an error.
// `http` is not owned. `timeout_ms` bounds connecting and each read.
std::unique_ptr<CheckpointSink> NewHttpCheckpointSink(std::string url, HttpClient* http,
                                                      int64_t timeout_ms);

// The checkpoints published at `file_or_url` (http:// or https:// is a URL,
// anything else a file). `http` is used for a URL only.
Result<std::vector<PublishedCheckpoint>> ReadPublishedCheckpoints(const std::string& file_or_url,
                                                                  HttpClient* http,
                                                                  int64_t timeout_ms);

}  // namespace ward
