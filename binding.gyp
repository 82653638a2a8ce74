{
  # Builds native/ into build/Release/wdav.node. On Linux the real fanotify core is compiled;
  # elsewhere only the portable parts, and the daemon reports fanotify unavailable.
  # libyara and Vectorscan/Hyperscan (libhs) are required: scripts/native-deps.mjs stops the
  # build with the command that installs them when pkg-config cannot find one (never a silent,
  # slower build). have_hs stays a condition so the C++ keeps compiling where libhs is absent
  # by design (non-Linux builds of the portable parts).
  "variables": {
    "have_hs%": "<!(pkg-config --exists libhs 2>/dev/null && echo 1 || echo 0)",
    "native_deps%": "<!(node scripts/native-deps.mjs check)"
  },
  "targets": [
    {
      # wdav-scanner: the unprivileged scanner process (native/scanner/, docs/scanner.md).
      # Linux only: it is built on seccomp (libseccomp, required like libyara on Linux).
      "target_name": "wdav-scanner",
      "type": "executable",
      "conditions": [
        [ "OS!='linux'", { "type": "none" } ],
        [ "OS=='linux'", {
          # The content pass (hashes, Vectorscan, archive proofs) runs here too: scanbatch and
          # its parts are linked against the system's libcrypto, zlib and libhs.
          "sources": [ "native/scanner/main.cc", "native/scanner/sandbox.cc", "native/scanner/content.cc",
                       "native/core/yara_rules.cc", "native/core/yara_pool.cc", "native/core/scanbatch.cc",
                       "native/core/archclean.cc", "native/core/patterns.cc", "native/core/plan_bundle.cc" ],
          "include_dirs": [ "native" ],
          "cflags!": [ "-fno-exceptions" ],
          "cflags_cc!": [ "-fno-exceptions" ],
          "cflags_cc": [ "-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(node scripts/native-deps.mjs cflags yara)", "<!@(node scripts/native-deps.mjs cflags libseccomp)",
                         "<!@(node scripts/native-deps.mjs cflags libcrypto)", "<!@(node scripts/native-deps.mjs cflags zlib)" ],
          "libraries": [ "<!@(node scripts/native-deps.mjs libs yara)", "<!@(node scripts/native-deps.mjs libs libseccomp)",
                         "<!@(node scripts/native-deps.mjs libs libcrypto)", "<!@(node scripts/native-deps.mjs libs zlib)", "-lpthread" ]
        } ],
        [ "OS=='linux' and have_hs==1", {
          "defines": [ "WDAV_HAVE_HS" ],
          "cflags_cc": [ "<!@(pkg-config --cflags libhs)" ],
          "libraries": [ "<!@(pkg-config --libs libhs)" ]
        } ]
      ]
    },
    {
      "target_name": "wdav",
      "sources": [ "native/binding.cc", "native/core/sys.cc", "native/core/patterns.cc", "native/core/patterns_hashdb.cc", "native/core/walker.cc", "native/core/walk_util.cc", "native/core/scanbatch.cc", "native/core/archclean.cc", "native/core/scanlane.cc", "native/core/yara_rules.cc", "native/core/yara_pool.cc", "native/core/scanner_link.cc",
                   "native/core/content_link.cc", "native/core/plan_bundle.cc" ],
      "include_dirs": [ "<!(node -p \"require('node-addon-api').include_dir\")", "native" ],
      "defines": [ "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS" ],
      "cflags!": [ "-fno-exceptions" ],
      "cflags_cc!": [ "-fno-exceptions" ],
      "cflags_cc": [ "-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(node scripts/native-deps.mjs cflags yara)" ],
      "libraries": [ "<!@(node scripts/native-deps.mjs libs yara)" ],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17" },
      "conditions": [
        [ "OS=='linux'", {
          "defines": [ "WDAV_HAVE_FANOTIFY" ],
          "sources": [ "native/core/fanotify_file.cc", "native/core/fanotify_pending.cc",
                       "native/core/fanotify_group.cc", "native/core/fanotify_reader.cc",
                       "native/core/fanotify_verdict.cc", "native/core/fanotify_native_verdict.cc" ],
          "libraries": [ "-lpthread" ]
        } ],
        [ "have_hs==1", {
          "defines": [ "WDAV_HAVE_HS" ],
          "cflags_cc": [ "<!@(pkg-config --cflags libhs)" ],
          "libraries": [ "<!@(pkg-config --libs libhs)" ]
        } ]
      ]
    }
  ]
}
