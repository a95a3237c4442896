// The escape suite: every attack in attacks.cc runs as guest code through the
// real sandboxing launcher and must be contained; afterwards the host must be
// intact (listeners untouched, canary files unchanged, a host process alive, the
// audit chain in the store verifying, the launcher still starting guests).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "attacks.h"
#include "audit/audit_log.h"
#include "sandbox/sandbox.h"
#include "sandbox/workspace.h"
#include "store/store.h"
#include "util/clock.h"

namespace ward::testing {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A non-loopback IPv4 address of this host, or "" when it has none.
std::string HostAddress() {
  struct ifaddrs* list = nullptr;
  std::string out;
  if (getifaddrs(&list) != 0) return out;
  for (auto* i = list; i && out.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
    if (std::string(buf).rfind("127.", 0) != 0) out = buf;
  }
  freeifaddrs(list);
  return out;
}

// A socket bound to 0.0.0.0 on an ephemeral port (every host address, loopback too).
int Listen(int type, int* port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) return -1;
  if (type == SOCK_STREAM && listen(fd, 16) != 0) return -1;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

class EscapeTest : public ::testing::TestWithParam<Attack> {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ward_escape_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "other");
    std::ofstream(root_ / "secret.txt") << "CANARY-SECRET";
    std::ofstream(root_ / "other" / "notes.txt") << "CANARY-OTHER";
    setenv("WARD_ESCAPE_API_KEY", "sk-canary-123", 1);
    auto store = OpenSqliteStore((root_ / "ward.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    audit_ = std::make_unique<AuditLog>(store_.get(), SystemClock::Default(), "escape-test");
    ASSERT_TRUE(audit_->Record("s", "before", AuditData().Set("k", "v")).ok());
    tcp_ = Listen(SOCK_STREAM, &tcp_port_);
    udp_ = Listen(SOCK_DGRAM, &udp_port_);
    ASSERT_GE(tcp_, 0);
    ASSERT_GE(udp_, 0);
    victim_ = fork();
    if (victim_ == 0) {
      pause();
      _exit(0);
    }
    const char* build = getenv("WARD_BUILD_DIR");
    ASSERT_NE(build, nullptr);
    guest_dir_ = std::string(build) + "/guest";
    SandboxOptions options;
    options.guest_dir = guest_dir_;
    auto launcher = NewSandboxLauncher(options);
    ASSERT_TRUE(launcher.ok()) << launcher.status().ToString();
    launcher_ = std::move(launcher).value();
    auto workspace = TempWorkspace::Create(root_.string(), "workspace-", GuestHostOwner());
    ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
    workspace_ = std::move(workspace).value();
    marker_ = "ward-escape-marker-" + std::to_string(getpid());
  }

  void TearDown() override {
    if (victim_ > 0) {
      kill(victim_, SIGKILL);
      waitpid(victim_, nullptr, 0);
    }
    if (tcp_ >= 0) close(tcp_);
    if (udp_ >= 0) close(udp_);
    launcher_.reset();
    store_.reset();
    workspace_.reset();
    fs::remove_all(root_);
  }

  GuestSpec Spec() {
    GuestSpec spec;
    spec.guest_dir = guest_dir_;
    spec.workdir = workspace_->path();
    spec.bindings = {{"finish", "finish(answer)", "End."}};
    return spec;
  }

  std::string Fill(std::string code) {
    std::string addr = HostAddress();
    const std::pair<std::string, std::string> subs[] = {
        {"{PORT}", std::to_string(tcp_port_)},
        {"{UDP}", std::to_string(udp_port_)},
        {"{ADDR}", addr.empty() ? "127.0.0.1" : addr},
        {"{SECRET}", (root_ / "secret.txt").string()},
        {"{STORE}", (root_ / "ward.db").string()},
        {"{OTHER}", (root_ / "other").string()},
        {"{VICTIM}", std::to_string(victim_)},
        {"{ESCAPE_DIR}", root_.string()},
        {"{MARKER}", marker_}};
    for (const auto& [from, to] : subs)
      for (size_t at; (at = code.find(from)) != std::string::npos;)
        code.replace(at, from.size(), to);
    return code;
  }

  // Everything the host must still be after an attack.
  void ExpectHostIntact() {
    EXPECT_LT(accept(tcp_, nullptr, nullptr), 0) << "a guest reached the TCP listener";
    char buf[16];
    EXPECT_LT(recv(udp_, buf, sizeof buf, 0), 0) << "a guest reached the UDP listener";
    EXPECT_EQ(Slurp(root_ / "secret.txt"), "CANARY-SECRET");
    EXPECT_EQ(Slurp(root_ / "other" / "notes.txt"), "CANARY-OTHER");
    EXPECT_FALSE(fs::exists(root_ / "pwned"));
    EXPECT_EQ(kill(victim_, 0), 0) << "the host process was killed";
    EXPECT_TRUE(audit_->Record("s", "after", AuditData().Set("k", "v")).ok());
    auto verified = VerifyAuditChain(store_.get());
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(verified->ok) << verified->problem;
    EXPECT_EQ(verified->entries, 2);
    launcher_->WaitForStopped();
    for (const auto& entry : fs::directory_iterator("/proc")) {
      std::string cmdline = Slurp(entry.path() / "cmdline");
      EXPECT_EQ(cmdline.find(marker_), std::string::npos) << "a guest process outlived its guest";
    }
    auto fresh = launcher_->Launch(Spec());
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    auto r = (*fresh)->Execute("print(6 * 7)", 5000, nullptr, nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->stdout_text, "42\n");
  }

  fs::path root_;
  std::string guest_dir_, marker_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<GuestLauncher> launcher_;
  std::unique_ptr<TempWorkspace> workspace_;  // the session's own, as ward makes it
  int tcp_ = -1, udp_ = -1, tcp_port_ = 0, udp_port_ = 0;
  pid_t victim_ = -1;
};

TEST_P(EscapeTest, IsContained) {
  const Attack& attack = GetParam();
  auto guest = launcher_->Launch(Spec());
  ASSERT_TRUE(guest.ok()) << guest.status().ToString();
  auto out = (*guest)->Execute(Fill(attack.code), attack.timeout_ms, nullptr, nullptr);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::string all = out->stdout_text + out->stderr_text + out->error;
  EXPECT_EQ(all.find("ESCAPED"), std::string::npos) << all;
  EXPECT_EQ(all.find("CANARY"), std::string::npos) << all;
  EXPECT_EQ(all.find("sk-canary"), std::string::npos) << all;
  if (attack.expect == Expect::kPrintsContained) {
    EXPECT_EQ(out->failure, GuestFailure::kNone) << out->failure_detail;
    EXPECT_NE(out->stdout_text.find("CONTAINED"), std::string::npos) << all;
  } else if (attack.expect == Expect::kMemoryStopped && out->failure == GuestFailure::kNone) {
    EXPECT_NE(out->error.find("MemoryError"), std::string::npos) << all;
  } else {
    EXPECT_NE(out->failure, GuestFailure::kNone) << all;
    EXPECT_FALSE(out->failure_detail.empty());
    EXPECT_TRUE((*guest)->Restart().ok());
  }
  guest->reset();
  ExpectHostIntact();
}

INSTANTIATE_TEST_SUITE_P(Attacks, EscapeTest, ::testing::ValuesIn(Attacks()),
                         [](const auto& info) { return info.param.name; });

// Seen from the host: the guest's processes and files belong to an unprivileged
// host user, and its user namespace does not map the host's root.
TEST_F(EscapeTest, GuestIsAnUnprivilegedHostUser) {
  auto guest = launcher_->Launch(Spec());
  ASSERT_TRUE(guest.ok()) << guest.status().ToString();
  auto out = (*guest)->Execute("open('/workspace/made', 'w').write('x')\nprint('ok')", 5000,
                               nullptr, nullptr);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stdout_text, "ok\n") << out->error;
  std::string proc = "/proc/" + std::to_string((*guest)->pid());
  std::istringstream status(Slurp(proc + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Uid:", 0) != 0 && line.rfind("Gid:", 0) != 0) continue;
    std::istringstream ids(line.substr(4));
    for (long id; ids >> id;) EXPECT_NE(id, 0) << line;
  }
  EXPECT_NE(Slurp(proc + "/uid_map").find(' '), std::string::npos);
  std::istringstream map(Slurp(proc + "/uid_map"));
  long inside = -1, outside = -1, count = -1;
  map >> inside >> outside >> count;
  EXPECT_NE(outside, 0) << "the guest's uid " << inside << " is the host's root";
  EXPECT_NE(count, 4294967295L) << "the guest's uid map is the identity";
  struct stat st;
  ASSERT_EQ(stat((workspace_->path() + "/made").c_str(), &st), 0);
  EXPECT_NE(st.st_uid, 0u) << "a file the guest made belongs to the host's root";
  EXPECT_NE(st.st_gid, 0u);
  EXPECT_EQ(st.st_uid, GuestHostOwner().uid);
}

TEST(EscapeSuite, HasEnoughAttacks) { EXPECT_GE(Attacks().size(), 34u); }

}  // namespace
}  // namespace ward::testing
