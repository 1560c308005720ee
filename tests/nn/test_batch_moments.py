"""QBatchNorm's batch statistics: equal to torch.var_mean, with gradients that pass gradcheck."""

from __future__ import annotations

import pytest
import torch

from codesign.nn.batchnorm import _BatchMoments


@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (7, 4), (2, 5, 3)])
def test_batch_moments_equal_var_mean_and_pass_gradcheck(shape: tuple[int, ...]) -> None:
    generator = torch.Generator().manual_seed(len(shape))
    x = (torch.randn(shape, generator=generator, dtype=torch.float64) * 3 + 1).requires_grad_(True)
    mean, var = _BatchMoments.apply(x)
    want_var, want_mean = torch.var_mean(x, dim=[0, *range(2, x.dim())], unbiased=False)
    torch.testing.assert_close(mean, want_mean)
    torch.testing.assert_close(var, want_var)
    assert torch.autograd.gradcheck(_BatchMoments.apply, (x,))
