"""kiln.nn.utils: gradient clipping (the fused clip ops), parameter vectors, pad_sequence."""

from kiln.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from kiln.nn.utils import rnn  # noqa: F401
from kiln.nn.utils.convert_parameters import (parameters_to_vector,  # noqa: F401
                                              vector_to_parameters)
