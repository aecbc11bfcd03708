{
  "targets": [
    {
      "target_name": "qosprobe_udp",
      "conditions": [
        ["OS=='linux'", { "sources": ["udp_ts.c"], "cflags": ["-O2", "-Wall", "-Wextra"] }]
      ]
    }
  ]
}
