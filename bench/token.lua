-- wrk: POST a client_credentials request with Basic credentials from the environment
-- (BENCH_BASIC = base64 of "id:secret"; BENCH_BODY overrides the form).
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")

-- Non-200 answers are counted by wrk as "Non-2xx or 3xx responses".
