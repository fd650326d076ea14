{
  "targets": [{
    "target_name": "meridian_fuse",
    "sources": ["binding.cc"],
    "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-fexceptions", "<!@(pkg-config --cflags fuse3)"],
    "libraries": ["<!@(pkg-config --libs fuse3)"]
  }, {
    "target_name": "meridian_notify",
    "sources": ["notify.cc"],
    "cflags_cc": ["-std=c++17", "-O2", "-Wall"]
  }]
}
