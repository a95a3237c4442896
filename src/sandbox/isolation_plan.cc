#include "sandbox/isolation_plan.h"

#include <cstring>

namespace ward {
namespace {

class Writer {
 public:
  void U64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void Str(const std::string& s) {
    U64(s.size());
    out_ += s;
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const auto& s : v) Str(s);
  }
  void Pairs(const std::vector<std::pair<std::string, std::string>>& v) {
    U64(v.size());
    for (const auto& [a, b] : v) Str(a), Str(b);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  bool ok() const { return ok_; }
  uint64_t U64() {
    uint64_t v = 0;
    if (!ok_ || in_.size() - pos_ < sizeof v) return Bad();
    memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string Str() {
    uint64_t n = U64();
    if (!ok_ || in_.size() - pos_ < n) return Bad(), std::string();
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint64_t Count() {
    uint64_t n = U64();
    return n > in_.size() ? Bad() : n;  // every element takes at least one byte
  }
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count());
    for (auto& s : v) s = Str();
    return v;
  }
  std::vector<std::pair<std::string, std::string>> Pairs() {
    std::vector<std::pair<std::string, std::string>> v(Count());
    for (auto& [a, b] : v) a = Str(), b = Str();
    return v;
  }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  uint64_t Bad() {
    ok_ = false;
    return 0;
  }
  const std::string& in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

constexpr uint64_t kMagic = 0x324e414c50445257ull;  // "WRDPLAN2"

}  // namespace

std::string EncodePlan(const IsolationPlan& p) {
  Writer w;
  w.U64(kMagic);
  w.U64(p.layers);
  w.U64(p.outer_uid);
  w.U64(p.outer_gid);
  w.U64(p.drop_to_outer);
  w.Strs(p.dirs);
  w.U64(p.binds.size());
  for (const auto& b : p.binds) w.Str(b.source), w.Str(b.target), w.U64(b.writable);
  w.Pairs(p.symlinks);
  w.Pairs(p.files);
  w.Strs(p.devices);
  w.Str(p.workdir);
  w.U64(p.tmp_bytes);
  w.U64(p.rlimits.size());
  for (const auto& r : p.rlimits) w.U64(static_cast<uint64_t>(r.resource)), w.U64(r.value);
  w.Strs(p.cgroup_procs);
  w.Str(p.seccomp_bpf);
  w.Str(p.hostname);
  return w.Take();
}

Result<IsolationPlan> DecodePlan(const std::string& blob) {
  Reader r(blob);
  IsolationPlan p;
  if (r.U64() != kMagic) return InvalidArgument("not an isolation plan");
  p.layers = static_cast<uint32_t>(r.U64());
  p.outer_uid = static_cast<uint32_t>(r.U64());
  p.outer_gid = static_cast<uint32_t>(r.U64());
  p.drop_to_outer = r.U64() != 0;
  p.dirs = r.Strs();
  p.binds.resize(r.Count());
  for (auto& b : p.binds) b.source = r.Str(), b.target = r.Str(), b.writable = r.U64() != 0;
  p.symlinks = r.Pairs();
  p.files = r.Pairs();
  p.devices = r.Strs();
  p.workdir = r.Str();
  p.tmp_bytes = r.U64();
  p.rlimits.resize(r.Count());
  for (auto& l : p.rlimits) l.resource = static_cast<int>(r.U64()), l.value = r.U64();
  p.cgroup_procs = r.Strs();
  p.seccomp_bpf = r.Str();
  p.hostname = r.Str();
  if (!r.ok() || !r.AtEnd()) return InvalidArgument("truncated or malformed isolation plan");
  return p;
}

}  // namespace ward
