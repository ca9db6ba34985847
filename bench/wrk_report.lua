-- wrk reporter for bench/bench_scale.py: one JSON line with the figures wrk's
-- own --latency table lacks (p95). Latencies are in microseconds.
done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, " ..
    "\"p50\": %d, \"p90\": %d, \"p95\": %d, \"p99\": %d, \"max\": %d, \"mean\": %.1f, " ..
    "\"err_connect\": %d, \"err_read\": %d, \"err_write\": %d, \"err_status\": %d, \"err_timeout\": %d}\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
