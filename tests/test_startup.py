"""The collector is paused while start-up imports the heavy libraries, and on again after, nested or not."""

import gc

from ollama_chat.startup import collector_paused


def test_the_collector_is_off_inside_and_on_after_the_outermost():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one leaves it to the outer
    assert gc.isenabled()


def test_the_collector_comes_back_after_an_error():
    try:
        with collector_paused():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert gc.isenabled()
