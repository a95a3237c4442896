#include "net/guarded_http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
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

// One connection's bytes, plain or TLS, without blocking: Read and Write return
// > 0 for bytes moved, 0 when the peer closed (Read), and < 0 when nothing can
// move now, with `want` set to the poll() event to wait for (0: the connection
// failed).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual ssize_t Read(char* buf, size_t n, short& want) = 0;
  virtual ssize_t Write(const char* buf, size_t n, short& want) = 0;
  // Bytes already received and decoded, which poll() on the socket cannot see.
  virtual bool Pending() const { return false; }
};

class PlainTransport : public Transport {
 public:
  explicit PlainTransport(int sock) : sock_(sock) {}
  ssize_t Read(char* buf, size_t n, short& want) override {
    ssize_t r = ::recv(sock_, buf, n, MSG_DONTWAIT);
    want = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? POLLIN : 0;
    return r;
  }
  ssize_t Write(const char* buf, size_t n, short& want) override {
    ssize_t r = ::send(sock_, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    want = r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? POLLOUT : 0;
    return r;
  }

 private:
  int sock_;
};

// TLS over a non-blocking socket. Owns the SSL object.
class TlsTransport : public Transport {
 public:
  TlsTransport(SSL_CTX* ctx, int sock) : ssl_(SSL_new(ctx)) {
    if (ssl_ && SSL_set_fd(ssl_, sock) != 1) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
  }
  ~TlsTransport() override {
    if (!ssl_) return;
    if (handshaken_) SSL_shutdown(ssl_);  // best effort: the socket is non-blocking
    SSL_free(ssl_);
  }
  bool Ok() const { return ssl_ != nullptr; }

  // One step of the server handshake: 1 done, < 0 with `want` to wait for, 0 failed.
  int Accept(short& want) {
    ERR_clear_error();
    int r = SSL_accept(ssl_);
    if (r == 1) {
      handshaken_ = true;
      return 1;
    }
    want = WantOf(r);
    return want ? -1 : 0;
  }
  ssize_t Read(char* buf, size_t n, short& want) override {
    ERR_clear_error();
    int r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, INT32_MAX)));
    if (r > 0) return r;
    if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) return 0;
    want = WantOf(r);
    return -1;
  }
  ssize_t Write(const char* buf, size_t n, short& want) override {
    ERR_clear_error();
    int r = SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(n, INT32_MAX)));
    if (r > 0) return r;
    want = WantOf(r);
    return -1;
  }
  bool Pending() const override { return SSL_pending(ssl_) > 0; }

 private:
  short WantOf(int r) {
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return POLLIN;
      case SSL_ERROR_WANT_WRITE:
        return POLLOUT;
      default:
        return 0;
    }
  }

  SSL* ssl_;
  bool handshaken_ = false;
};

// A connection as httplib reads and writes it, with a deadline for the whole of
// each request and the waiting state the registry evicts by. Buffers reads
// (httplib reads request lines a byte at a time).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, Transport* transport, ConnectionRegistry* registry,
                 ConnectionRegistry::Conn* conn, int64_t per_read_ms, int64_t write_ms)
      : sock_(sock),
        transport_(transport),
        registry_(registry),
        conn_(conn),
        per_read_ms_(per_read_ms),
        write_ms_(write_ms) {}

  void StartRequest(int64_t timeout_ms) { deadline_ms_ = NowMs() + timeout_ms; }
  bool Buffered() const { return begin_ < end_ || transport_->Pending(); }

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
    if (begin_ == end_ && !Fill()) return -1;
    size_t n = std::min(size, end_ - begin_);
    std::copy(buffer_ + begin_, buffer_ + begin_ + n, ptr);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    int64_t until = NowMs() + write_ms_;
    while (true) {
      short want = 0;
      ssize_t n = transport_->Write(ptr, size, want);
      if (n > 0) return n;
      int64_t left = until - NowMs();
      if (want == 0 || left <= 0 || PollFor(sock_, want, left) <= 0) return -1;
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
      short want = 0;
      ssize_t n = transport_->Read(buffer_, sizeof buffer_, want);
      if (n > 0) {
        end_ = static_cast<size_t>(n);
        return true;
      }
      if (n == 0 || want == 0) return false;
      int64_t left = deadline_ms_ - NowMs();
      if (left <= 0) return false;
      registry_->SetWaiting(conn_, true);
      int r = PollFor(sock_, want, std::min(left, per_read_ms_));
      registry_->SetWaiting(conn_, false);
      if (r <= 0) return false;
    }
  }

  int sock_;
  Transport* transport_;
  ConnectionRegistry* registry_;
  ConnectionRegistry::Conn* conn_;
  int64_t per_read_ms_;
  int64_t write_ms_;
  int64_t deadline_ms_ = 0;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
};

// Completes the TLS handshake within `timeout_ms`, counted as waiting on the
// client (a client that opens a connection and stalls its hello can be evicted).
bool Handshake(int sock, TlsTransport& tls, ConnectionRegistry* registry,
               ConnectionRegistry::Conn* conn, int64_t timeout_ms) {
  int64_t until = NowMs() + timeout_ms;
  while (true) {
    short want = 0;
    int r = tls.Accept(want);
    if (r == 1) return true;
    int64_t left = until - NowMs();
    if (r == 0 || left <= 0) return false;
    registry->SetWaiting(conn, true);
    int ready = PollFor(sock, want, left);
    registry->SetWaiting(conn, false);
    if (ready <= 0) return false;
  }
}

// A server context for `cert_file` (PEM chain) and `key_file`: TLS 1.2 or later,
// no compression, no renegotiation. Null when either file cannot be used.
SSL_CTX* NewServerContext(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

}  // namespace

void ExclusiveListenSocketOptions(socket_t sock) {
  int yes = 1;
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

GuardedHttpServer::GuardedHttpServer(HttpGuardOptions options)
    : options_(std::move(options)), registry_(std::make_shared<ConnectionRegistry>()) {
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty())
    tls_ = NewServerContext(options_.tls_cert_file, options_.tls_key_file);
  auto registry = registry_;
  size_t max = std::max<size_t>(options_.max_connections, 1);
  new_task_queue = [max, registry] { return new ElasticPool(max, registry); };
  set_socket_options(ExclusiveListenSocketOptions);
  set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  set_keep_alive_max_count(std::max<size_t>(options_.keep_alive_max_requests, 1));
  set_read_timeout(5, 0);
}

GuardedHttpServer::~GuardedHttpServer() {
  if (tls_) SSL_CTX_free(tls_);
}

bool GuardedHttpServer::is_valid() const {
  bool wants_tls = !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
  return httplib::Server::is_valid() && (!wants_tls || tls_ != nullptr);
}

void GuardedHttpServer::WidenBacklog() {
  socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, SOMAXCONN);
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  auto conn = registry_->Add(sock);
  int64_t per_read_ms = std::max<int64_t>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000, 1);
  int64_t write_ms = std::max<int64_t>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000, 1);
  PlainTransport plain(sock);
  std::unique_ptr<TlsTransport> tls;
  Transport* transport = &plain;
  bool ok = true;
  if (tls_) {
    int flags = ::fcntl(sock, F_GETFL);
    tls = std::make_unique<TlsTransport>(tls_, sock);
    ok = flags >= 0 && ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) == 0 && tls->Ok() &&
         Handshake(sock, *tls, registry_.get(), conn.get(), options_.request_timeout_ms);
    transport = tls.get();
  }
  DeadlineStream stream(sock, transport, registry_.get(), conn.get(), per_read_ms, write_ms);
  for (size_t left = keep_alive_max_count_; ok && left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    registry_->StartRequest(conn.get());
    if (!stream.WaitForRequest(keep_alive_timeout_sec_ * 1000)) break;
    stream.StartRequest(options_.request_timeout_ms);
    bool closed = false;
    ok = process_request(stream, left == 1, closed, nullptr);
    if (!ok || closed) break;
  }
  tls.reset();  // close_notify before the socket closes
  registry_->Remove(conn);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace ward
