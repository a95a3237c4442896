#include "util/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ward {

namespace {

// Creates `path` (with `create`) at 0600, or tightens an existing file this user
// owns. Never opens an existing file: closing a descriptor of a database that
// SQLite has open in this process would drop that connection's POSIX locks.
// ENOENT without `create` is Ok.
Status Tighten(const std::string& path, bool create) {
  if (create) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      ::close(fd);  // new: no connection can hold locks on it yet
      return Status::Ok();
    }
    if (errno == EACCES || errno == EROFS) return Status::Ok();  // SQLite reports the rest
    if (errno != EEXIST)
      return InvalidArgument("cannot create " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return InvalidArgument("cannot inspect " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) == 0 || st.st_uid != geteuid())
    return Status::Ok();
  if (::chmod(path.c_str(), 0600) != 0)
    return InvalidArgument("cannot make " + path + " private (mode 0600): " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

Status MakePrivateFile(const std::string& path) {
  if (path.empty() || path == ":memory:") return Status::Ok();
  return Tighten(path, true);
}

Status MakePrivateDatabase(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return Status::Ok();
  WARD_RETURN_IF_ERROR(Tighten(path, true));
  WARD_RETURN_IF_ERROR(Tighten(path + "-wal", false));
  return Tighten(path + "-shm", false);
}

}  // namespace ward
