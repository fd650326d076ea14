// sd_notify for a foreground `meridian mount` that systemd runs as Type=notify: one datagram
// to the unix socket $NOTIFY_SOCKET names (abstract when it starts with '@'). Node has no unix
// datagram sockets, and a systemd-notify child would be refused under the default
// NotifyAccess=main (the message must come from the service's main process), so the mount's
// own process sends it through this small function.
#include <node_api.h>

#include "napi-text.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// notify(socket, message): sends message; throws an Error whose code is the errno's name
napi_value notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) {
    napi_throw_type_error(env, nullptr, "notify(socket, message)");
    return nullptr;
  }
  const std::string path = napiText(env, argv[0]);
  const std::string message = napiText(env, argv[1]);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    napi_throw_error(env, "EINVAL", "NOTIFY_SOCKET is empty or too long for a unix socket address");
    return nullptr;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int err = 0;
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) err = errno;
  // MSG_DONTWAIT: a receiver that does not read must never stall the event loop
  else if (sendto(fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&addr), len) < 0) err = errno;
  if (fd >= 0) close(fd);
  if (err != 0) napi_throw_error(env, strerrorname_np(err), strerror(err));
  return nullptr;
}

napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "notify", NAPI_AUTO_LENGTH, notify, nullptr, &fn);
  napi_set_named_property(env, exports, "notify", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
