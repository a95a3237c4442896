#include "connectors/sql/testing/pg_test_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace ward::sql::testing {

namespace {

namespace fs = std::filesystem;

constexpr const char* kUser = "ward";
constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kReadyPoll = std::chrono::milliseconds(20);

bool HasServerBinaries(const fs::path& dir) {
  return fs::exists(dir / "initdb") && fs::exists(dir / "postgres");
}

// $WARD_PG_BINDIR, then Debian's /usr/lib/postgresql/<ver>/bin (highest), then PATH.
Result<std::string> FindBinDir() {
  if (const char* env = std::getenv("WARD_PG_BINDIR"); env && *env) {
    if (HasServerBinaries(env)) return std::string(env);
  }
  std::error_code ec;
  int best_version = -1;
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && HasServerBinaries(entry.path() / "bin")) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  if (!best.empty()) return best;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (!dir.empty() && HasServerBinaries(dir)) return dir;
    }
  }
  return NotFound(
      "PostgreSQL server binaries (initdb, postgres) not found: install the Debian package "
      "`postgresql` (scripts/setup does), or set WARD_PG_BINDIR");
}

struct RunAs {
  bool drop = false;  // true when root: run as `nobody`
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<RunAs> UnprivilegedUser() {
  RunAs as;
  if (geteuid() != 0) return as;
  const passwd* pw = getpwnam("nobody");
  if (!pw)
    return FailedPrecondition("running as root and there is no user `nobody` to run postgres");
  as.drop = true;
  as.uid = pw->pw_uid;
  as.gid = pw->pw_gid;
  return as;
}

// Forks and execs `argv` as `as`, output appended to `log`. The child gets SIGQUIT
// (postgres's immediate shutdown) when this process dies.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const RunAs& as, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (as.drop && (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 || setuid(as.uid) != 0)) {
      _exit(126);
    }
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(125);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

Status RunToCompletion(const std::vector<std::string>& argv, const RunAs& as,
                       const std::string& log) {
  WARD_ASSIGN_OR_RETURN(pid_t pid, Spawn(argv, as, log));
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return Internal("waitpid failed for " + argv[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return Internal(argv[0] + " failed: " + text.str());
}

Result<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) return Internal("cannot find a free loopback port");
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<std::string> RandomHex(size_t bytes) {
  std::ifstream in("/dev/urandom", std::ios::binary);
  std::string raw(bytes, '\0');
  if (!in.read(raw.data(), static_cast<std::streamsize>(bytes))) {
    return Internal("cannot read /dev/urandom");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Status ChownTo(const std::string& path, const RunAs& as) {
  if (as.drop && chown(path.c_str(), as.uid, as.gid) != 0) {
    return Internal("cannot chown " + path + " to the postgres user");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PgTestCluster>> PgTestCluster::Start() {
  WARD_ASSIGN_OR_RETURN(std::string bindir, FindBinDir());
  WARD_ASSIGN_OR_RETURN(RunAs as, UnprivilegedUser());
  std::unique_ptr<PgTestCluster> cluster(new PgTestCluster());
  // The server user must reach the dir, and a socket path has ~100 bytes at most:
  // when it is `nobody`, /tmp (world-traversable, short) rather than $TMPDIR.
  const fs::path base = as.drop ? fs::path("/tmp") : fs::temp_directory_path();
  std::string templ = (base / "ward-pg-XXXXXX").string();
  if (!mkdtemp(templ.data())) return Internal("mkdtemp failed for " + templ);
  cluster->dir_ = templ;
  WARD_RETURN_IF_ERROR(cluster->Init(bindir));
  // A port found free may be taken before the server binds it: try a few.
  Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    started = cluster->RunServer(bindir);
    if (started.ok()) break;
  }
  WARD_RETURN_IF_ERROR(started);
  WARD_RETURN_IF_ERROR(cluster->CreateAppRole());
  return cluster;
}

namespace {

// Where a freshly initialised data directory is kept for the next test process:
// under $WARD_BUILD_DIR (set by every ward test binary), one per server version.
std::string TemplateDir(const std::string& bindir) {
  const char* build = std::getenv("WARD_BUILD_DIR");
  if (!build || !*build) return "";
  return std::string(build) + "/pg-test-template-" +
         fs::path(bindir).parent_path().filename().string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// initdb into dir/data as `as`, the superuser's TCP password being `password`.
Status InitDb(const std::string& bindir, const std::string& dir, const std::string& password,
              const RunAs& as) {
  const std::string pwfile = dir + "/pwfile";
  {
    std::ofstream out(pwfile);
    out << password << "\n";
    if (!out) return Internal("cannot write " + pwfile);
  }
  WARD_RETURN_IF_ERROR(ChownTo(pwfile, as));
  Status s =
      RunToCompletion({bindir + "/initdb", "-D", dir + "/data", "-U", kUser, "--auth-local=trust",
                       "--auth-host=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8",
                       "--locale=C", "--no-sync", "--no-instructions", "--wal-segsize=1"},
                      as, dir + "/initdb.log");
  fs::remove(pwfile);
  return s;
}

}  // namespace

// initdb costs seconds; copying its result costs a fraction of one. The first
// process initialises and publishes a template (atomically, by rename); later
// ones copy it.
Status PgTestCluster::Init(const std::string& bindir) {
  WARD_ASSIGN_OR_RETURN(RunAs as, UnprivilegedUser());
  WARD_RETURN_IF_ERROR(ChownTo(dir_, as));
  const std::string cache = TemplateDir(bindir);
  const RunAs self;
  if (!cache.empty() && fs::exists(cache + "/password")) {
    password_ = ReadFile(cache + "/password");
    return RunToCompletion({"/bin/cp", "-a", cache + "/data", dir_ + "/data"}, self,
                           dir_ + "/copy.log");
  }
  WARD_ASSIGN_OR_RETURN(password_, RandomHex(16));
  WARD_RETURN_IF_ERROR(InitDb(bindir, dir_, password_, as));
  if (cache.empty()) return Status::Ok();
  // Publishing is an optimisation: a failure only means the next process runs initdb.
  const std::string staging = cache + ".tmp-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(staging, ec);
  bool copied = !ec && RunToCompletion({"/bin/cp", "-a", dir_ + "/data", staging + "/data"}, self,
                                       dir_ + "/copy.log")
                           .ok();
  if (copied) {
    std::ofstream(staging + "/password") << password_;
    fs::rename(staging, cache, ec);
  }
  fs::remove_all(staging, ec);
  return Status::Ok();
}

Status PgTestCluster::RunServer(const std::string& bindir) {
  WARD_ASSIGN_OR_RETURN(RunAs as, UnprivilegedUser());
  WARD_ASSIGN_OR_RETURN(port_, FreeLoopbackPort());
  WARD_ASSIGN_OR_RETURN(
      server_pid_,
      Spawn({bindir + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_,
             "-h", "127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
             "full_page_writes=off", "-c", "max_connections=40", "-c", "shared_buffers=16MB"},
            as, dir_ + "/server.log"));
  return WaitUntilReady();
}

Status PgTestCluster::WaitUntilReady() {
  const std::string dsn = SuperuserSocketDsn("postgres");
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(dsn.c_str()) == PQPING_OK) return Status::Ok();
    int status = 0;
    if (waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
      server_pid_ = -1;
      std::ifstream in(dir_ + "/server.log");
      std::stringstream text;
      text << in.rdbuf();
      return Unavailable("postgres exited during startup: " + text.str());
    }
    std::this_thread::sleep_for(kReadyPoll);
  }
  return DeadlineExceeded("postgres did not accept connections within 60 s");
}

PgTestCluster::~PgTestCluster() {
  if (server_pid_ > 0) {
    kill(server_pid_, SIGQUIT);
    int status = 0;
    waitpid(server_pid_, &status, 0);
  }
  // A file the server's last children were still closing can make one pass fail.
  for (int attempt = 0; !dir_.empty() && attempt < 20; ++attempt) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!ec && !fs::exists(dir_)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string PgTestCluster::SocketDsn(const std::string& dbname) const {
  return "host=" + dir_ + " port=" + std::to_string(port_) + " user=" + kAppRole +
         " dbname=" + dbname;
}

std::string PgTestCluster::SuperuserSocketDsn(const std::string& dbname) const {
  return "host=" + dir_ + " port=" + std::to_string(port_) + " user=" + kUser + " dbname=" + dbname;
}

std::string PgTestCluster::UrlDsn(const std::string& dbname) const {
  return "postgresql://" + std::string(kAppRole) + ":" + password_ +
         "@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

Status PgTestCluster::RunAsSuperuser(const std::string& dbname, const std::string& sql) {
  PGconn* conn = PQconnectdb(SuperuserSocketDsn(dbname).c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) return Internal("as the superuser: " + error);
  return Status::Ok();
}

// The password is the cluster's own (hex, so it needs no quoting).
Status PgTestCluster::CreateAppRole() {
  return RunAsSuperuser("postgres", "CREATE ROLE " + std::string(kAppRole) +
                                        " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" +
                                        password_ + "'");
}

Result<std::string> PgTestCluster::CreateDatabase(const std::string& name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return InvalidArgument("database names here are letters, digits and _");
    }
  }
  WARD_RETURN_IF_ERROR(RunAsSuperuser("postgres", "CREATE DATABASE \"" + name + "\" OWNER " +
                                                      kAppRole + " STRATEGY = FILE_COPY")
                           .WithContext("create database " + name));
  return SocketDsn(name);
}

Result<PgTestCluster*> SharedPgTestCluster() {
  static Result<std::unique_ptr<PgTestCluster>>* shared =
      new Result<std::unique_ptr<PgTestCluster>>(PgTestCluster::Start());
  // Stopped at exit (the server also dies with the process through SIGQUIT).
  static const bool registered = [] {
    std::atexit([] {
      if (shared->ok()) shared->value().reset();
    });
    return true;
  }();
  static_cast<void>(registered);
  if (!shared->ok()) return shared->status();
  return shared->value().get();
}

}  // namespace ward::sql::testing
