// A throwaway PostgreSQL cluster for tests (test-only; never linked into ward).
//
// Start() runs `initdb` into a fresh temp dir and the server on a free port,
// listening on a Unix socket in that dir and on 127.0.0.1 only. Local (socket)
// connections are trusted; TCP connections need the generated password. When the
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

  // A libpq key=value DSN over the Unix socket, e.g. "host=/tmp/x port=5 user=ward dbname=d".
  std::string SocketDsn(const std::string& dbname) const;
  // A postgresql:// URL over TCP to 127.0.0.1 with the cluster's password.
  std::string UrlDsn(const std::string& dbname) const;
  // Creates database `name` (letters, digits and _ only) and returns its socket DSN.
  Result<std::string> CreateDatabase(const std::string& name);

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  PgTestCluster() = default;
  Status Init(const std::string& bindir);
  Status RunServer(const std::string& bindir);
  Status WaitUntilReady();

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
