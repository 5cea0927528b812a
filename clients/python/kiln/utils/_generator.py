"""kiln.Generator: a client-side random stream (numpy's PCG64) for the places torch takes a
`generator=` (samplers, random_split, DataLoader). Kiln's global stream (`kiln.manual_seed`)
also lives on the client (numpy), so a private stream is just another numpy generator; it does
not reproduce torch's numbers, only torch's reproducibility contract."""

import numpy as np

from kiln import _runtime as rt

_DEFAULT_SEED = 67280421310721  # torch's default_generator seed, for a familiar initial_seed()


class Generator:
    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        # torch accepts negative seeds by wrapping to uint64; numpy wants a non-negative int
        self._seed = seed % (1 << 64)
        self._np = np.random.default_rng(self._seed)
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return dict(self._np.bit_generator.state)

    def set_state(self, state):
        self._np.bit_generator.state = state
        return self

    def __repr__(self):
        return "<kiln.Generator object at %#x>" % id(self)


def numpy_rng(generator):
    """The numpy generator behind `generator` (a kiln.Generator, a numpy Generator, or None:
    a fresh stream seeded from kiln's global one, as torch seeds from its default generator)."""
    if generator is None:
        return np.random.default_rng(int(rt.rng.integers(0, 1 << 63)))
    if isinstance(generator, Generator):
        return generator._np
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError("generator must be a kiln.Generator (got %s)" % type(generator).__name__)


def draw_seed(generator):
    """One 63-bit seed from `generator` (kiln's global stream when None)."""
    rng = rt.rng if generator is None else numpy_rng(generator)
    return int(rng.integers(0, 1 << 63))
