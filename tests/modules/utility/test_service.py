from wolaro.modules.admin.service import gateway_latency_ms
from wolaro.modules.utility.service import latency_ms


def test_latency_before_first_heartbeat():
    assert latency_ms(float("inf")) == -1
    assert latency_ms(float("nan")) == -1
    assert latency_ms(0.0421) == 42
    assert [gateway_latency_ms(value) for value in (float("inf"), float("nan"), 0.0421)] == [-1, -1, 42]
