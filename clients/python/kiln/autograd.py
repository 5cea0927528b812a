"""kiln.autograd: backward and grad, as torch.autograd's."""

from kiln._autograd import backward, enable_grad, grad, no_grad, set_grad_enabled  # noqa: F401
