"""pad_sequence (packed sequences are not supported)."""

from kiln._ops import call


def pad_sequence(sequences, batch_first=False, padding_value=0.0):
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        # F.pad's order: last dimension first; only the leading (time) dimension grows
        pad = [0, 0] * (s.ndim - 1) + [0, longest - s.shape[0]]
        padded.append(call("constant_pad_nd", (s, pad, padding_value), {}))
    return call("stack", (padded, 0 if batch_first else 1), {})
