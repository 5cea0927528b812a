"""kiln.optim.AdamW: torch.optim.AdamW (Adam with decoupled weight decay)."""

from kiln.optim.adam import _AdamBase, _check_adam_args


class AdamW(_AdamBase):
    _op = "_fused_adamw_"
    _setstate_defaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                                      capturable=capturable))
