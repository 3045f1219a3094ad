"""The matrix multiplier: A @ B or A^k with numpy."""
