"""tensorgrad.utils: torch.utils' counterparts (checkpoint)."""

from . import checkpoint

__all__ = ["checkpoint"]
