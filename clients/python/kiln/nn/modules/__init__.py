"""The layers of kiln.nn, one file per kind as in torch.nn.modules."""

from kiln.nn.modules.activation import (ELU, GELU, Hardsigmoid, Hardswish, Hardtanh,  # noqa: F401
                                        LeakyReLU, LogSigmoid, LogSoftmax, Mish, ReLU, ReLU6,
                                        Sigmoid, SiLU, Softmax, Softplus, Tanh)
from kiln.nn.modules.attention import MultiheadAttention  # noqa: F401
from kiln.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401
from kiln.nn.modules.container import (ModuleDict, ModuleList, ParameterDict,  # noqa: F401
                                       ParameterList, Sequential)
from kiln.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
from kiln.nn.modules.dropout import Dropout  # noqa: F401
from kiln.nn.modules.flatten import Flatten, Unflatten  # noqa: F401
from kiln.nn.modules.linear import Bilinear, Identity, Linear  # noqa: F401
from kiln.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss,  # noqa: F401
                                  HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from kiln.nn.modules.module import Module  # noqa: F401
from kiln.nn.modules.normalization import GroupNorm, LayerNorm  # noqa: F401
from kiln.nn.modules.padding import (ConstantPad1d, ConstantPad2d, ConstantPad3d,  # noqa: F401
                                     PixelShuffle, PixelUnshuffle, ZeroPad2d)
from kiln.nn.modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d,  # noqa: F401
                                     AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)
from kiln.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from kiln.nn.modules.sparse import Embedding  # noqa: F401
from kiln.nn.modules.transformer import (Transformer, TransformerDecoder,  # noqa: F401
                                         TransformerDecoderLayer, TransformerEncoder,
                                         TransformerEncoderLayer)
