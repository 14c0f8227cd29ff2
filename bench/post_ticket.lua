-- wrk script for bench/intake.py: every request POSTs a new ticket with a unique external_id.
--
-- Environment: BENCH_TOKEN (bearer token), BENCH_RUN (a tag for this run), BENCH_OUT (a
-- directory). Each thread writes "<status> <external_id>" for every 2xx answer it receives to
-- BENCH_OUT/answered-<thread>.txt, so the driver can compare the acknowledged tickets with the
-- database one by one. done() prints one "bench:" line per figure for the driver to read.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local categories = {
  "noise", "renovation_noise", "neighbour_dispute", "property_dispute", "dangerous_dogs",
  "traffic_dispute", "consultation_id_card", "other",
}
local contents = {
  "楼上住户深夜大声喧哗，影响休息，请派人处理。",
  "隔壁装修每天早上七点就开始电钻施工，噪音很大。",
  "邻居在楼道堆放杂物，多次协商未果，请求调解。",
  "小区物业长期不处理电梯故障，业主意见很大。",
  "小区内有人遛狗不牵绳，大型犬吓到小孩。",
  "路口两车轻微剐蹭，双方对赔偿有争议。",
  "咨询身份证到期换领需要带哪些材料。",
  "反映小区门口夜间有人聚集喝酒吵闹。",
}

function init(args)
  sent = 0
  answered = 0
  acked = 0
  replayed = 0
  failed = 0
  local token = os.getenv("BENCH_TOKEN") or ""
  run = os.getenv("BENCH_RUN") or "run"
  local dir = os.getenv("BENCH_OUT") or "."
  out = io.open(string.format("%s/answered-%d.txt", dir, id), "w")
  out:setvbuf("line")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  sent = sent + 1
  local pick = (id * 7 + sent) % #categories + 1
  local body = string.format(
    '{"channel":"open311","external_id":"bench-%s-%d-%d","category":"%s",' ..
    '"title":"压测工单 %d-%d","content":"%s（压测 %d-%d）","resident_name":"张三",' ..
    '"resident_phone":"139%08d","address":"青川县城关镇文昌社区%d栋"}',
    run, id, sent, categories[pick], id, sent, contents[pick], id, sent,
    (id * 1000003 + sent) % 100000000, sent % 40 + 1
  )
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if status == 201 or status == 200 then
    local external_id = string.match(body, '"external_id":%s*"([^"]+)"')
    out:write(status, " ", external_id or "?", "\n")
    if status == 201 then
      acked = acked + 1
    else
      replayed = replayed + 1
    end
  else
    failed = failed + 1
    if failed <= 3 then
      io.stderr:write(string.format("bench: HTTP %d: %s\n", status, string.sub(body, 1, 300)))
    end
  end
end

function done(summary, latency, requests)
  local totals = { sent = 0, answered = 0, acked = 0, replayed = 0, failed = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
    io.write(string.format("bench: thread %d sent=%d\n", thread:get("id"), thread:get("sent")))
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format("bench: duration_s=%.3f\n", seconds))
  io.write(string.format("bench: sent=%d answered=%d acknowledged=%d replayed=%d non2xx=%d\n",
    totals.sent, totals.answered, totals.acked, totals.replayed, totals.failed))
  io.write(string.format("bench: socket_errors connect=%d read=%d write=%d timeout=%d\n",
    errors.connect, errors.read, errors.write, errors.timeout))
  io.write(string.format("bench: tickets_per_s=%.1f\n", totals.acked / seconds))
  io.write(string.format("bench: p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
