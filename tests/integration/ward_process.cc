#include "ward_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace ward::testing {

std::string WardBinary() {
  const char* build = getenv("WARD_BUILD_DIR");
  return std::string(build ? build : "build") + "/ward";
}

std::string SharedDataDir() {
  if (const char* d = getenv("WARD_DATA_DIR"); d && *d) return d;
  const char* src = getenv("WARD_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/data";
}

WardProcess::WardProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         const std::string& stdin_path, const std::vector<std::string>& wrapper) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
  std::vector<std::string> argv_store = wrapper;
  argv_store.push_back(WardBinary());
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<std::string> env_store = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& s : argv_store) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int devnull = open(stdin_path.c_str(), O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

WardProcess::~WardProcess() {
  if (!waited_) Wait(1);
}

void WardProcess::Signal(int sig) { kill(pid_, sig); }

std::string WardProcess::ReadLine(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pending_out_.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return "";
    struct pollfd p = {out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n <= 0) return "";
    pending_out_.append(buf, static_cast<size_t>(n));
  }
  size_t nl = pending_out_.find('\n');
  std::string line = pending_out_.substr(0, nl);
  pending_out_.erase(0, nl + 1);
  return line;
}

ProcessResult WardProcess::Wait(int timeout_ms) {
  ProcessResult r;
  r.out = std::move(pending_out_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      kill(pid_, SIGKILL);
      left = 1000;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    struct pollfd p[2] = {{out_open ? out_fd_ : -1, POLLIN, 0},
                          {err_open ? err_fd_ : -1, POLLIN, 0}};
    if (poll(p, 2, static_cast<int>(left)) <= 0) continue;
    char buf[8192];
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(p[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  close(out_fd_);
  close(err_fd_);
  int status = 0;
  waitpid(pid_, &status, 0);
  waited_ = true;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

ProcessResult RunWard(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env, int timeout_ms,
                      const std::string& stdin_path) {
  WardProcess p(args, env, stdin_path);
  return p.Wait(timeout_ms);
}

ProcessResult RunWardUnder(const std::vector<std::string>& wrapper,
                           const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, int timeout_ms) {
  WardProcess p(args, env, "/dev/null", wrapper);
  return p.Wait(timeout_ms);
}

}  // namespace ward::testing
