#include "server/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "engine/autograd/functions.h"
#include "engine/core/error.h"
#include "server/safetensors.h"

namespace kiln::server {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader copies bytes as they are");

[[noreturn]] void fail(grpc::StatusCode code, const std::string& msg) {
  throw CheckpointError(code, msg);
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// An fd closed when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void fail_errno(int err, const std::string& rel, const std::string& component,
                             const char* doing) {
  if (err == ELOOP) {
    fail(grpc::PERMISSION_DENIED, quoted(rel) + ": " + quoted(component) +
                                      " is a symbolic link (checkpoint paths may not go through "
                                      "links, so they stay inside the data directory)");
  }
  if (err == ENOENT)
    fail(grpc::NOT_FOUND, "no checkpoint " + quoted(rel) + " in kilnd's data directory");
  if (err == EISDIR) {
    fail(grpc::INVALID_ARGUMENT, quoted(rel) + ": " + quoted(component) + " is a folder");
  }
  if (err == ENOTDIR)
    fail(grpc::INVALID_ARGUMENT, quoted(rel) + ": " + quoted(component) + " is not a folder");
  if (err == ENOSPC || err == EDQUOT) {
    fail(grpc::RESOURCE_EXHAUSTED, quoted(rel) + ": no space left while " + doing);
  }
  if (err == EACCES || err == EPERM || err == EROFS) {
    fail(grpc::PERMISSION_DENIED, quoted(rel) + ": " + doing + ": " + std::strerror(err));
  }
  fail(grpc::INTERNAL, quoted(rel) + ": " + doing + ": " + std::strerror(err));
}

int open_root(const std::string& data_dir, const std::string& rel, bool create) {
  if (data_dir.empty()) {
    fail(grpc::FAILED_PRECONDITION, "this kilnd has no data directory (start it with --data_dir)");
  }
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) {
      fail(grpc::INTERNAL,
           "cannot create kilnd's data directory " + data_dir + ": " + ec.message());
    }
  }
  const int fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      fail(grpc::NOT_FOUND,
           "no checkpoint " + quoted(rel) + " (kilnd's data directory does not exist yet)");
    fail_errno(errno, rel, data_dir, "opening the data directory");
  }
  return fd;
}

// Opens the folder holding the file, one component at a time, never following a link.
int open_parent(int root, const std::vector<std::string>& parts, const std::string& rel,
                bool create) {
  int cur = ::dup(root);
  if (cur < 0) fail_errno(errno, rel, "", "opening a folder");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd parent(cur);
    if (create && ::mkdirat(parent.fd, parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
      fail_errno(errno, rel, parts[i], "creating a folder");
    }
    cur = ::openat(parent.fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cur < 0) {
      int err = errno;
      // O_DIRECTORY answers ENOTDIR for a link before O_NOFOLLOW can say ELOOP.
      struct stat st;
      if (err == ENOTDIR && ::fstatat(parent.fd, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        err = ELOOP;
      }
      fail_errno(err, rel, parts[i], "opening a folder");
    }
  }
  return cur;
}

void write_all(int fd, const char* p, size_t n, const std::string& rel) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, std::min<size_t>(n, size_t(1) << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, rel, "", "writing");
    }
    p += w;
    n -= size_t(w);
  }
}

void read_all(int fd, char* p, size_t n, uint64_t offset, const std::string& rel) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, std::min<size_t>(n, size_t(1) << 30), off_t(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, rel, "", "reading");
    }
    if (r == 0)
      fail(grpc::DATA_LOSS, "checkpoint " + quoted(rel) + " was truncated while being read");
    p += r;
    n -= size_t(r);
    offset += uint64_t(r);
  }
}

std::atomic<uint64_t> tmp_counter{0};

}  // namespace

std::vector<std::string> checkpoint_path_parts(const std::string& rel) {
  if (rel.empty()) fail(grpc::INVALID_ARGUMENT, "the checkpoint path is empty");
  if (rel.size() > 4096) fail(grpc::INVALID_ARGUMENT, "the checkpoint path is over 4096 bytes");
  if (rel.find('\0') != std::string::npos) {
    fail(grpc::INVALID_ARGUMENT, "the checkpoint path holds a NUL byte");
  }
  if (rel[0] == '/') {
    fail(grpc::PERMISSION_DENIED, quoted(rel) +
                                      " is absolute: checkpoint paths are relative to "
                                      "kilnd's data directory");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = rel.find('/', start);
    parts.push_back(
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  for (const auto& p : parts) {
    if (p == "..") {
      fail(grpc::PERMISSION_DENIED, quoted(rel) +
                                        " escapes kilnd's data directory ('..' is not "
                                        "allowed in checkpoint paths)");
    }
    if (p.empty() || p == ".") {
      fail(grpc::INVALID_ARGUMENT, quoted(rel) + ": empty or '.' path component");
    }
    if (p.size() > 255)
      fail(grpc::INVALID_ARGUMENT, quoted(rel) + ": a path component is over 255 bytes");
  }
  return parts;
}

uint64_t save_checkpoint(const std::string& data_dir, const std::string& rel,
                         const std::vector<std::pair<std::string, Tensor>>& tensors,
                         const std::map<std::string, std::string>& metadata,
                         const CheckpointLimits& limits) {
  const auto parts = checkpoint_path_parts(rel);
  if (tensors.size() > limits.max_tensors) {
    fail(grpc::INVALID_ARGUMENT, "more than " + std::to_string(limits.max_tensors) + " tensors");
  }
  size_t md_bytes = 0;
  for (const auto& [k, v] : metadata) md_bytes += k.size() + v.size();
  if (md_bytes > limits.max_metadata_bytes) {
    fail(grpc::INVALID_ARGUMENT,
         "the metadata is over " + std::to_string(limits.max_metadata_bytes) + " bytes");
  }
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == "__metadata__") {
      fail(grpc::INVALID_ARGUMENT, "a tensor may not be named " + quoted(name));
    }
    if (!names.insert(name).second)
      fail(grpc::INVALID_ARGUMENT, "two tensors are named " + quoted(name));
    if (!t.defined()) fail(grpc::INVALID_ARGUMENT, "tensor " + quoted(name) + " is None");
    if (t.nbytes() > limits.max_tensor_bytes) {
      fail(grpc::RESOURCE_EXHAUSTED, "tensor " + quoted(name) + " is over kilnd's limit of " +
                                         std::to_string(limits.max_tensor_bytes) + " bytes");
    }
  }
  // Largest elements first: every tensor then starts at a multiple of its element size.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].second.element_size() > tensors[b].second.element_size();
  });
  std::vector<SafetensorsEntry> entries;
  uint64_t at = 0;
  for (size_t i : order) {
    const Tensor& t = tensors[i].second;
    SafetensorsEntry e;
    e.name = tensors[i].first;
    e.file_dtype = safetensors_dtype(t.dtype());
    e.dtype = t.dtype();
    e.shape = t.sizes();
    e.begin = at;
    e.end = at += t.nbytes();
    entries.push_back(std::move(e));
  }
  std::string header;
  try {
    header = make_safetensors_header(entries, metadata);
  } catch (const Error& e) {
    fail(grpc::INVALID_ARGUMENT, e.what());
  }

  Fd root(open_root(data_dir, rel, /*create=*/true));
  Fd dir(open_parent(root.fd, parts, rel, /*create=*/true));
  const std::string& leaf = parts.back();
  const std::string tmp = "." + leaf.substr(0, 200) + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(tmp_counter.fetch_add(1));
  Fd out(::openat(dir.fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (out.fd < 0) fail_errno(errno, rel, tmp, "creating the temporary file");
  try {
    write_all(out.fd, header.data(), header.size(), rel);
    for (size_t i : order) {
      // One tensor at a time on the host: a checkpoint of GPU tensors needs no second copy.
      const Tensor host = contiguous(to(tensors[i].second.detach(), kCPU, std::nullopt, false));
      write_all(out.fd, static_cast<const char*>(host.raw_data()), host.nbytes(), rel);
    }
    if (::fsync(out.fd) != 0) fail_errno(errno, rel, "", "syncing the file");
    const int fd = out.fd;
    out.fd = -1;
    if (::close(fd) != 0) fail_errno(errno, rel, "", "closing the file");
    if (::renameat(dir.fd, tmp.c_str(), dir.fd, leaf.c_str()) != 0) {
      fail_errno(errno, rel, leaf, "renaming the temporary file into place");
    }
  } catch (...) {
    ::unlinkat(dir.fd, tmp.c_str(), 0);
    throw;
  }
  // The rename is durable once the folder is.
  if (::fsync(dir.fd) != 0) fail_errno(errno, rel, "", "syncing the folder");
  return header.size() + at;
}

LoadedCheckpoint load_checkpoint(const std::string& data_dir, const std::string& rel, Device device,
                                 const CheckpointLimits& limits) {
  const auto parts = checkpoint_path_parts(rel);
  Fd root(open_root(data_dir, rel, /*create=*/false));
  Fd dir(open_parent(root.fd, parts, rel, /*create=*/false));
  Fd in(::openat(dir.fd, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (in.fd < 0) fail_errno(errno, rel, parts.back(), "opening the file");
  struct stat st;
  if (::fstat(in.fd, &st) != 0) fail_errno(errno, rel, "", "reading the file's size");
  if (!S_ISREG(st.st_mode)) fail(grpc::INVALID_ARGUMENT, quoted(rel) + " is not a regular file");
  const uint64_t size = uint64_t(st.st_size);
  const std::string what = "checkpoint " + quoted(rel) + ": ";
  if (size < 8) {
    fail(grpc::DATA_LOSS, what + "the file is " + std::to_string(size) +
                              " bytes, too short for a safetensors header");
  }
  unsigned char len_bytes[8];
  read_all(in.fd, reinterpret_cast<char*>(len_bytes), 8, 0, rel);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > kMaxSafetensorsHeader) {
    fail(grpc::DATA_LOSS, what + "the header claims " + std::to_string(n) +
                              " bytes, over the format's limit of " +
                              std::to_string(kMaxSafetensorsHeader) + " (not a safetensors file?)");
  }
  if (n > size - 8) {
    fail(grpc::DATA_LOSS, what + "the header claims " + std::to_string(n) +
                              " bytes, past the end of the " + std::to_string(size) +
                              "-byte file (truncated, or not a safetensors file)");
  }
  std::string json(n, '\0');
  read_all(in.fd, json.data(), n, 8, rel);
  const uint64_t data_start = 8 + n;
  LoadedCheckpoint out;
  SafetensorsHeader h;
  try {
    h = parse_safetensors_header(json, size - data_start, limits.max_tensors);
  } catch (const Error& e) {
    fail(grpc::DATA_LOSS, what + e.what());
  }
  out.metadata = std::move(h.metadata);
  out.nbytes = size;
  for (const auto& e : h.entries) {
    const uint64_t file_bytes = e.end - e.begin;
    const bool widen = e.file_dtype == "I16";
    if ((widen ? 2 * file_bytes : file_bytes) > limits.max_tensor_bytes) {
      fail(grpc::RESOURCE_EXHAUSTED, what + "tensor " + quoted(e.name) +
                                         " is over kilnd's limit of " +
                                         std::to_string(limits.max_tensor_bytes) + " bytes");
    }
    Tensor t;
    try {
      checked_numel(e.shape, "load");
      t = empty_tensor(e.shape, e.dtype, kCPU);
    } catch (const Error& err) {
      fail(err.kind() == ErrorKind::kOutOfMemory ? grpc::RESOURCE_EXHAUSTED : grpc::DATA_LOSS,
           what + "tensor " + quoted(e.name) + ": " + err.what());
    }
    char* p = static_cast<char*>(t.raw_data());
    read_all(in.fd, p, file_bytes, data_start + e.begin, rel);
    if (widen) {
      // int16 -> int32 in place, from the end, so no value is overwritten before it is read.
      for (uint64_t i = file_bytes / 2; i-- > 0;) {
        int16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        const int32_t w = v;
        std::memcpy(p + 4 * i, &w, 4);
      }
    }
    if (!device.is_cpu()) t = to(t, device, std::nullopt, false);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace kiln::server
