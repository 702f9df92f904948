import numpy as np

from bot.models.e5_convert import Q4_BLOCK_BYTES, dequantize_q4_0


def test_q4_0_blocks_dequantize_low_nibbles_first_then_high():
    weights = np.arange(-8, 8, dtype=np.int8)  # 16 values
    low, high = weights + 8, (weights[::-1] + 8)
    block = np.float16(0.5).tobytes() + bytes(int(l) | (int(h) << 4) for l, h in zip(low, high))
    assert len(block) == Q4_BLOCK_BYTES
    values = dequantize_q4_0(block, 32)
    assert np.allclose(values[:16], weights * 0.5)
    assert np.allclose(values[16:], weights[::-1] * 0.5)
