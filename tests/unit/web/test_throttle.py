from web.http.throttle import FailureWindow


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


async def test_refused_codes_lock_the_key_until_the_fixed_window_ends() -> None:
    clock = Clock()
    window = FailureWindow(3, 60.0, clock=clock)
    assert await window.blocked_for("code:x") == 0
    tallies = []
    for _ in range(3):
        tallies.append(await window.refused("code:x"))
        clock.now += 10
    assert [t.count for t in tallies] == [1, 2, 3]
    # Only the refusal that reached the limit reports the lockout (its summary row).
    assert [t.locked_for for t in tallies] == [0, 0, 40.0]
    assert await window.blocked_for("code:x") == 30.0  # the window began at 1000, now 1030
    assert await window.blocked_for("code:y") == 0
    clock.now += 30
    assert await window.blocked_for("code:x") == 0
    assert (await window.refused("code:x")).count == 1  # a fresh window


async def test_refused_codes_do_not_touch_the_login_failures() -> None:
    window = FailureWindow(2, 60.0, clock=Clock())
    for _ in range(2):
        await window.refused("addr:x")
    assert await window.retry_after("addr:x") == 0
    await window.failed("addr:y")
    await window.failed("addr:y")
    assert await window.blocked_for("addr:y") == 0


async def test_many_refusing_keys_do_not_grow_without_bound() -> None:
    clock = Clock()
    window = FailureWindow(2, 60.0, max_keys=100, clock=clock)
    for i in range(1000):
        await window.refused(f"code:{i}")
        clock.now += 1.0
    assert len(window._tallies) <= 100
