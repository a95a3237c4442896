#include "sandbox/workspace.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ward {
namespace {

std::string Errno(const std::string& what, int err) { return what + ": " + strerror(err); }

// Removes everything inside the directory `dir_fd` (consumed), then nothing else.
// Directories are opened with O_NOFOLLOW and made searchable by their owner first
// (the guest may have left one mode 000); symlinks are unlinked, never followed.
Status EmptyDirectory(int dir_fd) {
  DIR* d = fdopendir(dir_fd);
  if (!d) {
    int err = errno;
    close(dir_fd);
    return Internal(Errno("opening a workspace directory", err));
  }
  Status first = Status::Ok();
  for (struct dirent* e; (e = readdir(d)) != nullptr;) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      fchmodat(dirfd(d), e->d_name, 0700, 0);
      int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      Status s = sub < 0 ? Internal(Errno(e->d_name, errno)) : EmptyDirectory(sub);
      if (s.ok() && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0)
        s = Internal(Errno(e->d_name, errno));
      if (!s.ok() && first.ok()) first = s;
    } else if (unlinkat(dirfd(d), e->d_name, 0) != 0 && first.ok()) {
      first = Internal(Errno(e->d_name, errno));
    }
  }
  closedir(d);
  return first;
}

}  // namespace

GuestOwner GuestHostOwner() {
  if (geteuid() == 0) return {kGuestHostId, kGuestHostId};
  return {static_cast<uint32_t>(getuid()), static_cast<uint32_t>(getgid())};
}

Result<std::unique_ptr<TempWorkspace>> TempWorkspace::Create(const std::string& parent,
                                                             const std::string& prefix,
                                                             GuestOwner owner) {
  std::string tmpl = parent + "/" + prefix + "XXXXXX";
  if (!mkdtemp(tmpl.data())) return Internal(Errno("creating a workspace in " + parent, errno));
  std::unique_ptr<TempWorkspace> ws(new TempWorkspace(tmpl));
  if (chmod(tmpl.c_str(), 0700) != 0)
    return Internal(Errno("making the workspace " + tmpl + " private", errno));
  bool same = owner.uid == getuid() && owner.gid == getgid();
  if (!same && chown(tmpl.c_str(), owner.uid, owner.gid) != 0)
    return Internal(Errno("giving the workspace " + tmpl + " to the guest's user", errno));
  return ws;
}

Status TempWorkspace::Remove() {
  if (path_.empty()) return Status::Ok();
  int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return path_.clear(), Status::Ok();
  if (fd < 0) return Internal(Errno("opening the workspace " + path_, errno));
  Status s = EmptyDirectory(fd);
  if (rmdir(path_.c_str()) != 0 && s.ok())
    s = Internal(Errno("removing the workspace " + path_, errno));
  if (s.ok()) path_.clear();
  return s;
}

Result<int> TempWorkspace::Sweep(const std::string& parent, const std::string& prefix) {
  DIR* d = opendir(parent.c_str());
  if (!d) return Internal(Errno("listing " + parent, errno));
  const GuestOwner owner = GuestHostOwner();
  const size_t name_size = prefix.size() + 6;  // mkdtemp's XXXXXX
  std::vector<std::string> names;
  for (struct dirent* e; (e = readdir(d)) != nullptr;) {
    std::string name = e->d_name;
    if (name.size() == name_size && name.compare(0, prefix.size(), prefix) == 0)
      names.push_back(name);
  }
  closedir(d);
  int removed = 0;
  Status first = Status::Ok();
  for (const std::string& name : names) {
    std::string path = parent + "/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;  // gone, a symlink or not a directory
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_uid != owner.uid || st.st_gid != owner.gid) {
      close(fd);
      continue;
    }
    Status s = EmptyDirectory(fd);
    if (s.ok() && rmdir(path.c_str()) != 0) s = Internal(Errno("removing " + path, errno));
    if (s.ok())
      ++removed;
    else if (first.ok())
      first = s;
  }
  if (!first.ok()) return first;
  return removed;
}

}  // namespace ward
