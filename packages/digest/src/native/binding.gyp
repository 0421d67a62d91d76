{
  "targets": [
    {
      "target_name": "longshore_sha256",
      "sources": ["longshore_sha256.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "longshore_base64",
      "sources": ["longshore_base64.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
