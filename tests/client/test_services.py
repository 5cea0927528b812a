"""kilnd's standard gRPC services: health checking and server reflection, called with raw
protobuf bytes (Debian ships neither grpc_health nor grpc_reflection for Python)."""

import grpc

_SERVING = b"\x08\x01"  # HealthCheckResponse{status: SERVING}


def test_health_reports_serving(kilnd):
    with grpc.insecure_channel(kilnd.address) as ch:
        check = ch.unary_unary("/grpc.health.v1.Health/Check")
        assert check(b"", timeout=10) == _SERVING  # the server as a whole
        # HealthCheckRequest{service: "kiln.v1.Kiln"}
        assert check(b"\x0a\x0ckiln.v1.Kiln", timeout=10) == _SERVING


def test_reflection_lists_the_kiln_service(kilnd):
    with grpc.insecure_channel(kilnd.address) as ch:
        info = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        # ServerReflectionRequest{list_services: ""} (field 7)
        replies = list(info(iter([b"\x3a\x00"]), timeout=10))
        assert len(replies) == 1
        assert b"kiln.v1.Kiln" in replies[0] and b"grpc.health.v1.Health" in replies[0]


def test_metrics_names_the_issue_asks_for(kiln, kilnd):
    from conftest import metric, scrape
    x = kiln.from_numpy(__import__("numpy").ones(300000, "float32"))  # an Upload
    (x * 2).numpy()  # a Download
    try:
        x.index_select(0, kiln.tensor([10 ** 7])).tolist()  # an op error
    except kiln.RemoteError:
        pass
    text = scrape(kilnd.metrics)
    assert metric(text, "kiln_rpcs_total", {"method": "Upload", "code": "OK"}) >= 1
    assert metric(text, "kiln_rpc_duration_seconds_count", {"method": "Download", "code": "OK"}) >= 1
    assert metric(text, "kiln_ops_total", {"op": "mul"}) >= 1
    assert metric(text, "kiln_upload_bytes_total") >= 1.2e6
    assert metric(text, "kiln_download_bytes_total") >= 1.2e6
    assert metric(text, "kiln_live_tensors", {"device": "cpu"}) >= 1
    assert metric(text, "kiln_live_bytes", {"device": "cpu"}) >= 1.2e6
    assert metric(text, "kiln_sessions_active") >= 1
    assert metric(text, "kiln_op_errors_total") >= 1
