// Meridian's binding of libfuse 3's low-level (inode-based) API for Node.js, over N-API.
//
// Threads: each session runs libfuse's receive loop on a thread of its own. An op callback
// never waits for JavaScript: it records the request in the session's table of pending
// requests (id -> fuse_req_t), appends an event to the session's queue and, when the queue was
// empty, wakes the JavaScript thread once through a threadsafe function. JavaScript then gets
// every queued event in one call (a batch) and answers each request later, from any tick, by
// id with the matching reply function (replyEntry, replyAttr, ...). A watchdog thread per
// session answers ETIMEDOUT to a request still pending past the session's timeout and tells
// JavaScript (a "timeout" event) so that it logs it; whichever of the two takes the request out
// of the table first answers it, the other finds nothing.
//
// End: when the kernel's end of the connection goes away (the mount was taken away, by us with
// fusermount or by anyone else), the receive loop returns; its thread answers what is still
// pending, frees the session's libfuse state and sends JavaScript a last "exited" event.
//
// Numbers: inode numbers, sizes and offsets cross as doubles (exact below 2^53, where Meridian
// keeps its inode numbers); POSIX lock owners (64-bit kernel cookies) cross as BigInt.
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <node_api.h>

#include "napi-text.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <sys/file.h>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// One argument of an event: a number, a string, bytes (handed over as an external Buffer) or a
// 64-bit cookie (a BigInt).
struct Arg {
  enum Kind { NUM, STR, BYTES, BIG } kind;
  double num = 0;
  std::string str;
  uint64_t big = 0;

  explicit Arg(Kind k) : kind(k) {}
  static Arg number(double v) {
    Arg a(NUM);
    a.num = v;
    return a;
  }
};

// What JavaScript receives: [op, id, ino, uid, gid, pid, ...args]; id 0 for events that need
// no reply (forget, timeout, interrupt).
struct Event {
  const char* op;
  uint64_t id;
  uint64_t ino;
  uid_t uid;
  gid_t gid;
  pid_t pid;
  std::vector<Arg> args;
};

struct Pending {
  fuse_req_t req;
  Clock::time_point deadline;
  const char* op;
};

struct Session {
  fuse_session* se = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  std::thread loop;
  std::thread watchdog;
  std::chrono::milliseconds timeout{60000};
  bool writebackCache = false;

  std::mutex mu;  // guards everything below
  std::condition_variable stopping;
  std::vector<Event> queue;
  bool scheduled = false;  // a call of the threadsafe function is on its way
  bool closed = false;
  std::unordered_map<uint64_t, Pending> pending;
  uint64_t nextId = 1;
};

Session* sessionOf(fuse_req_t req) { return static_cast<Session*>(fuse_req_userdata(req)); }

void push(Session* s, Event&& e) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->closed) return;
    s->queue.push_back(std::move(e));
    wake = !s->scheduled;
    s->scheduled = true;
  }
  if (wake) napi_call_threadsafe_function(s->tsfn, nullptr, napi_tsfn_nonblocking);
}

/**
 * answer runs reply on the pending request id, once: the request leaves the table and is
 * answered under the session's lock, so that the session cannot end between the two
 */
template <typename Reply>
bool answer(Session* s, uint64_t id, Reply reply) {
  std::lock_guard<std::mutex> lock(s->mu);
  auto it = s->pending.find(id);
  if (it == s->pending.end()) return false;
  fuse_req_t req = it->second.req;
  s->pending.erase(it);
  reply(req);
  return true;
}

/**
 * validUtf8 tells whether s is well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF). JavaScript holds names as strings: bytes that are not UTF-8 would turn into
 * U+FFFD on the way, so that two different names became one. Such names get EILSEQ instead.
 */
bool validUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p++;
    if (c < 0x80) continue;
    int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
    if (more < 0 || c > 0xf4 || end - p < more) return false;
    unsigned cp = c & (0x3f >> more);
    for (int i = 0; i < more; i++) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (more == 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    p += more;
  }
  return true;
}

void onInterrupt(fuse_req_t req, void* data) {
  Event e{"interrupt", 0, 0, 0, 0, 0, {}};
  e.args.push_back(Arg::number(static_cast<double>(reinterpret_cast<uintptr_t>(data))));
  push(sessionOf(req), std::move(e));
}

/** interruptible: a FUSE_INTERRUPT for this request becomes an "interrupt" event naming its id */
void interruptible(fuse_req_t req, uint64_t id) {
  fuse_req_interrupt_func(req, onInterrupt, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
}

// Builds the event of a request and records it as pending. Every request can be interrupted
// (FUSE_INTERRUPT: the waiting process got a signal): JavaScript decides what that ends.
struct Request {
  Session* s;
  Event e;

  Request(fuse_req_t req, const char* op, fuse_ino_t ino) : s(sessionOf(req)) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    e.op = op;
    e.ino = ino;
    e.uid = ctx->uid;
    e.gid = ctx->gid;
    e.pid = ctx->pid;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      e.id = s->nextId++;
      s->pending[e.id] = Pending{req, Clock::now() + s->timeout, op};
    }
    // outside the lock: libfuse calls onInterrupt at once when the interrupt came first
    interruptible(req, e.id);
  }
  Request& num(double v) {
    e.args.push_back(Arg::number(v));
    return *this;
  }
  Request& str(const char* v) {
    Arg a(Arg::STR);
    a.str = v;
    e.args.push_back(std::move(a));
    return *this;
  }
  Request& bytes(const char* v, size_t n) {
    Arg a(Arg::BYTES);
    a.str.assign(v, n);
    e.args.push_back(std::move(a));
    return *this;
  }
  Request& big(uint64_t v) {
    Arg a(Arg::BIG);
    a.big = v;
    e.args.push_back(std::move(a));
    return *this;
  }
  /** send hands the request to JavaScript; one with a name that is not UTF-8 is answered EILSEQ here */
  void send() {
    for (const Arg& a : e.args) {
      if (a.kind == Arg::STR && !validUtf8(a.str)) {
        answer(s, e.id, [](fuse_req_t req) { fuse_reply_err(req, EILSEQ); });
        return;
      }
    }
    push(s, std::move(e));
  }
};

/** umaskOf: the creator's umask, which the kernel passes instead of applying it (FUSE_CAP_DONT_MASK) */
double umaskOf(fuse_req_t req) { return fuse_req_ctx(req)->umask; }

double fhOf(const fuse_file_info* fi) { return fi ? static_cast<double>(fi->fh) : 0; }

// ---- the op callbacks (libfuse's receive thread) ----

void ll_init(void* userdata, fuse_conn_info* conn) {
  conn->max_write = 1 << 20;
  conn->max_readahead = 1 << 20;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  // EXPORT_SUPPORT: lookups of "." and ".." by node id, so that file handles (name_to_handle_at,
  // NFS) find an inode the kernel forgot; POSIX_ACL: the kernel enforces ACLs; DONT_MASK: the
  // creator's umask comes with create/mkdir/mknod and lib/fs applies it, or a default ACL instead
  const unsigned wanted = FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_PARALLEL_DIROPS |
                          FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_ASYNC_READ | FUSE_CAP_AUTO_INVAL_DATA |
                          FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
  conn->want |= wanted & conn->capable;
  // the kernel clears setuid/setgid on write and chown itself (lib/fs follows its rules);
  // the writeback cache is on only when the mount asks for it (docs/fuse.md)
  conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
  if (!static_cast<Session*>(userdata)->writebackCache) conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  else conn->want |= FUSE_CAP_WRITEBACK_CACHE & conn->capable;
}

void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) { Request(req, "lookup", parent).str(name).send(); }

void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Session* s = sessionOf(req);
  fuse_reply_none(req);
  Event e{"forget", 0, ino, 0, 0, 0, {}};
  e.args.push_back(Arg::number(static_cast<double>(nlookup)));
  push(s, std::move(e));
}

void ll_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Session* s = sessionOf(req);
  fuse_reply_none(req);
  for (size_t i = 0; i < count; i++) {
    Event e{"forget", 0, forgets[i].ino, 0, 0, 0, {}};
    e.args.push_back(Arg::number(static_cast<double>(forgets[i].nlookup)));
    push(s, std::move(e));
  }
}

void ll_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { Request(req, "getattr", ino).num(fhOf(fi)).send(); }

void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* a, int set, fuse_file_info* fi) {
  Request(req, "setattr", ino)
      .num(set)
      .num(a->st_mode)
      .num(a->st_uid)
      .num(a->st_gid)
      .num(static_cast<double>(a->st_size))
      .num(static_cast<double>(a->st_atim.tv_sec))
      .num(static_cast<double>(a->st_atim.tv_nsec))
      .num(static_cast<double>(a->st_mtim.tv_sec))
      .num(static_cast<double>(a->st_mtim.tv_nsec))
      .num(fhOf(fi))
      .send();
}

void ll_readlink(fuse_req_t req, fuse_ino_t ino) { Request(req, "readlink", ino).send(); }

void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Request(req, "mknod", parent).str(name).num(mode).num(static_cast<double>(rdev)).num(umaskOf(req)).send();
}

void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Request(req, "mkdir", parent).str(name).num(mode).num(umaskOf(req)).send();
}

void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) { Request(req, "unlink", parent).str(name).send(); }
void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) { Request(req, "rmdir", parent).str(name).send(); }

void ll_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  Request(req, "symlink", parent).str(name).str(target).send();
}

void ll_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
               unsigned flags) {
  Request(req, "rename", parent).str(name).num(static_cast<double>(newparent)).str(newname).num(flags).send();
}

void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  Request(req, "link", ino).num(static_cast<double>(newparent)).str(newname).send();
}

void ll_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { Request(req, "open", ino).num(fi->flags).send(); }

void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Request(req, "read", ino).num(static_cast<double>(size)).num(static_cast<double>(off)).num(fhOf(fi)).send();
}

// buf is libfuse's receive buffer, reused for the next request: the event takes a copy
void ll_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  // writepage: the kernel writing back pages of a shared mapping, at their offset even under O_APPEND
  Request(req, "write", ino).bytes(buf, size).num(static_cast<double>(off)).num(fhOf(fi)).num(fi && fi->writepage ? 1 : 0).send();
}

void ll_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Request(req, "flush", ino).num(fhOf(fi)).big(fi->lock_owner).send();
}

void ll_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { Request(req, "release", ino).num(fhOf(fi)).send(); }

void ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  Request(req, "fsync", ino).num(datasync).num(fhOf(fi)).send();
}

void ll_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { Request(req, "opendir", ino).num(fi->flags).send(); }

void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Request(req, "readdir", ino).num(static_cast<double>(size)).num(static_cast<double>(off)).num(fhOf(fi)).send();
}

void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Request(req, "readdirplus", ino).num(static_cast<double>(size)).num(static_cast<double>(off)).num(fhOf(fi)).send();
}

void ll_releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Request(req, "releasedir", ino).num(fhOf(fi)).send();
}

void ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  Request(req, "fsyncdir", ino).num(datasync).num(fhOf(fi)).send();
}

void ll_statfs(fuse_req_t req, fuse_ino_t ino) { Request(req, "statfs", ino).send(); }

void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  Request(req, "setxattr", ino).str(name).bytes(value, size).num(flags).send();
}

void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Request(req, "getxattr", ino).str(name).num(static_cast<double>(size)).send();
}

void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Request(req, "listxattr", ino).num(static_cast<double>(size)).send();
}

void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) { Request(req, "removexattr", ino).str(name).send(); }

void ll_access(fuse_req_t req, fuse_ino_t ino, int mask) { Request(req, "access", ino).num(mask).send(); }

void ll_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Request(req, "create", parent).str(name).num(mode).num(fi->flags).num(umaskOf(req)).send();
}

void ll_getlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock) {
  Request(req, "getlk", ino)
      .num(fhOf(fi))
      .big(fi->lock_owner)
      .num(lock->l_type)
      .num(static_cast<double>(lock->l_start))
      .num(static_cast<double>(lock->l_len))
      .num(lock->l_pid)
      .send();
}

void ll_setlk(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, struct flock* lock, int sleep) {
  Request(req, "setlk", ino)
      .num(fhOf(fi))
      .big(fi->lock_owner)
      .num(lock->l_type)
      .num(static_cast<double>(lock->l_start))
      .num(static_cast<double>(lock->l_len))
      .num(lock->l_pid)
      .num(sleep)
      .send();
}

void ll_flock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op) {
  Request(req, "flock", ino).num(fhOf(fi)).num(op).send();
}

const fuse_lowlevel_ops ops = [] {
  fuse_lowlevel_ops o{};
  o.init = ll_init;
  o.lookup = ll_lookup;
  o.forget = ll_forget;
  o.forget_multi = ll_forget_multi;
  o.getattr = ll_getattr;
  o.setattr = ll_setattr;
  o.readlink = ll_readlink;
  o.mknod = ll_mknod;
  o.mkdir = ll_mkdir;
  o.unlink = ll_unlink;
  o.rmdir = ll_rmdir;
  o.symlink = ll_symlink;
  o.rename = ll_rename;
  o.link = ll_link;
  o.open = ll_open;
  o.read = ll_read;
  o.write = ll_write;
  o.flush = ll_flush;
  o.release = ll_release;
  o.fsync = ll_fsync;
  o.opendir = ll_opendir;
  o.readdir = ll_readdir;
  o.readdirplus = ll_readdirplus;
  o.releasedir = ll_releasedir;
  o.fsyncdir = ll_fsyncdir;
  o.statfs = ll_statfs;
  o.setxattr = ll_setxattr;
  o.getxattr = ll_getxattr;
  o.listxattr = ll_listxattr;
  o.removexattr = ll_removexattr;
  o.access = ll_access;
  o.create = ll_create;
  o.getlk = ll_getlk;
  o.setlk = ll_setlk;
  o.flock = ll_flock;
  return o;
}();

void watch(Session* s) {
  std::unique_lock<std::mutex> lock(s->mu);
  while (!s->closed) {
    s->stopping.wait_for(lock, std::chrono::milliseconds(500));
    if (s->closed) break;
    const auto now = Clock::now();
    std::vector<Event> timedOut;
    for (auto it = s->pending.begin(); it != s->pending.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      fuse_reply_err(it->second.req, ETIMEDOUT);
      Event e{"timeout", 0, 0, 0, 0, 0, {}};
      e.args.push_back(Arg::number(static_cast<double>(it->first)));
      Arg op(Arg::STR);
      op.str = it->second.op;
      e.args.push_back(std::move(op));
      timedOut.push_back(std::move(e));
      it = s->pending.erase(it);
    }
    lock.unlock();
    for (auto& e : timedOut) push(s, std::move(e));
    lock.lock();
  }
}

/** the marker the session's last call of the threadsafe function carries */
char exitedMarker;

// The receive loop, and the session's end once it returns (the kernel's end of the connection
// went away: unmounted, by us or by someone else): every request still pending is answered
// (which frees it), libfuse closes the device and frees the session, and JavaScript gets one
// last "exited" event.
void run(Session* s) {
  fuse_session_loop(s->se);
  {
    std::lock_guard<std::mutex> lock(s->mu);
    s->closed = true;
    for (auto& [id, p] : s->pending) fuse_reply_err(p.req, ENOTCONN);
    s->pending.clear();
  }
  s->stopping.notify_all();
  s->watchdog.join();
  fuse_session_unmount(s->se);  // closes the device (the mount is gone: libfuse sees so and unmounts nothing)
  fuse_session_destroy(s->se);
  s->se = nullptr;
  napi_call_threadsafe_function(s->tsfn, &exitedMarker, napi_tsfn_blocking);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
}

// ---- the JavaScript side ----

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, nullptr, "meridian fuse binding: " #call);     \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

napi_value toJs(napi_env env, Arg& a) {
  napi_value v = nullptr;
  switch (a.kind) {
    case Arg::NUM:
      napi_create_double(env, a.num, &v);
      break;
    case Arg::STR:
      napi_create_string_utf8(env, a.str.data(), a.str.size(), &v);
      break;
    case Arg::BIG:
      napi_create_bigint_uint64(env, a.big, &v);
      break;
    case Arg::BYTES: {
      auto* held = new std::string(std::move(a.str));
      if (napi_create_external_buffer(env, held->size(), held->data(),
                                      [](napi_env, void*, void* hint) { delete static_cast<std::string*>(hint); },
                                      held, &v) != napi_ok) {
        delete held;
        napi_create_buffer_copy(env, 0, nullptr, nullptr, &v);
      }
      break;
    }
  }
  return v;
}

void deliver(napi_env env, napi_value callback, void* context, void* data) {
  auto* s = static_cast<Session*>(context);
  std::vector<Event> batch;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    batch.swap(s->queue);
    s->scheduled = false;
  }
  if (data == &exitedMarker) batch.push_back(Event{"exited", 0, 0, 0, 0, 0, {}});
  if (env == nullptr || batch.empty()) return;
  napi_value list;
  napi_create_array_with_length(env, batch.size(), &list);
  for (size_t i = 0; i < batch.size(); i++) {
    Event& e = batch[i];
    napi_value ev, v;
    napi_create_array_with_length(env, 6 + e.args.size(), &ev);
    napi_create_string_utf8(env, e.op, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, ev, 0, v);
    napi_create_double(env, static_cast<double>(e.id), &v);
    napi_set_element(env, ev, 1, v);
    napi_create_double(env, static_cast<double>(e.ino), &v);
    napi_set_element(env, ev, 2, v);
    napi_create_uint32(env, e.uid, &v);
    napi_set_element(env, ev, 3, v);
    napi_create_uint32(env, e.gid, &v);
    napi_set_element(env, ev, 4, v);
    napi_create_uint32(env, e.pid, &v);
    napi_set_element(env, ev, 5, v);
    for (size_t j = 0; j < e.args.size(); j++) napi_set_element(env, ev, 6 + j, toJs(env, e.args[j]));
    napi_set_element(env, list, i, ev);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 1, &list, nullptr);
}

struct Args {
  napi_value v[8];
  size_t n = 8;
};

bool getArgs(napi_env env, napi_callback_info info, Args& a) {
  return napi_get_cb_info(env, info, &a.n, a.v, nullptr, nullptr) == napi_ok;
}

double number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

Session* sessionArg(napi_env env, napi_value v) {
  void* p = nullptr;
  napi_get_value_external(env, v, &p);
  return static_cast<Session*>(p);
}

/** answerArg answers the request (session, id) of args[0..1]; nothing when it was answered already or timed out */
template <typename Reply>
void answerArg(napi_env env, Args& a, Reply reply) {
  answer(sessionArg(env, a.v[0]), static_cast<uint64_t>(number(env, a.v[1])), reply);
}

/** timespecOf takes whole seconds (negative before 1970) and nanoseconds, as lib/fs keeps them */
timespec timespecOf(double sec, double nsec) {
  timespec t;
  t.tv_sec = static_cast<time_t>(sec);
  t.tv_nsec = static_cast<long>(nsec < 0 ? 0 : nsec > 999999999 ? 999999999 : nsec);
  return t;
}

/** doubles reads the first n numbers of a JavaScript array into f (0 for what is missing) */
void doubles(napi_env env, napi_value arr, double* f, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    f[i] = 0;
    napi_value v;
    if (napi_get_element(env, arr, i, &v) == napi_ok) napi_get_value_double(env, v, &f[i]);
  }
}

/**
 * an attribute array [ino, mode, nlink, uid, gid, size, rdev, atime sec, nsec, mtime sec, nsec,
 * ctime sec, nsec, blksize] as struct stat
 */
void statOf(napi_env env, napi_value arr, struct stat* st) {
  double f[14];
  doubles(env, arr, f, 14);
  memset(st, 0, sizeof *st);
  st->st_ino = static_cast<ino_t>(f[0]);
  st->st_mode = static_cast<mode_t>(f[1]);
  st->st_nlink = static_cast<nlink_t>(f[2]);
  st->st_uid = static_cast<uid_t>(f[3]);
  st->st_gid = static_cast<gid_t>(f[4]);
  st->st_size = static_cast<off_t>(f[5]);
  st->st_rdev = static_cast<dev_t>(f[6]);
  st->st_atim = timespecOf(f[7], f[8]);
  st->st_mtim = timespecOf(f[9], f[10]);
  st->st_ctim = timespecOf(f[11], f[12]);
  st->st_blksize = static_cast<blksize_t>(f[13]);
  st->st_blocks = (st->st_size + 511) / 512;
}

/** entryOf: attribute array, entry timeout, attribute timeout (seconds) -> fuse_entry_param */
fuse_entry_param entryOf(napi_env env, napi_value attr, napi_value entryTimeout, napi_value attrTimeout) {
  fuse_entry_param e{};
  statOf(env, attr, &e.attr);
  e.ino = e.attr.st_ino;
  e.generation = 1;
  e.entry_timeout = number(env, entryTimeout);
  e.attr_timeout = number(env, attrTimeout);
  return e;
}

napi_value nothing(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// replyErr(session, id, errno)
napi_value replyErr(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const int err = static_cast<int>(number(env, a.v[2]));
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_err(req, err); });
  return nothing(env);
}

// replyEntry(session, id, attr, entryTimeout, attrTimeout): a found name; attr[0] = 0 is a
// negative entry, cached for entryTimeout
napi_value replyEntry(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  fuse_entry_param e = entryOf(env, a.v[2], a.v[3], a.v[4]);
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_entry(req, &e); });
  return nothing(env);
}

// replyCreate(session, id, attr, entryTimeout, attrTimeout, fh)
napi_value replyCreate(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  fuse_entry_param e = entryOf(env, a.v[2], a.v[3], a.v[4]);
  fuse_file_info fi{};
  fi.fh = static_cast<uint64_t>(number(env, a.v[5]));
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_create(req, &e, &fi); });
  return nothing(env);
}

// replyAttr(session, id, attr, attrTimeout)
napi_value replyAttr(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  struct stat st;
  statOf(env, a.v[2], &st);
  const double timeout = number(env, a.v[3]);
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_attr(req, &st, timeout); });
  return nothing(env);
}

// replyReadlink(session, id, target)
napi_value replyReadlink(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const std::string target = napiText(env, a.v[2]);
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_readlink(req, target.c_str()); });
  return nothing(env);
}

// replyOpen(session, id, fh, keepCache): keepCache keeps the kernel's cached pages of the file
napi_value replyOpen(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  fuse_file_info fi{};
  fi.fh = static_cast<uint64_t>(number(env, a.v[2]));
  bool keep = false;
  if (a.n > 3) napi_get_value_bool(env, a.v[3], &keep);
  fi.keep_cache = keep ? 1 : 0;
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_open(req, &fi); });
  return nothing(env);
}

// replyWrite(session, id, count)
napi_value replyWrite(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const size_t count = static_cast<size_t>(number(env, a.v[2]));
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_write(req, count); });
  return nothing(env);
}

// replyBuf(session, id, buffer): read data, an xattr value or list
napi_value replyBuf(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  void* data = nullptr;
  size_t len = 0;
  napi_get_buffer_info(env, a.v[2], &data, &len);
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_buf(req, static_cast<const char*>(data), len); });
  return nothing(env);
}

// replyXattrSize(session, id, size): the answer to a getxattr/listxattr of size 0
napi_value replyXattrSize(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const size_t size = static_cast<size_t>(number(env, a.v[2]));
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_xattr(req, size); });
  return nothing(env);
}

// replyStatfs(session, id, [bsize, frsize, blocks, bfree, bavail, files, ffree, namemax])
napi_value replyStatfs(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  double f[8];
  doubles(env, a.v[2], f, 8);
  struct statvfs sv{};
  sv.f_bsize = static_cast<unsigned long>(f[0]);
  sv.f_frsize = static_cast<unsigned long>(f[1]);
  sv.f_blocks = static_cast<fsblkcnt_t>(f[2]);
  sv.f_bfree = static_cast<fsblkcnt_t>(f[3]);
  sv.f_bavail = static_cast<fsblkcnt_t>(f[4]);
  sv.f_files = static_cast<fsfilcnt_t>(f[5]);
  sv.f_ffree = static_cast<fsfilcnt_t>(f[6]);
  sv.f_favail = sv.f_ffree;
  sv.f_namemax = static_cast<unsigned long>(f[7]);
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_statfs(req, &sv); });
  return nothing(env);
}

// replyLock(session, id, type, start, len, pid): the answer to getlk
napi_value replyLock(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  struct flock l{};
  l.l_type = static_cast<short>(number(env, a.v[2]));
  l.l_whence = SEEK_SET;
  l.l_start = static_cast<off_t>(number(env, a.v[3]));
  l.l_len = static_cast<off_t>(number(env, a.v[4]));
  l.l_pid = static_cast<pid_t>(number(env, a.v[5]));
  answerArg(env, a, [&](fuse_req_t req) { fuse_reply_lock(req, &l); });
  return nothing(env);
}

// replyDir(session, id, size, plus, entries, entryTimeout, attrTimeout) -> how many entries fit.
// entries: [name, nextOffset, attr, counted] each; counted: the kernel takes a lookup
// reference on the entry (readdirplus, every name but "." and "..")
napi_value replyDir(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const size_t size = static_cast<size_t>(number(env, a.v[2]));
  bool plus = false;
  napi_get_value_bool(env, a.v[3], &plus);
  uint32_t count = 0;
  napi_get_array_length(env, a.v[4], &count);
  std::vector<char> buf(size);
  size_t used = 0;
  uint32_t packed = 0;
  answerArg(env, a, [&](fuse_req_t req) {
    for (uint32_t i = 0; i < count; i++) {
      napi_value ent, name, off, attr, counted;
      napi_get_element(env, a.v[4], i, &ent);
      napi_get_element(env, ent, 0, &name);
      napi_get_element(env, ent, 1, &off);
      napi_get_element(env, ent, 2, &attr);
      napi_get_element(env, ent, 3, &counted);
      const std::string n = napiText(env, name);
      const off_t next = static_cast<off_t>(number(env, off));
      size_t need;
      if (plus) {
        fuse_entry_param e = entryOf(env, attr, a.v[5], a.v[6]);
        bool ref = false;
        napi_get_value_bool(env, counted, &ref);
        if (!ref) e.ino = 0;  // attributes for the listing only: no lookup reference
        need = fuse_add_direntry_plus(req, buf.data() + used, size - used, n.c_str(), &e, next);
      } else {
        struct stat st;
        statOf(env, attr, &st);
        need = fuse_add_direntry(req, buf.data() + used, size - used, n.c_str(), &st, next);
      }
      if (need > size - used) break;
      used += need;
      packed++;
    }
    fuse_reply_buf(req, buf.data(), used);
  });
  napi_value v;
  napi_create_uint32(env, packed, &v);
  return v;
}

// mount(mountpoint, args, timeoutMs, onBatch, writebackCache) -> session. args: libfuse's argv after the
// program name (e.g. ["-o", "allow_other,fsname=..."]).
napi_value mount(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  const std::string mnt = napiText(env, a.v[0]);
  uint32_t argc = 0;
  CHECK(napi_get_array_length(env, a.v[1], &argc));
  std::vector<std::string> argv{"meridian"};
  for (uint32_t i = 0; i < argc; i++) {
    napi_value v;
    CHECK(napi_get_element(env, a.v[1], i, &v));
    argv.push_back(napiText(env, v));
  }
  std::vector<char*> ptrs;
  for (auto& arg : argv) ptrs.push_back(arg.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(ptrs.size()), ptrs.data());

  auto* s = new Session();
  s->timeout = std::chrono::milliseconds(static_cast<int64_t>(number(env, a.v[2])));
  if (a.n > 4) napi_get_value_bool(env, a.v[4], &s->writebackCache);
  s->se = fuse_session_new(&args, &ops, sizeof ops, s);
  if (!s->se) {
    delete s;
    napi_throw_error(env, "EINVAL", "fuse_session_new failed (bad mount options?)");
    return nullptr;
  }
  if (fuse_session_mount(s->se, mnt.c_str()) != 0) {
    fuse_session_destroy(s->se);
    delete s;
    napi_throw_error(env, "EIO", ("fuse_session_mount failed for " + mnt).c_str());
    return nullptr;
  }
  napi_value name;
  CHECK(napi_create_string_utf8(env, "meridian-fuse", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, a.v[3], nullptr, name, 0, 1, nullptr, nullptr, s, deliver, &s->tsfn));
  s->watchdog = std::thread([s] { watch(s); });
  s->loop = std::thread([s] { run(s); });
  s->loop.detach();
  napi_value ext;
  // the session's memory is never freed: a late reply from JavaScript may still name it
  CHECK(napi_create_external(env, s, nullptr, nullptr, &ext));
  return ext;
}

// pending(session) -> how many requests await an answer
napi_value pendingCount(napi_env env, napi_callback_info info) {
  Args a;
  if (!getArgs(env, info, a)) return nullptr;
  Session* s = sessionArg(env, a.v[0]);
  size_t n;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    n = s->pending.size();
  }
  napi_value v;
  napi_create_uint32(env, static_cast<uint32_t>(n), &v);
  return v;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"mount", nullptr, mount, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pending", nullptr, pendingCount, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyErr", nullptr, replyErr, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyEntry", nullptr, replyEntry, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyCreate", nullptr, replyCreate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyAttr", nullptr, replyAttr, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyReadlink", nullptr, replyReadlink, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyOpen", nullptr, replyOpen, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyWrite", nullptr, replyWrite, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyBuf", nullptr, replyBuf, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyXattrSize", nullptr, replyXattrSize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyStatfs", nullptr, replyStatfs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyLock", nullptr, replyLock, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"replyDir", nullptr, replyDir, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
