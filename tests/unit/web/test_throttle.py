from web.throttle import FailureWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_blocked_after_the_limit_until_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    window = FailureWindow(3, 60.0, clock=clock)
    for step in range(3):
        assert await window.retry_after("user:a") == 0
        await window.failed("user:a", "addr:x")
        clock.now += 10 * (step > 0)
    assert await window.retry_after("user:a") == 40.0  # first failure at 1000, now 1020
    assert await window.retry_after("user:b", "addr:x") == 40.0
    assert await window.retry_after("user:b") == 0
    clock.now += 40.0
    assert await window.retry_after("user:a", "addr:x") == 0


async def test_a_success_clears_the_username_only() -> None:
    clock = Clock()
    window = FailureWindow(2, 60.0, clock=clock)
    await window.failed("user:a", "addr:x")
    await window.failed("user:a", "addr:x")
    await window.succeeded("user:a")
    assert await window.retry_after("user:a") == 0
    assert await window.retry_after("addr:x") > 0


async def test_many_keys_do_not_grow_without_bound() -> None:
    clock = Clock()
    window = FailureWindow(2, 60.0, max_keys=100, clock=clock)
    for i in range(1000):
        await window.failed(f"user:{i}")
        clock.now += 1.0
    assert len(window._failures) <= 100
