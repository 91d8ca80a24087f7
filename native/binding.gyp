# The PortAudio binding `loopstation build-audio` compiles (scripts/build-portaudio-binding.js):
# naudiodon 2.3.6's C++ sources (native/naudiodon, Apache-2.0, unchanged) linked against the system's
# PortAudio (Debian/Raspberry Pi OS: libportaudio2 + portaudio19-dev, found with pkg-config), for
# where the naudiodon package cannot install: arm64 (it links its bundled x64 libportaudio) and GCC 14
# (src/PaContext.h uses std::string without including <string>: hence -include string).
{
  "targets": [
    {
      "target_name": "naudiodon",
      "sources": [
        "naudiodon/src/naudiodonUtil.cc",
        "naudiodon/src/naudiodon.cc",
        "naudiodon/src/GetDevices.cc",
        "naudiodon/src/GetHostAPIs.cc",
        "naudiodon/src/AudioIO.cc",
        "naudiodon/src/PaContext.cc"
      ],
      "include_dirs": ["<!@(pkg-config --cflags-only-I portaudio-2.0 | sed -e 's/-I//g')"],
      "cflags_cc!": ["-fno-rtti", "-fno-exceptions"],
      "cflags_cc": ["-std=c++14", "-fexceptions", "-include", "string"],
      "libraries": ["<!@(pkg-config --libs portaudio-2.0)"]
    }
  ]
}
