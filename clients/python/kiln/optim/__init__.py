"""kiln.optim: torch.optim's optimizers and learning-rate schedulers. Each optimizer step is one
fused op per parameter group in kilnd (the state tensors live there too); the schedulers are
client-side arithmetic on param_groups[i]["lr"], which the next step sends."""

from kiln.optim import lr_scheduler
from kiln.optim.adagrad import Adagrad
from kiln.optim.adam import Adam
from kiln.optim.adamw import AdamW
from kiln.optim.optimizer import Optimizer
from kiln.optim.rmsprop import RMSprop
from kiln.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
