// napiText: a JavaScript string argument as UTF-8, for both addons (binding.cc, notify.cc).
#pragma once
#include <node_api.h>

#include <string>

inline std::string napiText(napi_env env, napi_value v) {
  size_t n = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  std::string s(n, '\0');
  napi_get_value_string_utf8(env, v, s.data(), n + 1, &n);
  return s;
}
