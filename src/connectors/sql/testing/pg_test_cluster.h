// A throwaway PostgreSQL cluster for tests (test-only; never linked into ward).
//
// Start() runs `initdb` into a fresh temp dir and the server on a free port,
// listening on a Unix socket in that dir and on 127.0.0.1 only. Local (socket)
// connections are trusted; TCP connections need the generated password. Besides
// the bootstrap superuser (`ward`) there is an ordinary login role (`ward_app`,
// kAppRole): the DSNs tests use connect as it, and the databases CreateDatabase
// makes are its own, so it can create and write their tables and nothing more. When the
// process runs as root (postgres refuses to), initdb and the server run as the
// unprivileged user `nobody`, which owns the temp dir. The server is a child of
// this process and gets SIGQUIT if the process dies. The destructor stops it
// immediately (SIGQUIT, as `pg_ctl stop -m immediate`) and removes the dir.
//
// Start() returns NotFound naming the Debian package when the server binaries are
// missing (callers GTEST_SKIP with that message); any other failure is an error.
// Binaries are looked up in $WARD_PG_BINDIR, then /usr/lib/postgresql/<ver>/bin
// (highest version), then PATH. Not thread-safe; use from the test's main thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "util/status.h"

namespace ward::sql::testing {

class PgTestCluster {
 public:
  static Result<std::unique_ptr<PgTestCluster>> Start();
  ~PgTestCluster();
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  // The ordinary role tests connect as (no superuser, no pg_* role).
  static constexpr const char* kAppRole = "ward_app";

  // A libpq key=value DSN over the Unix socket as kAppRole, e.g.
  // "host=/tmp/x port=5 user=ward_app dbname=d".
  std::string SocketDsn(const std::string& dbname) const;
  // The same as the bootstrap superuser: for setting up, and for attacker tests.
  std::string SuperuserSocketDsn(const std::string& dbname) const;
  // A postgresql:// URL over TCP to 127.0.0.1 as kAppRole with the cluster's password.
  std::string UrlDsn(const std::string& dbname) const;
  // Creates database `name` (letters, digits and _ only) owned by kAppRole and
  // returns its socket DSN (as kAppRole).
  Result<std::string> CreateDatabase(const std::string& name);
  // Runs `sql` as the superuser in database `dbname` (setting up roles and
  // grants an attacker test needs).
  Status RunAsSuperuser(const std::string& dbname, const std::string& sql);

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  PgTestCluster() = default;
  Status Init(const std::string& bindir);
  Status RunServer(const std::string& bindir);
  Status WaitUntilReady();
  Status CreateAppRole();

  std::string dir_;
  std::string password_;
  int port_ = 0;
  pid_t server_pid_ = -1;
};

// The process's shared cluster, started on first use and stopped at exit, so a
// test binary starts one server however many tests use it (each test creates its
// own database). The same NotFound as Start() when the binaries are missing.
Result<PgTestCluster*> SharedPgTestCluster();

}  // namespace ward::sql::testing
