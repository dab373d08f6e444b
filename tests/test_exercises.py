"""gancourse.exercises: the unanswered-exercise message and the reference fallback of demonstration cells."""
import pytest
import torch

from gancourse.exercises import NotAnswered, answer_or_reference, exercise


def _stub(*args, **kwargs):
    raise NotImplementedError()


def test_exercise_turns_the_stub_into_one_clear_line():
    with pytest.raises(NotAnswered, match=r"`d_step` is not answered yet"):
        with exercise("d_step"):
            _stub()
    assert NotAnswered("x")._render_traceback_()[-1].endswith("x")


def test_exercise_lets_other_failures_through_unchanged():
    with pytest.raises(AssertionError, match="wrong shape") as info:
        with exercise("d_step"):
            assert False, "wrong shape"
    assert type(info.value) is AssertionError
    with pytest.raises(TypeError):
        with exercise("d_step"):
            torch.zeros("a")
    with exercise("d_step"):
        pass


def test_answer_or_reference_falls_back_with_a_notice(capsys):
    pick = answer_or_reference(_stub, torch.ones, name="ones")
    assert torch.equal(pick(2), torch.ones(2))
    assert "`ones` is not answered yet" in capsys.readouterr().out
    pick(3)
    assert capsys.readouterr().out == ""          # one notice per wrapper
    mine = answer_or_reference(torch.zeros, torch.ones)
    assert torch.equal(mine(2), torch.zeros(2)) and capsys.readouterr().out == ""


def test_answer_or_reference_keeps_the_students_own_errors():
    def broken(n):
        raise ValueError("my bug")
    with pytest.raises(ValueError, match="my bug"):
        answer_or_reference(broken, torch.ones)(2)


def test_answer_or_reference_builds_classes():
    class Answer(torch.nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            raise NotImplementedError()
    model = answer_or_reference(Answer, torch.nn.Linear)(3, 2)
    assert isinstance(model, torch.nn.Linear)
