#include "net/guarded_http_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace ward {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// poll() for `events` up to `timeout_ms`, retrying on EINTR: >0 ready, 0 timeout, <0 error.
int PollFor(int sock, short events, int64_t timeout_ms) {
  pollfd p{sock, events, 0};
  int64_t until = NowMs() + timeout_ms;
  while (true) {
    int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, until - NowMs())));
    if (r >= 0 || errno != EINTR) return r;
  }
}

void AddressOf(bool peer, int sock, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(sock, sa, &len) : getsockname(sock, sa, &len)) != 0) return;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) !=
      0)
    return;
  ip = host;
  port = std::atoi(serv);
}

}  // namespace

// The open connections of one server: which are waiting on their client, and
// since when their current request (or idle wait) began; and how many accepted
// connections wait for a thread (the backlog). While the backlog exceeds the
// evictions under way, the connection that has waited on its client the longest
// is shut down — checked whenever the backlog changes and whenever a connection
// starts waiting, so no queued connection is left behind. Thread-safe.
class ConnectionRegistry {
 public:
  struct Conn {
    int sock = -1;
    int64_t request_started_ms = 0;  // guarded by the registry's mutex
    bool waiting = false;            // blocked on the client; guarded likewise
    bool evicted = false;            // shut down to make room; guarded likewise
  };

  std::shared_ptr<Conn> Add(int sock) {
    auto conn = std::make_shared<Conn>();
    conn->sock = sock;
    conn->request_started_ms = NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) ::shutdown(sock, SHUT_RDWR);
    conns_.push_back(conn);
    return conn;
  }
  // Before the socket is closed: no shutdown() reaches it afterwards.
  void Remove(const std::shared_ptr<Conn>& conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn->evicted) --evicting_;
    conns_.remove(conn);
  }
  void StartRequest(Conn* conn) {
    std::lock_guard<std::mutex> lock(mu_);
    conn->request_started_ms = NowMs();
  }
  void SetWaiting(Conn* conn, bool waiting) {
    std::lock_guard<std::mutex> lock(mu_);
    conn->waiting = waiting;
    if (waiting) EvictWhileOwed();
  }
  // Accepted connections that no thread has taken yet.
  void SetBacklog(size_t backlog) {
    std::lock_guard<std::mutex> lock(mu_);
    backlog_ = backlog;
    EvictWhileOwed();
  }
  void ShutdownAll() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (const auto& c : conns_) ::shutdown(c->sock, SHUT_RDWR);
  }

 private:
  void EvictWhileOwed() {
    while (backlog_ > evicting_) {
      Conn* oldest = nullptr;
      for (const auto& c : conns_)
        if (c->waiting && !c->evicted &&
            (!oldest || c->request_started_ms < oldest->request_started_ms))
          oldest = c.get();
      if (!oldest) return;
      ::shutdown(oldest->sock, SHUT_RDWR);  // it wakes, fails its read and leaves
      oldest->evicted = true;
      ++evicting_;
    }
  }

  std::mutex mu_;
  std::list<std::shared_ptr<Conn>> conns_;  // guarded by mu_
  size_t backlog_ = 0;                      // guarded by mu_
  size_t evicting_ = 0;                     // evicted, not yet removed; guarded by mu_
  bool closing_ = false;                    // guarded by mu_
};

namespace {

// One thread per connection, created on demand up to `max`; past that a new
// connection waits for one, and the registry evicts idle connections to free it.
class ElasticPool : public httplib::TaskQueue {
 public:
  ElasticPool(size_t max, std::shared_ptr<ConnectionRegistry> registry)
      : max_(max), registry_(std::move(registry)) {}
  ~ElasticPool() override = default;

  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_) {
      ++idle_;  // a new thread counts as idle until it takes a job
      threads_.emplace_back([this] { Work(); });
    }
    ready_.notify_one();
    PublishBacklog();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    registry_->ShutdownAll();
    for (auto& t : threads_) t.join();  // threads_ no longer grows: the listener has stopped
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
      PublishBacklog();
      lock.unlock();
      fn();
      lock.lock();
      ++idle_;
    }
  }

  // Under mu_ (lock order: the pool's, then the registry's).
  void PublishBacklog() { registry_->SetBacklog(jobs_.size() > idle_ ? jobs_.size() - idle_ : 0); }

  const size_t max_;
  std::shared_ptr<ConnectionRegistry> registry_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  std::vector<std::thread> threads_;        // guarded by mu_
  size_t idle_ = 0;                         // threads not running a job; guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
};

// A connection's socket as httplib reads and writes it, with a deadline for the
// whole of each request and the waiting state the registry evicts by. Buffers
// reads (httplib reads request lines a byte at a time).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, ConnectionRegistry* registry, ConnectionRegistry::Conn* conn,
                 int64_t per_read_ms, int64_t write_ms)
      : sock_(sock),
        registry_(registry),
        conn_(conn),
        per_read_ms_(per_read_ms),
        write_ms_(write_ms) {}

  void StartRequest(int64_t timeout_ms) { deadline_ms_ = NowMs() + timeout_ms; }
  bool Buffered() const { return begin_ < end_; }

  // Waits up to `timeout_ms` for the next request's first byte (counted as waiting).
  bool WaitForRequest(int64_t timeout_ms) {
    if (Buffered()) return true;
    registry_->SetWaiting(conn_, true);
    int r = PollFor(sock_, POLLIN, timeout_ms);
    registry_->SetWaiting(conn_, false);
    return r > 0;
  }

  bool is_readable() const override { return Buffered() || PollFor(sock_, POLLIN, 0) > 0; }
  bool is_writable() const override {
    if (PollFor(sock_, POLLOUT, write_ms_) <= 0) return false;
    char byte;
    if (PollFor(sock_, POLLIN, 0) > 0 && ::recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
      return false;  // the client has gone
    return true;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!Buffered() && !Fill()) return -1;
    size_t n = std::min(size, end_ - begin_);
    std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (PollFor(sock_, POLLOUT, write_ms_) <= 0) return -1;
    while (true) {
      ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(true, sock_, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(false, sock_, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // Refills the buffer before the request's deadline; false on timeout, EOF or error.
  bool Fill() {
    begin_ = end_ = 0;
    while (true) {
      ssize_t n = ::recv(sock_, buffer_, sizeof buffer_, MSG_DONTWAIT);
      if (n > 0) {
        end_ = static_cast<size_t>(n);
        return true;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return false;
      int64_t left = deadline_ms_ - NowMs();
      if (left <= 0) return false;
      registry_->SetWaiting(conn_, true);
      int r = PollFor(sock_, POLLIN, std::min(left, per_read_ms_));
      registry_->SetWaiting(conn_, false);
      if (r <= 0) return false;
    }
  }

  int sock_;
  ConnectionRegistry* registry_;
  ConnectionRegistry::Conn* conn_;
  int64_t per_read_ms_;
  int64_t write_ms_;
  int64_t deadline_ms_ = 0;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
};

}  // namespace

void ExclusiveListenSocketOptions(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

GuardedHttpServer::GuardedHttpServer(HttpGuardOptions options)
    : options_(options), registry_(std::make_shared<ConnectionRegistry>()) {
  auto registry = registry_;
  size_t max = std::max<size_t>(options_.max_connections, 1);
  new_task_queue = [max, registry] { return new ElasticPool(max, registry); };
  set_socket_options(ExclusiveListenSocketOptions);
  set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  set_keep_alive_max_count(std::max<size_t>(options_.keep_alive_max_requests, 1));
  set_read_timeout(5, 0);
}

GuardedHttpServer::~GuardedHttpServer() = default;

void GuardedHttpServer::WidenBacklog() {
  socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  auto conn = registry_->Add(sock);
  int64_t per_read_ms = read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000;
  int64_t write_ms = write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000;
  DeadlineStream stream(sock, registry_.get(), conn.get(), std::max<int64_t>(per_read_ms, 1),
                        std::max<int64_t>(write_ms, 1));
  bool ok = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    registry_->StartRequest(conn.get());
    if (!stream.WaitForRequest(keep_alive_timeout_sec_ * 1000)) break;
    stream.StartRequest(options_.request_timeout_ms);
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!ok || closed) break;
  }
  registry_->Remove(conn);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace ward
