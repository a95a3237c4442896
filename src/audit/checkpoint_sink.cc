#include "audit/checkpoint_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ward {
namespace {

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

class FileSink : public CheckpointSink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  std::string Name() const override { return "file " + path_; }

  Status Publish(const StoredCheckpoint& checkpoint) override {
    std::string line = CheckpointLine(checkpoint) + "\n";
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return Unavailable(Fail("cannot open"));
    Status result = Status::Ok();
    ssize_t n = ::write(fd, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size()))
      result = Unavailable(n < 0 ? Fail("cannot append to") : Name() + ": short write");
    else if (::fsync(fd) != 0)
      result = Unavailable(Fail("cannot fsync"));
    if (::close(fd) != 0 && result.ok()) result = Unavailable(Fail("cannot close"));
    return result;
  }

 private:
  std::string Fail(const std::string& what) const {
    return "checkpoint file: " + what + " " + path_ + ": " + std::strerror(errno);
  }
  std::string path_;
};

// Sends `request`, keeping at most `max_bytes` of the body (any status).
Result<HttpResponse> BoundedSend(HttpClient* http, HttpRequest request, size_t max_bytes,
                                 bool* too_large) {
  std::string body;
  *too_large = false;
  request.stream_all_statuses = true;
  request.on_body_chunk = [&](std::string_view chunk) {
    if (body.size() + chunk.size() > max_bytes) {
      *too_large = true;
      return false;
    }
    body.append(chunk);
    return true;
  };
  auto response = http->Send(request);
  if (!response.ok()) return response;
  response->body = std::move(body);
  return response;
}

class HttpSink : public CheckpointSink {
 public:
  HttpSink(std::string url, HttpClient* http, int64_t timeout_ms)
      : url_(std::move(url)), http_(http), timeout_ms_(timeout_ms) {}
  std::string Name() const override { return "url " + url_; }

  Status Publish(const StoredCheckpoint& checkpoint) override {
    HttpRequest request;
    request.method = "POST";
    request.url = url_;
    request.body = CheckpointLine(checkpoint);
    request.connect_timeout_ms = timeout_ms_;
    request.read_timeout_ms = timeout_ms_;
    bool too_large = false;
    auto response = BoundedSend(http_, request, 4096, &too_large);
    if (!response.ok())
      return Unavailable("checkpoint URL " + url_ + ": " + response.status().message());
    if (response->status < 200 || response->status > 299)
      return Unavailable("checkpoint URL " + url_ + " answered HTTP " +
                         std::to_string(response->status));
    return Status::Ok();
  }

 private:
  std::string url_;
  HttpClient* http_;
  int64_t timeout_ms_;
};

Result<std::string> ReadBoundedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return InvalidArgument("cannot read checkpoints " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string text;
  Status problem = Status::Ok();
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = InvalidArgument("checkpoints " + path + " is not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxCheckpointFileBytes) {
    problem = InvalidArgument("checkpoints " + path + " is larger than " +
                              std::to_string(kMaxCheckpointFileBytes) + " bytes");
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  }
  ::close(fd);
  if (!problem.ok()) return problem;
  return text;
}

Result<std::string> FetchUrl(const std::string& url, HttpClient* http, int64_t timeout_ms) {
  HttpRequest request;
  request.url = url;
  request.connect_timeout_ms = timeout_ms;
  request.read_timeout_ms = timeout_ms;
  request.headers.push_back({"Accept", "application/x-ndjson"});
  bool too_large = false;
  auto response = BoundedSend(http, request, kMaxCheckpointFileBytes, &too_large);
  if (too_large)
    return InvalidArgument("checkpoints at " + url + ": larger than " +
                           std::to_string(kMaxCheckpointFileBytes) + " bytes");
  if (!response.ok())
    return Unavailable("cannot fetch checkpoints from " + url + ": " + response.status().message());
  if (response->status != 200)
    return Unavailable("cannot fetch checkpoints from " + url + ": HTTP " +
                       std::to_string(response->status));
  return std::move(response->body);
}

}  // namespace

std::unique_ptr<CheckpointSink> NewFileCheckpointSink(std::string path) {
  return std::make_unique<FileSink>(std::move(path));
}

std::unique_ptr<CheckpointSink> NewHttpCheckpointSink(std::string url, HttpClient* http,
                                                      int64_t timeout_ms) {
  return std::make_unique<HttpSink>(std::move(url), http, timeout_ms);
}

Result<std::vector<PublishedCheckpoint>> ReadPublishedCheckpoints(const std::string& file_or_url,
                                                                  HttpClient* http,
                                                                  int64_t timeout_ms) {
  std::string text;
  if (IsUrl(file_or_url)) {
    if (!http) return InvalidArgument("no HTTP client to fetch " + file_or_url);
    WARD_ASSIGN_OR_RETURN(text, FetchUrl(file_or_url, http, timeout_ms));
  } else {
    WARD_ASSIGN_OR_RETURN(text, ReadBoundedFile(file_or_url));
  }
  return ParseCheckpointLines(text, file_or_url);
}

}  // namespace ward
