{
  "targets": [
    {
      "target_name": "bulkhead",
      "sources": [
        "native/addon.cc",
        "native/probe.cc",
        "native/bpf.cc",
        "native/errors.cc",
        "native/psi.cc",
        "native/fs/fsat.cc",
        "native/netlink.cc",
        "native/oci.cc",
        "native/spawn/plan.cc",
        "native/spawn/spawn.cc",
        "native/spawn/watch.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-fno-exceptions",
        "-fvisibility=hidden",
        "-fvisibility-inlines-hidden"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "dependencies": [
        "bulkhead_child"
      ],
      "ldflags": [
        "-Wl,-z,now",
        "-Wl,-z,relro",
        "-Wl,-z,nodelete",
        "-Wl,-Bsymbolic"
      ]
    },
    {
      "target_name": "bulkhead_child",
      "type": "static_library",
      "sources": [
        "native/spawn/child.cc",
        "native/spawn/clone3.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags": [
        "-fPIC"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-fno-exceptions",
        "-fPIC",
        "-fvisibility=hidden",
        "-fvisibility-inlines-hidden",
        "-fno-stack-protector",
        "-fno-tree-loop-distribute-patterns",
        "-fno-sanitize=all",
        "-fno-profile-arcs",
        "-fno-instrument-functions",
        "-fno-asynchronous-unwind-tables",
        "-fno-jump-tables"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ]
    },
    {
      "target_name": "bulkhead-init",
      "type": "executable",
      "sources": [
        "native/init/init.c"
      ],
      "cflags": [
        "-O2",
        "-static",
        "-nostdlib",
        "-ffreestanding",
        "-fno-stack-protector",
        "-fno-asynchronous-unwind-tables",
        "-fno-jump-tables",
        "-fno-pie"
      ],
      "cflags!": [
        "-pthread",
        "-fPIC",
        "-fno-omit-frame-pointer"
      ],
      "ldflags": [
        "-static",
        "-nostdlib",
        "-no-pie"
      ],
      "ldflags!": [
        "-pthread",
        "-rdynamic"
      ],
      "libraries!": [
        "-lpthread"
      ]
    }
  ]
}
