"""Real Lambda platform lines, copied from public logs and fixtures, each with its source.

The research notes (``/work/shared/research/real-aws-artefacts.md``, section 2) list where each was found; lines
are byte-for-byte as published (a JavaScript/Python string literal's ``\\t`` and ``\\n`` unescaped), except where
a comment says what was elided by the source itself.
"""

# SnapStart, tab-separated: docwho2/java-connect-lex-chatgpt README.md (a real `sam logs` tail, 2023-06-02).
SNAPSTART_DOCWHO2 = ("REPORT RequestId: 8c360c87-d4b7-4423-b5f3-af02be3c1763\tDuration: 2338.66 ms\t"
                     "Billed Duration: 2521 ms\tMemory Size: 3009 MB\tMax Memory Used: 173 MB\t"
                     "Restore Duration: 398.97 ms\tBilled Restore Duration: 182 ms\t")

# SnapStart text fixture: alexcasalboni/aws-lambda-power-tuning test/unit/test-utils.js (`textLogSnapStart`).
SNAPSTART_POWER_TUNING = ("REPORT RequestId: 55bc566d-1e2c-11e7-93e6-6705ceb4c1cc\tDuration: 469.40 ms\t"
                          "Billed Duration: 500 ms\tMemory Size: 1024 MB\tMax Memory Used: 21 MB\t"
                          "Restore Duration: 474.16 ms\tBilled Restore Duration: 75 ms")

# SnapStart + X-Ray, space-separated, one event (a log-group fixture dated 2024-09-05; research notes §2,
# code-search archive id 28503938680).
SNAPSTART_XRAY_SPACES = ("REPORT RequestId: 24addd09-6e64-49fb-b187-94ba9b60b59a Duration: 127.10 ms "
                         "Billed Duration: 154 ms Memory Size: 2048 MB Max Memory Used: 212 MB "
                         "Restore Duration: 325.93 ms Billed Restore Duration: 26 ms "
                         "XRAY TraceId: 1-66d978e5-56c7378e556e94b5461da07c SegmentId: 29c3839e6ecb5895 "
                         "Sampled: true")

# Status/Error Type tail (2023+ format), then the XRAY line and the INIT_REPORT line of the same failed cold
# invocation: a public audit log of broken Lambdas, 2026-04-24 (research notes §2; code-search archive id
# 53947180466, function global-liquidity-agent-v2). The REPORT and XRAY lines are one CloudWatch event.
ERROR_IMPORT_REPORT = ("REPORT RequestId: 25a27ba9-e9af-489b-af00-005778ebb745\tDuration: 97.30 ms\t"
                       "Billed Duration: 98 ms\tMemory Size: 1024 MB\tMax Memory Used: 43 MB\tStatus: error\t"
                       "Error Type: Runtime.ImportModuleError\n"
                       "XRAY TraceId: 1-69ebaae8-4dbb86ee66fd32e40fdbfba6\tSegmentId: 2d34804ed85ebd6f\t"
                       "Sampled: true")
ERROR_IMPORT_INIT_REPORT = ("INIT_REPORT Init Duration: 87.28 ms\tPhase: invoke\tStatus: error\t"
                            "Error Type: Runtime.ImportModuleError")
# The same log, function treasury-auto-updater (128 MB, 3 s timeout), no XRAY line.
ERROR_IMPORT_REPORT_2 = ("REPORT RequestId: a0021e4d-360f-47bc-8efe-c95e40e16df6\tDuration: 97.32 ms\t"
                         "Billed Duration: 98 ms\tMemory Size: 128 MB\tMax Memory Used: 39 MB\tStatus: error\t"
                         "Error Type: Runtime.ImportModuleError")
ERROR_IMPORT_INIT_REPORT_2 = ("INIT_REPORT Init Duration: 85.23 ms\tPhase: invoke\tStatus: error\t"
                              "Error Type: Runtime.ImportModuleError")

# Timeout, 2023+ text format: DataBiosphere/azul issue #8140 (2026-06-26, a Logs Insights @message). The research
# notes quote it with the request id elided ("REPORT … Duration:"), so the id here is a placeholder; every field
# after it is as quoted there.
TIMEOUT_AZUL = ("REPORT RequestId: 00000000-0000-4000-8000-000000008140\tDuration: 180000.00 ms\t"
                "Billed Duration: 180000 ms\tMemory Size: 1280 MB\tMax Memory Used: 1201 MB\tStatus: timeout")

# Timeout, pre-2023 text format (no Status; "Task timed out" is a separate line): aws-samples/aws-cloudfront-samples
# issue #30 (2020-02-14).
TIMEOUT_CLOUDFRONT_SAMPLES = ("REPORT RequestId: dbb585bb-3a54-4d1a-a690-54e5085c55f8\tDuration: 300099.78 ms\t"
                              "Billed Duration: 300000 ms\tMemory Size: 128 MB\tMax Memory Used: 28 MB\t"
                              "Init Duration: 170.57 ms\t")

# INIT billed since 2025-08-01 (546 = ⌈3.10 + 542.01⌉) and the XRAY line in the same event: a Python Lambda's
# log tail, 2026-07-10 (research notes §2; code-search archive id 56579806195).
INIT_BILLED_XRAY = ("REPORT RequestId: b92a770e-7c92-4a13-84e3-613428ff991f\tDuration: 3.10 ms\t"
                    "Billed Duration: 546 ms\tMemory Size: 2048 MB\tMax Memory Used: 95 MB\t"
                    "Init Duration: 542.01 ms\t\n"
                    "XRAY TraceId: 1-6a507b87-0cc4438344b48ef127ab1931\tSegmentId: d0025b207c551fde\tSampled: true\t\n")

# A Logs Insights @message with the trailing "\t\n": oslabs-beta/Embr primary-app/src/app/retrievedData.js.
EMBR_INSIGHTS = ("REPORT RequestId: 76269889-7d50-4d6d-a3f1-9b4f5322f47c\tDuration: 14.97 ms\tBilled Duration: 15 ms\t"
                 "Memory Size: 128 MB\tMax Memory Used: 67 MB\t\n")

# An extra space before the tab ("100 ms \t"): a FilterLogEvents answer of 2019-06-19 kept as a fixture,
# drinkingtheink/aws_sdk-react-express-node-fe src/static_data/example-recent-logs-body.js (the same shape as
# apex/up issue #663's "Billed Duration: 18000 ms \tMemory Size").
EXTRA_SPACE = ("REPORT RequestId: 69594c41-8463-4f69-b9b4-ff6c49813475\tDuration: 89.34 ms\tBilled Duration: 100 ms \t"
               "Memory Size: 128 MB\tMax Memory Used: 111 MB\t\n")

# Max Memory Used above Memory Size (an out-of-memory invocation), a Logs Insights row of 2024-02-21 (research
# notes §2 cite gist a-h/5760e3f9599a880794bb69c2d0ab4aa2 for the same shape; code-search archive id 45777349466).
OVER_MEMORY = ("REPORT RequestId: 0280709d-1b0a-4aa5-86e9-0970d7d39e0b\tDuration: 11108.09 ms\t"
               "Billed Duration: 11109 ms\tMemory Size: 128 MB\tMax Memory Used: 129 MB\t")

# JSON log format, timeout: platform.runtimeDone then platform.report, from a reproduction of a 5 s custom-resource
# timeout in a real account, 2026-07-09 (research notes §2; code-search archive id 55317895419).
JSON_TIMEOUT_RUNTIME_DONE = ('{"time":"2026-07-09T06:05:50.562Z","type":"platform.runtimeDone","record":'
                             '{"requestId":"aec7a529-47f9-4090-be01-c9ed91bf83cf","status":"timeout","metrics":'
                             '{"durationMs":5001.182,"producedBytes":0}}}')
JSON_TIMEOUT_REPORT = ('{"time":"2026-07-09T06:05:50.581Z","type":"platform.report","record":'
                       '{"requestId":"aec7a529-47f9-4090-be01-c9ed91bf83cf","metrics":{"durationMs":5000.0,'
                       '"billedDurationMs":5000,"memorySizeMB":128,"maxMemoryUsedMB":94},"status":"timeout"}}')

# JSON log format with runtimeDone spans and initDurationMs: alexcasalboni/aws-lambda-power-tuning
# test/unit/test-utils.js (`jsonLog`).
JSON_POWER_TUNING_RUNTIME_DONE = (
    '{"time":"2024-02-09T08:42:44.079Z","type":"platform.runtimeDone","record":{"requestId":'
    '"d661f7cf-9208-46b9-85b0-213b04a91065","status":"success","spans":[{"name":"responseLatency","start":'
    '"2024-02-09T08:42:44.078Z","durationMs":0.677},{"name":"responseDuration","start":"2024-02-09T08:42:44.079Z",'
    '"durationMs":0.035},{"name":"runtimeOverhead","start":"2024-02-09T08:42:44.079Z","durationMs":0.211}],'
    '"metrics":{"durationMs":1.056,"producedBytes":50}}}')
JSON_POWER_TUNING_REPORT = (
    '{"time":"2024-02-09T08:42:44.080Z","type":"platform.report","record":{"requestId":'
    '"d661f7cf-9208-46b9-85b0-213b04a91065","status":"success","metrics":{"durationMs":1.317,"billedDurationMs":2,'
    '"memorySizeMB":1024,"maxMemoryUsedMB":68,"initDurationMs": 10}}}')

# platform.initReport and platform.report with tracing: the Telemetry API test fixtures of a Rust Lambda extension
# (research notes §2, "telemetry fixture (id 45333484277)").
JSON_INIT_REPORT = ('{"time":"2022-10-19T13:52:16.136Z","type":"platform.initReport","record":'
                    '{"initializationType":"on-demand","metrics":{"durationMs":500.0},"phase":"init"}}')
JSON_TRACED_REPORT = (
    '{"time":"2022-10-21T14:05:05.766Z","type":"platform.report","record":{"requestId":'
    '"459921b5-681c-4a96-beb0-81e0aa586026","metrics":{"durationMs":2599.4,"billedDurationMs":2600,'
    '"memorySizeMB":128,"maxMemoryUsedMB":94,"initDurationMs":549.04},"tracing":{"spanId":"24cd7d670fa455f0",'
    '"type":"X-Amzn-Trace-Id","value":"Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1"},'
    '"status":"success"}}')
