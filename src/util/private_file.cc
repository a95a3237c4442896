#include "util/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ward {

namespace {

// Opens (with `create`, creating at 0600) and tightens; ENOENT without `create` is Ok.
Status Tighten(const std::string& path, bool create) {
  int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == ENOENT && !create) return Status::Ok();
    if (errno == EACCES || errno == EROFS) return Status::Ok();  // SQLite reports the rest
    return InvalidArgument("cannot create " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  Status result;
  if (fstat(fd, &st) != 0) {
    result = InvalidArgument("cannot inspect " + path + ": " + std::strerror(errno));
  } else if ((st.st_mode & 077) != 0 && st.st_uid == geteuid() && fchmod(fd, 0600) != 0) {
    result =
        InvalidArgument("cannot make " + path + " private (mode 0600): " + std::strerror(errno));
  }
  ::close(fd);
  return result;
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
